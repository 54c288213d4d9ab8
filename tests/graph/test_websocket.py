"""Subscriptions over a real websocket (graphql-transport-ws) against a real uvicorn server."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import DEFAULT_PASSWORD, LOGIN

ACCOUNT_EVENTS = "subscription { accountEvents { kind reason ip } }"


async def open_socket(live_server: str) -> ClientConnection:
    return await connect(f"ws://{live_server}/graphql", subprotocols=["graphql-transport-ws"])


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    frame = await asyncio.wait_for(ws.recv(), timeout)
    # graphql-transport-ws is a text protocol: browsers and graphql-ws reject binary frames.
    assert isinstance(frame, str), f"binary frame: {frame!r}"
    return json.loads(frame)


async def closed_with(ws: ClientConnection, timeout: float = 5.0) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def authenticated(live_server: str, token: str) -> ClientConnection:
    ws = await open_socket(live_server)
    await send(ws, {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert (await receive(ws))["type"] == "connection_ack"
    return ws


async def test_account_events_stream_logins(live_server, signup, gql):
    user = await signup()
    ws = await authenticated(live_server, user["accessToken"])
    try:
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": ACCOUNT_EVENTS}})
        await asyncio.sleep(0.2)
        await gql(LOGIN, {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
        message = await receive(ws)
        assert message["type"] == "next"
        assert message["payload"]["data"]["accountEvents"] == {
            "kind": "LOGIN",
            "reason": None,
            "ip": "127.0.0.1",
        }
    finally:
        await ws.close()


@pytest.mark.parametrize(
    "payload",
    [{}, {"authorization": "Bearer not-a-token"}, {"authorization": 42}],
    ids=["missing", "invalid", "wrong-type"],
)
async def test_connection_init_without_valid_token_is_closed_4403(live_server, payload):
    ws = await open_socket(live_server)
    await send(ws, {"type": "connection_init", "payload": payload})
    assert await closed_with(ws) == 4403


async def test_subscribe_before_ack_is_closed_4401(live_server):
    ws = await open_socket(live_server)
    await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": ACCOUNT_EVENTS}})
    assert await closed_with(ws) == 4401


async def test_second_init_is_closed_4429(live_server, signup):
    user = await signup()
    ws = await authenticated(live_server, user["accessToken"])
    await send(ws, {"type": "connection_init", "payload": {}})
    assert await closed_with(ws) == 4429


async def test_non_object_init_payload_is_closed_4400(live_server):
    ws = await open_socket(live_server)
    await send(ws, {"type": "connection_init", "payload": "token"})
    assert await closed_with(ws) == 4400


async def test_duplicate_subscription_id_is_closed_4409(live_server, signup):
    user = await signup()
    ws = await authenticated(live_server, user["accessToken"])
    message = {"id": "same", "type": "subscribe", "payload": {"query": ACCOUNT_EVENTS}}
    await send(ws, message)
    await send(ws, message)
    assert await closed_with(ws) == 4409


async def test_eleventh_subscription_is_refused(live_server, signup):
    user = await signup()
    ws = await authenticated(live_server, user["accessToken"])
    try:
        for i in range(10):
            await send(
                ws, {"id": str(i), "type": "subscribe", "payload": {"query": ACCOUNT_EVENTS}}
            )
        await send(ws, {"id": "10", "type": "subscribe", "payload": {"query": ACCOUNT_EVENTS}})
        message = await receive(ws)
        assert message["type"] == "error"
        assert message["id"] == "10"
        assert message["payload"][0]["message"] == "Subscription limit reached"
    finally:
        await ws.close()


async def test_limits_apply_over_websocket(live_server, signup):
    user = await signup()
    ws = await authenticated(live_server, user["accessToken"])
    try:
        aliases = " ".join(f"a{i}: __typename" for i in range(16))
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": f"{{ {aliases} }}"}})
        message = await receive(ws)
        assert message["type"] == "error"
        assert message["payload"][0]["message"] == "16 aliases found. Allowed: 15"
    finally:
        await ws.close()


async def test_logout_closes_the_subscription(live_server, signup, gql):
    user = await signup()
    ws = await authenticated(live_server, user["accessToken"])
    await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": ACCOUNT_EVENTS}})
    await asyncio.sleep(0.2)
    await gql("mutation { logout { ok } }", token=user["accessToken"])
    assert await closed_with(ws) == 4403


async def test_oversized_message_is_closed_1009(live_server, signup):
    user = await signup()
    ws = await authenticated(live_server, user["accessToken"])
    big = "{ __typename }" + " " * (1 << 20)
    await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": big}})
    assert await closed_with(ws) == 1009


async def test_stream_closes_when_its_access_token_expires(live_server, signup, app):
    """A12: a subscription authorised by a token ends (4403) when that token expires."""
    user = await signup()
    accounts = app.state.services.accounts
    caller = await accounts.authenticate(user["accessToken"])
    short = dataclasses.replace(accounts.tokens, access_ttl=timedelta(seconds=2))
    token, _ = short.issue_access(user_id=caller.user_id, session_id=caller.session_id)
    assert uuid.UUID(user["user"]["id"]) == caller.user_id
    ws = await authenticated(live_server, token)
    await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": ACCOUNT_EVENTS}})
    assert await closed_with(ws, timeout=10) == 4403


async def test_an_open_socket_stops_working_after_logout(live_server, signup, gql):
    """A websocket's operations are authorised each time, not once at connection_init."""
    user = await signup()
    ws = await authenticated(live_server, user["accessToken"])
    try:
        me = {"query": "{ me { email } }"}
        await send(ws, {"id": "1", "type": "subscribe", "payload": me})
        assert (await receive(ws))["payload"]["data"]["me"]["email"] == "ada@example.com"
        await receive(ws)  # complete
        await gql("mutation { logout { ok } }", token=user["accessToken"])
        await send(ws, {"id": "2", "type": "subscribe", "payload": me})
        message = await receive(ws)
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        await ws.close()


SECRET = "s3cret-PASSWORD-do-not-log"


@pytest.mark.parametrize(
    "document, reason",
    [
        (f'mutation {{ login(input: {{email: "a@b.io", password: "{SECRET}" }} ', "PARSE_FAILED"),
        ("{" + " a" * 2500 + f' b(x: "{SECRET}") }}', "TOO_MANY_TOKENS"),
        ("{" + " __typename" * 1600 + f' b(x: "{SECRET}") }}', "QUERY_TOO_LARGE"),
    ],
    ids=["syntax", "tokens", "characters"],
)
async def test_a_refused_document_gets_an_error_message_and_is_not_logged(
    live_server, signup, caplog, document, reason
):
    # Given an authenticated socket
    user = await signup()
    ws = await authenticated(live_server, user["accessToken"])
    caplog.set_level("DEBUG")
    try:
        # When a document is refused before execution
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": document}})
        message = await receive(ws)
        # Then the client gets the protocol's error message, and the socket still serves
        await send(ws, {"id": "2", "type": "subscribe", "payload": {"query": "{ __typename }"}})
        after = await receive(ws)
    finally:
        await ws.close()

    assert message["type"] == "error"
    assert message["id"] == "1"
    [error] = message["payload"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["reason"] == reason
    assert (after["id"], after["type"], after["payload"]["data"]) == (
        "2",
        "next",
        {"__typename": "Query"},
    )
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.__dict__}" for r in caplog.records)
    assert SECRET not in logged
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]
