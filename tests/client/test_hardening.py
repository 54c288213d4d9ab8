"""What the client and the command line refuse: a websocket redirect that would carry the
credentials elsewhere, a config dir or credentials file others control, and server text that
would drive the terminal."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import uuid

import pytest
import websockets.asyncio.server
from modelserve_client import AsyncClient, Client, ConnectionFailed

from tests.client.test_cli import logged_in, modelserve

UNSAFE_CONFIG_EXIT = 14


@pytest.fixture
async def redirect_to_listener():
    """An HTTP server answering every request with a 302 to a websocket listener that records
    the first frame anyone sends it; yields (redirecting URL, frames received)."""
    received: list[str] = []

    async def listener(ws) -> None:
        received.append(await ws.recv())

    async def redirect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:%d/graphql\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n" % listening_port
        )
        await writer.drain()
        writer.close()

    async with websockets.asyncio.server.serve(listener, "127.0.0.1", 0) as elsewhere:
        listening_port = elsewhere.sockets[0].getsockname()[1]
        redirector = await asyncio.start_server(redirect, "127.0.0.1", 0)
        port = redirector.sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}", received
        finally:
            redirector.close()
            await redirector.wait_closed()


async def test_subscriptions_never_follow_a_redirect_with_the_credentials(redirect_to_listener):
    url, received = redirect_to_listener

    async_client = AsyncClient(url, api_key="msk_not_for_elsewhere")
    with pytest.raises(ConnectionFailed):
        async for _ in async_client.subscribe_predictions("ada/iris"):
            pass
    await async_client.aclose()

    def blocking() -> None:
        with Client(url, token="not-for-elsewhere") as client:
            list(client.job_progress(str(uuid.uuid4())))

    with pytest.raises(ConnectionFailed):
        await asyncio.to_thread(blocking)
    assert received == []


async def test_a_config_dir_others_can_write_is_refused(url, ada, tmp_path):
    shared = tmp_path / "modelserve"
    shared.mkdir()
    shared.chmod(0o777)

    code, _, stderr = await modelserve("login", "--url", url, "--api-key", "msk_x", home=tmp_path)

    assert code == UNSAFE_CONFIG_EXIT, stderr
    assert "UNSAFE_CONFIG" in stderr and "Traceback" not in stderr
    assert list(shared.iterdir()) == []


async def test_a_planted_symlink_is_neither_read_nor_written_through(url, ada, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("not credentials")
    (tmp_path / "modelserve").mkdir(mode=0o700)
    planted = tmp_path / "modelserve" / "credentials.json"
    os.symlink(victim, planted)

    refused = await modelserve("models", "list", home=tmp_path)
    await logged_in(url, ada, tmp_path)

    assert refused[0] == UNSAFE_CONFIG_EXIT, refused
    assert victim.read_text() == "not credentials"
    assert not planted.is_symlink()
    assert stat.S_IMODE(planted.stat().st_mode) == 0o600
    assert json.loads(planted.read_text())["username"] == "ada"


async def test_a_credentials_file_open_to_others_is_refused(url, ada, tmp_path):
    await logged_in(url, ada, tmp_path)
    (tmp_path / "modelserve" / "credentials.json").chmod(0o644)

    code, _, stderr = await modelserve("models", "list", home=tmp_path)

    assert code == UNSAFE_CONFIG_EXIT and "UNSAFE_CONFIG" in stderr, stderr


async def test_server_text_cannot_drive_the_terminal(url, ada, tmp_path):
    hostile = "[bold red]RICH[/] \x1b[31mANSI\x1b[0m \x1b]8;;http://evil/\x07link\u202egnp.exe"
    await logged_in(url, ada, tmp_path)
    client = AsyncClient(url)
    await client.login(ada["email"], ada["password"])
    await client.create_model("hostile", description=hostile)
    await client.aclose()

    code, stdout, stderr = await modelserve("models", "list", home=tmp_path)

    assert code == 0, stderr
    assert "[bold red]RICH[/]" in stdout  # shown as written, not read as markup
    assert "\x1b" not in stdout and "\x07" not in stdout and "\u202e" not in stdout
