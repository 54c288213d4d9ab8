"""No password, token or document text reaches a log, over any transport.

Every record of every logger is captured at DEBUG (the root logger through caplog, plus
uvicorn's and Strawberry's, which need not propagate), and searched in full: the formatted
message, its arguments, the exception and stack text and every ``extra`` attribute, and the
line each of our formatters would write. Records of the tests' own clients (httpx, the
websockets client) are left out: they are not the server's logs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from logging import LogRecord
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from graph.logs import JsonFormatter, TextFormatter
from tests.conftest import LOGIN, REGISTER

PASSWORD = "s3cret-PASSWORD-xyz"
EMAIL = "grace@example.com"
# Loggers that do not propagate to the root logger, where caplog listens.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "strawberry", "websockets")
CLIENT_LOGGERS = ("httpx", "httpcore", "websockets.client")

LOGIN_INLINE = (
    f'mutation {{ login(input: {{email: "{EMAIL}", password: "{PASSWORD}"}}) {{ __typename }} }}'
)
SYNTAX_ERROR = f'mutation {{ login(input: {{email: "{EMAIL}", password: "{PASSWORD}"}}) {{'
TOO_MANY_ALIASES = (
    "mutation { "
    + " ".join(
        f'a{i}: login(input: {{email: "{EMAIL}", password: "{PASSWORD}"}}) {{ __typename }}'
        for i in range(16)
    )
    + " }"
)
# The parser stops at the limit and quotes the lines around that point: a secret on each.
TOO_MANY_TOKENS = (
    "mutation {\n"
    + "".join(
        f'a{i}: login(input: {{email: "{EMAIL}", password: "{PASSWORD}"}}) {{ __typename }}\n'
        for i in range(200)
    )
    + "}"
)
TOO_LONG = f'mutation {{ login(input: {{email: "{EMAIL}", password: "{PASSWORD}"}}) ' + (
    "{ __typename " + " " * 16_000 + "} }"
)
DOCUMENTS = {
    "valid": LOGIN_INLINE,
    "syntax-error": SYNTAX_ERROR,
    "too-many-aliases": TOO_MANY_ALIASES,
    "too-many-tokens": TOO_MANY_TOKENS,
    "too-long": TOO_LONG,
}


class Everything(logging.Handler):
    """Keeps every record it is handed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[LogRecord] = []

    def emit(self, record: LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_logs(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[LogRecord]]]:
    """Every record the server has logged so far in the test, at any level, from any logger."""
    caplog.set_level(logging.DEBUG)
    handler = Everything()
    saved = []
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)

    def logged() -> list[LogRecord]:
        unique = {id(r): r for r in [*caplog.records, *handler.records]}
        return [r for r in unique.values() if not r.name.startswith(CLIENT_LOGGERS)]

    try:
        yield logged
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)


def everything_in(record: LogRecord) -> str:
    """The record as any handler could write it, and every attribute it carries."""
    parts = [
        record.getMessage(),
        repr(record.args),
        JsonFormatter().format(record),
        TextFormatter().format(record),
        repr(record.__dict__),
    ]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def leaks(records: list[LogRecord], secrets: list[str]) -> list[tuple[str, str, str]]:
    return [
        (record.name, record.levelname, secret)
        for record in records
        for secret in secrets
        if secret in everything_in(record)
    ]


def tracebacks(records: list[LogRecord]) -> list[tuple[str, str]]:
    """Records a client's mistake must not cause: ERROR and above, or any with a stack."""
    return [
        (record.name, record.getMessage())
        for record in records
        if record.levelno >= logging.ERROR or record.exc_info
    ]


async def login_tokens(client: httpx.AsyncClient) -> dict[str, str]:
    """Register and log in over variables; returns the access and refresh tokens."""
    variables = {"email": EMAIL, "password": PASSWORD}
    await client.post("/graphql", json={"query": REGISTER, "variables": variables})
    response = await client.post("/graphql", json={"query": LOGIN, "variables": variables})
    payload = response.json()["data"]["login"]
    assert payload["__typename"] == "AuthPayload", payload
    return {"access": payload["accessToken"], "refresh": payload["refreshToken"]}


def secrets_of(tokens: dict[str, str]) -> list[str]:
    # A token's signature is the part that must never be written down.
    return [PASSWORD, *tokens.values(), *(t.rsplit(".", 1)[-1] for t in tokens.values())]


async def test_http_requests_log_no_secret(client, server_logs):
    tokens = await login_tokens(client)
    bearer = {"Authorization": f"Bearer {tokens['access']}"}
    csrf = {**bearer, "X-ModelServe-CSRF": "1"}
    refresh = f'mutation {{ refreshToken(refreshToken: "{tokens["refresh"]}") {{ __typename }} }}'
    sent: list[httpx.Response] = []
    for document in [*DOCUMENTS.values(), refresh]:
        sent.append(await client.post("/graphql", json={"query": document}, headers=bearer))
        sent.append(await client.get("/graphql", params={"query": document}, headers=bearer))
        operations = {"query": document, "variables": {"file": None}}
        sent.append(
            await client.post(
                "/graphql",
                data={"operations": json.dumps(operations), "map": '{"0": ["variables.file"]}'},
                files={"0": ("model.skops", PASSWORD.encode(), "application/octet-stream")},
                headers=csrf,
            )
        )
    variables = {"email": EMAIL, "password": PASSWORD, "token": tokens["refresh"]}
    malformed: list[dict[str, Any]] = [
        {"query": LOGIN, "variables": variables},
        {"query": LOGIN, "variables": variables, "operationName": [PASSWORD]},
        {"query": LOGIN, "variables": [PASSWORD, tokens["refresh"]]},
        {"query": LOGIN, "variables": variables, "extensions": [PASSWORD]},
        {"query": [PASSWORD], "variables": variables},
        {"query": "query($x: Int) { __typename }", "variables": {"x": PASSWORD}},
        {"query": LOGIN, "variables": {"email": EMAIL, "password": {"nested": PASSWORD}}},
    ]
    for body in malformed:
        sent.append(await client.post("/graphql", json=body, headers=bearer))
        sent.append(await client.post("/graphql", content=json.dumps([body]), headers=csrf))
    sent.append(
        await client.post(
            "/graphql",
            data={"operations": json.dumps(malformed[0]), "map": json.dumps({PASSWORD: [1]})},
            files={PASSWORD: ("x", b"x")},
            headers=csrf,
        )
    )
    sent.append(
        await client.get(
            "/graphql", params={"query": LOGIN, "variables": json.dumps(variables)}, headers=bearer
        )
    )
    sent.append(
        await client.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={"Authorization": f"Bearer {tokens['access']}x"},
        )
    )

    assert [r.status_code for r in sent if r.status_code >= 500] == []
    assert leaks(server_logs(), secrets_of(tokens)) == []
    assert tracebacks(server_logs()) == []


async def open_socket(live_server: str, token: str) -> ClientConnection:
    ws = await connect(f"ws://{live_server}/graphql", subprotocols=["graphql-transport-ws"])
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
    return ws


async def answer(ws: ClientConnection, operation_id: str) -> dict[str, Any] | None:
    """The operation's last message (``next``, ``error``, ``complete``), or None if closed."""
    last: dict[str, Any] | None = None
    try:
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if message.get("id") == operation_id:
                last = message
                if message["type"] in {"error", "complete"}:
                    return last
    except ConnectionClosed:
        return last


@pytest.mark.parametrize("document", list(DOCUMENTS), ids=list(DOCUMENTS))
async def test_websocket_operations_log_no_secret(client, live_server, server_logs, document):
    tokens = await login_tokens(client)
    ws = await open_socket(live_server, tokens["access"])
    try:
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": DOCUMENTS[document],
                        "variables": {"password": PASSWORD, "token": tokens["refresh"]},
                    },
                }
            )
        )
        await answer(ws, "1")
    finally:
        await ws.close()
    # The server may log the closed socket after the client has gone.
    await asyncio.sleep(0.1)

    assert leaks(server_logs(), secrets_of(tokens)) == []
    assert tracebacks(server_logs()) == []


async def test_a_refused_document_is_logged_by_hash_and_size(client, caplog):
    # Given a document that will not parse, holding a secret
    document = '{ login(password: "hunter2-refused-document"'
    caplog.set_level("INFO", logger="modelserve.access")

    # When it is sent
    response = await client.post("/graphql", json={"query": document})

    # Then the access line names it by size and hash only
    [line] = [r for r in caplog.records if r.name == "modelserve.access"]
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert line.document_bytes == len(document.encode())
    assert len(line.document_sha256) == 16
    assert "hunter2" not in line.getMessage() + str(line.__dict__)
