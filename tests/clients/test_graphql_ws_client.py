"""The reference graphql-ws client (graphql_ws.mjs) against a live server: streams, close codes."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any

import pytest

from tests.clients.node import require_node_modules, run_script
from tests.conftest import DEFAULT_PASSWORD, LOGIN


@pytest.fixture(autouse=True)
def _node_modules() -> None:
    require_node_modules("graphql-ws", "ws")


def config(live_server: str, token: str, iris: dict[str, Any] | None = None, **extra: Any):
    """The scenario's settings: where the server is, who calls, and Ada's model if it needs one."""
    model = {}
    if iris is not None:
        model = {"modelId": iris["model"]["id"], "versionId": iris["version"]["id"]}
    return {
        "ws": f"ws://{live_server}/graphql",
        "http": f"http://{live_server}/graphql",
        "token": token,
        "model": "ada/iris",
        **model,
        **extra,
    }


async def scenario(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    return await run_script("graphql_ws.mjs", name, json.dumps(settings))


async def test_streams_see_predictions_and_alias_moves(live_server, iris):
    seen = await scenario("streams", config(live_server, iris["token"], iris))

    prediction = seen["prediction"]["data"]["predictions"]
    made = {p["requestId"]: p for p in seen["made"]}
    assert prediction["requestId"] in made
    assert prediction == {
        "requestId": prediction["requestId"],
        "status": "ok",
        "rows": 1,
        "versionNumber": 1,
        "outputs": [made[prediction["requestId"]]["predictions"][0]["value"]],
        "errorCode": None,
    }
    assert seen["aliasResult"] == "SetAliasSuccess"
    assert seen["modelEvent"]["data"]["modelEvents"] == {
        "kind": "ALIAS_MOVED",
        "versionNumber": None,
        "alias": "production",
        "toVersionId": iris["version"]["id"],
    }


@pytest.mark.parametrize(
    "name, code",
    [
        ("missingAuth", 4403),
        ("badAuth", 4403),
        ("duplicateId", 4409),
        ("secondInit", 4429),
        ("subscribeBeforeAck", 4401),
    ],
)
async def test_close_codes(live_server, signup, name, code):
    user = await signup()
    seen = await scenario(name, config(live_server, user["accessToken"]))
    assert seen["code"] == code, seen


async def test_connection_init_timeout_is_closed_4408(live_server, impatient_server, signup):
    user = await signup()
    settings = config(
        live_server, user["accessToken"], shortTimeoutWs=f"ws://{impatient_server}/graphql"
    )
    seen = await scenario("initTimeout", settings)
    assert seen["code"] == 4408, seen


async def test_logout_ends_the_stream_4403(live_server, gql, iris):
    second = await gql(LOGIN, {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    logout_token = second["data"]["login"]["accessToken"]
    seen = await scenario(
        "logout", config(live_server, iris["token"], iris, logoutToken=logout_token)
    )
    assert seen["code"] == 4403, seen


async def test_token_expiry_ends_the_stream_4403(live_server, app, iris):
    accounts = app.state.services.accounts
    caller = await accounts.authenticate(iris["token"])
    short = dataclasses.replace(accounts.tokens, access_ttl=timedelta(seconds=2))
    token, _ = short.issue_access(user_id=caller.user_id, session_id=caller.session_id)
    seen = await scenario("expiry", config(live_server, iris["token"], iris, expiringToken=token))
    assert seen["code"] == 4403, seen


async def test_a_revoked_key_ends_its_stream_4403(live_server, gql, iris):
    created = await gql(
        """mutation { createApiKey(input: {name: "watcher", scopes: [READ]}) {
             ... on CreateApiKeySuccess { secret key { id } } } }""",
        token=iris["token"],
    )
    key = created["data"]["createApiKey"]
    settings = config(
        live_server, iris["token"], iris, apiKey=key["secret"], apiKeyId=key["key"]["id"]
    )
    seen = await scenario("keyRevoked", settings)
    assert seen["code"] == 4403, seen
