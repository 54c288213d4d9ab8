"""Sessions that outlive their access token: the client and the CLI refresh it, once at a time.

The server here issues access tokens of a few seconds (and no leeway), so a test reaches their
expiry; the server counts the refresh tokens it is shown, which must never repeat (a repeated
one would end the session).
"""

from __future__ import annotations

import asyncio
import json
import stat
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from modelserve_client import AsyncClient, Unauthenticated

from graph.app import create_app
from tests import factories
from tests.client.test_cli import logged_in, modelserve
from tests.clients.conftest import serve
from tests.conftest import make_settings

# Long enough that a fresh token is not yet within the client's refresh margin (a tenth of its
# life, on claims of whole seconds) while a few CLI processes start on a busy machine.
ACCESS_TTL_S = 8
HANG_GUARD_S = 60


class Server:
    """A live server with short-lived access tokens, and the refresh tokens it was shown."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.refreshes: list[str] = []


@pytest.fixture
async def short_lived(app: Any, settings: Any) -> AsyncIterator[Server]:
    base = make_settings(
        settings.data_dir, settings.database_url, artifact_store_url=settings.artifact_store_url
    )
    # Below the production floor of 60 s on purpose (model_copy does not re-validate): the
    # test waits for expiry rather than forging tokens.
    quick = base.model_copy(update={"access_token_ttl_s": ACCESS_TTL_S, "jwt_leeway_s": 0})
    second = create_app(quick)
    second.state.services.start()
    accounts = second.state.services.accounts
    server = Server("")
    # The live server runs in this process: count what its refresh mutation is given.
    refresh = accounts.refresh

    async def counted(*, refresh_token: str) -> Any:
        server.refreshes.append(refresh_token)
        return await refresh(refresh_token=refresh_token)

    accounts.refresh = counted
    running, task, address = await serve(second)
    server.url = f"http://{address}"
    try:
        yield server
    finally:
        running.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        await second.state.services.close()


async def expired(url: str, token: str) -> None:
    """Wait until the server refuses ``token`` (it expired)."""
    deadline = time.monotonic() + HANG_GUARD_S
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            answer = await http.post(
                f"{url}/graphql",
                json={"query": "{ me { id } }"},
                headers={"authorization": f"Bearer {token}"},
            )
            if answer.status_code == 401:
                return
            await asyncio.sleep(0.2)
    raise AssertionError("the access token never expired")


def stored(home: Any) -> dict[str, Any]:
    return json.loads((home / "modelserve" / "credentials.json").read_text())


async def test_a_cli_command_after_expiry_works_without_a_new_login(short_lived, ada, tmp_path):
    # Given a CLI login whose access token has expired
    await logged_in(short_lived.url, ada, tmp_path)
    before = stored(tmp_path)
    assert before["token"] and before["refresh_token"]
    await expired(short_lived.url, before["token"])

    # When a command runs
    code, stdout, stderr = await modelserve("models", "list", "--json", home=tmp_path)

    # Then it succeeds after one refresh, and the rotated pair is stored, still 0600
    assert (code, json.loads(stdout)) == (0, []), stderr
    assert short_lived.refreshes == [before["refresh_token"]]
    after = stored(tmp_path)
    assert after["token"] != before["token"]
    assert after["refresh_token"] != before["refresh_token"]
    path = tmp_path / "modelserve" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # And after the next expiry the next command refreshes with the rotated token, not the old
    await expired(short_lived.url, after["token"])
    code, _, stderr = await modelserve("models", "list", home=tmp_path)
    assert code == 0, stderr
    assert short_lived.refreshes == [before["refresh_token"], after["refresh_token"]]


async def test_two_cli_commands_after_expiry_share_one_refresh(short_lived, ada, tmp_path):
    # Given a CLI login whose access token has expired
    await logged_in(short_lived.url, ada, tmp_path)
    before = stored(tmp_path)
    await expired(short_lived.url, before["token"])

    # When two commands start at once (two processes sharing the stored tokens)
    results = await asyncio.gather(
        *(modelserve("models", "list", "--json", home=tmp_path) for _ in range(2))
    )

    # Then one refreshes and the other carries the pair it stored: the session lives on
    assert [code for code, _, _ in results] == [0, 0], results
    assert short_lived.refreshes == [before["refresh_token"]]
    code, _, stderr = await modelserve("models", "list", home=tmp_path)
    assert code == 0, stderr
    assert len(short_lived.refreshes) == 1


async def test_concurrent_calls_after_expiry_refresh_once(short_lived, ada):
    # Given an async client whose access token has expired
    client = AsyncClient(short_lived.url)
    session = await client.login(ada["email"], ada["password"])
    await expired(short_lived.url, session.access_token)

    # When eight calls run at once
    answers = await asyncio.gather(*(client.me() for _ in range(8)))

    # Then they all succeed on one refresh
    assert [a["email"] for a in answers] == [ada["email"]] * 8
    assert short_lived.refreshes == [session.refresh_token]
    assert client.refresh_token != session.refresh_token
    await client.aclose()


async def test_a_revoked_session_exits_3_after_one_refused_refresh(short_lived, ada, tmp_path):
    # Given a CLI login whose session was ended elsewhere
    await logged_in(short_lived.url, ada, tmp_path)
    before = stored(tmp_path)
    async with httpx.AsyncClient() as http:
        ended = await http.post(
            f"{short_lived.url}/graphql",
            json={"query": "mutation { logout { ok } }"},
            headers={"authorization": f"Bearer {before['token']}"},
        )
    assert ended.json()["data"] == {"logout": {"ok": True}}

    # When a command runs
    code, _, stderr = await modelserve("models", "list", home=tmp_path)

    # Then it exits as unauthenticated, having tried the refresh token once
    assert code == 3 and "UNAUTHENTICATED" in stderr and "Traceback" not in stderr
    assert short_lived.refreshes == [before["refresh_token"]]


async def test_a_subscription_resumes_with_a_fresh_token_after_expiry(short_lived, ada):
    # Given a model and a subscriber to its predictions
    client = AsyncClient(short_lived.url)
    session = await client.login(ada["email"], ada["password"])
    await client.upload(factories.logistic_regression(), name="iris")
    events = client.subscribe_predictions("iris")
    first = asyncio.ensure_future(anext(events))

    # When the access token expires (the server ends the stream with 4403) and predictions go on
    await expired(short_lived.url, session.access_token)
    deadline = time.monotonic() + HANG_GUARD_S
    while not first.done() and time.monotonic() < deadline:
        await client.predict("iris", [[1.0, 2.0, 3.0, 4.0]])
        await asyncio.sleep(0.3)

    # Then an event arrives on the resumed stream, after exactly one refresh
    event = await asyncio.wait_for(first, HANG_GUARD_S)
    assert event.status == "ok"
    assert short_lived.refreshes == [session.refresh_token]
    await events.aclose()
    await client.aclose()


async def test_a_subscription_the_server_closes_with_4403_raises_unauthenticated(url, ada):
    # Given a subscriber to a model's predictions
    client = AsyncClient(url)
    session = await client.login(ada["email"], ada["password"])
    await client.upload(factories.logistic_regression(), name="iris")
    events = client.subscribe_predictions("iris")
    first = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.5)  # connected and subscribed

    # When the session ends elsewhere (the server closes the socket with 4403)
    async with httpx.AsyncClient() as http:
        await http.post(
            f"{url}/graphql",
            json={"query": "mutation { logout { ok } }"},
            headers={"authorization": f"Bearer {session.access_token}"},
        )

    # Then the stream raises Unauthenticated
    with pytest.raises(Unauthenticated) as closed:
        await asyncio.wait_for(first, HANG_GUARD_S)
    assert closed.value.code == "UNAUTHENTICATED"
    assert "4403" in closed.value.message
    await client.aclose()
