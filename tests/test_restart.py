"""A server restart seen by its subscribers (S3): closed with 1012 ("service restart") when the
process is told to stop, so that clients retry, and served again on the same address after it.

A real ``modelserve serve`` process on either backend; the client is the websockets library.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.graph.test_websocket import authenticated, closed_with, receive, send
from tests.test_crash_recovery import _start, _wait_healthy
from tests.test_faults import _create_model, _sign_up, _upload
from tests.test_shutdown import _post, _prepare_database, _tear_down

pytestmark = [pytest.mark.fault, pytest.mark.timeout(120)]

SERVICE_RESTART = 1012
PREDICTIONS = 'subscription { predictions(model: "ada/iris") { requestId status } }'
PREDICT = 'query { predict(model: "ada/iris", rows: [[0.1, 0.2, 0.3, 0.4]]) { requestId } }'


async def _subscribed(address: str, token: str):
    ws = await authenticated(address, token)
    await send(ws, {"id": "p", "type": "subscribe", "payload": {"query": PREDICTIONS}})
    return ws


async def _one_prediction_seen(http: httpx.AsyncClient, headers: dict[str, str], ws) -> None:
    # The subscription is live once a prediction made after it reaches it (any of those made
    # so far: one answered later than the wait below arrives on the next turn).
    made: set[str] = set()
    for _ in range(50):
        answer = (await _post(http, PREDICT, headers=headers)).json()
        made.add(answer["data"]["predict"]["requestId"])
        try:
            message = await receive(ws, timeout=0.5)
        except TimeoutError:
            continue
        assert message["type"] == "next", message
        assert message["payload"]["data"]["predictions"]["requestId"] in made
        return
    raise AssertionError("no prediction reached the subscriber")


async def test_subscribers_are_closed_with_1012_on_shutdown_and_resubscribe_after(tmp_path: Path):
    env, database = await _prepare_database(tmp_path)
    port = free_port()
    address = f"127.0.0.1:{port}"
    log = tmp_path / "server.log"
    server = _start(env, port, log)
    try:
        async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http:
            await _wait_healthy(http)
            headers = await _sign_up(http)
            await _upload(http, headers, await _create_model(http, headers))
            token = headers["Authorization"][len("Bearer ") :]
            ws = await _subscribed(address, token)
            await _one_prediction_seen(http, headers, ws)

            server.send_signal(signal.SIGTERM)
            code = await closed_with(ws, timeout=30)
            exit_code = await asyncio.to_thread(server.wait, 60)

            server = _start(env, port, log)
            await _wait_healthy(http)
            again = await _subscribed(address, token)
            try:
                await _one_prediction_seen(http, headers, again)
            finally:
                await again.close()
    finally:
        await _tear_down(server, database)

    assert code == SERVICE_RESTART, log.read_text(errors="replace")
    assert exit_code == 0
