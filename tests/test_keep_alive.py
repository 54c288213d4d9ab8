"""``modelserve serve`` keeps idle connections open past a load balancer's idle timeout.

uvicorn's own default (5 s) is shorter than what proxies and client pools keep an idle
connection for, so a request sent as the server closed the connection failed with a reset
(seen once in the load test). A real server process and a raw HTTP/1.1 connection.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import uvicorn

from graph import cli
from settings import get_settings
from tests.conftest import free_port
from tests.test_shutdown import ROOT, _prepare_database, _tear_down

pytestmark = pytest.mark.timeout(120)

HEALTH = b"GET /healthz HTTP/1.1\r\nHost: modelserve\r\n\r\n"


async def _serving(tmp_path: Path, **settings: str) -> tuple[subprocess.Popen[bytes], int, str]:
    env, database = await _prepare_database(tmp_path)
    env |= {f"MODELSERVE_{k.upper()}": v for k, v in settings.items()}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return server, port, database or ""
        except OSError:
            assert server.poll() is None, "the server exited"
            await asyncio.sleep(0.1)
    raise AssertionError("the server did not start")


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(HEALTH)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await asyncio.wait_for(reader.readexactly(length), 30)
    return head.split(b"\r\n", 1)[0]


async def test_an_idle_connection_is_still_served_after_uvicorns_default_keep_alive(tmp_path):
    server, port, database = await _serving(tmp_path)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await _answer(reader, writer) == b"HTTP/1.1 200 OK"
        # Idle longer than uvicorn's default of 5 s
        await asyncio.sleep(7)
        assert await _answer(reader, writer) == b"HTTP/1.1 200 OK"
        writer.close()
    finally:
        await _tear_down(server, database or None)


def test_serve_hands_the_setting_to_uvicorn(monkeypatch, tmp_path):
    given: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: given.update(kwargs))
    monkeypatch.setattr(cli.signal, "signal", lambda *_args: None)  # pytest keeps its handlers
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("MODELSERVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MODELSERVE_KEEP_ALIVE_S", "42")
    get_settings.cache_clear()
    try:
        assert cli.main(["serve", "--port", str(free_port())]) == 0
    finally:
        get_settings.cache_clear()
    assert given["timeout_keep_alive"] == 42.0
