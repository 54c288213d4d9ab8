"""Browser clients on another origin: CORS preflights, and websocket handshakes by Origin."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from graph.app import create_app
from tests.conftest import free_port, make_settings

ALLOWED = "https://app.example.com"


@asynccontextmanager
async def serving(settings: Any, **overrides: Any) -> AsyncIterator[str]:
    """A second app with ``overrides`` on a real server (sharing the session's database)."""
    app = create_app(make_settings(settings.data_dir, settings.database_url, **overrides))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        await app.state.services.close()


@pytest.fixture
async def cross_origin(app: Any, settings: Any) -> AsyncIterator[str]:
    async with serving(settings, cors_origins=ALLOWED) as address:
        yield address


@pytest.mark.parametrize(
    "header",
    [
        "apollo-require-preflight",
        "x-modelserve-csrf",
        "graphql-require-preflight",
        "x-api-key",
        "inference-header-content-length",
    ],
)
async def test_a_preflight_allows_every_header_the_server_asks_for(cross_origin, header):
    async with httpx.AsyncClient(base_url=f"http://{cross_origin}") as http:
        response = await http.options(
            "/graphql",
            headers={
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": f"authorization, content-type, {header}",
            },
        )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", header} <= {h.lower() for h in allowed}


async def test_a_preflight_from_another_origin_is_refused(cross_origin):
    async with httpx.AsyncClient(base_url=f"http://{cross_origin}") as http:
        response = await http.options(
            "/graphql",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def handshake(address: str, origin: str | None) -> dict[str, Any]:
    headers = {"Origin": origin} if origin else {}
    async with connect(
        f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"], additional_headers=headers
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        try:
            return {"closed": None, "first": json.loads(await asyncio.wait_for(ws.recv(), 10))}
        except Exception as exc:  # closed for want of credentials, after the handshake
            return {"closed": getattr(getattr(exc, "rcvd", None), "code", None)}


@pytest.mark.parametrize("origin", [ALLOWED, None], ids=["allowed-origin", "no-origin"])
async def test_websocket_handshakes_from_allowed_origins_are_accepted(cross_origin, origin):
    answer = await handshake(cross_origin, origin)

    # Accepted: the protocol runs (and, with no credentials, closes with its own 4403).
    assert answer == {"closed": 4403}


async def test_websocket_handshakes_from_other_origins_are_refused(cross_origin):
    with pytest.raises(InvalidStatus) as refused:
        await handshake(cross_origin, "https://evil.example")

    assert refused.value.response.status_code == 403
