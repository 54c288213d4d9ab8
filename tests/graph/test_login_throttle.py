"""Password guessing limits: concurrent guesses all count, the owner still gets in.

Each address is its own httpx client on the session app (the ASGI transport sets the peer).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from storage import tables
from tests.conftest import DEFAULT_PASSWORD, LOGIN
from tests.graph.test_accounts import CHANGE_PASSWORD
from tests.graph.test_tokens import post

WRONG = "wrong password!"
Address = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def address(app: Any) -> AsyncIterator[Address]:
    """``address("10.0.0.7")``: a client whose requests come from that address."""
    async with AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}

        def at(ip: str) -> httpx.AsyncClient:
            if ip not in clients:
                transport = httpx.ASGITransport(app=app, client=(ip, 40000))
                clients[ip] = httpx.AsyncClient(transport=transport, base_url="http://testserver")
                stack.push_async_callback(clients[ip].aclose)
            return clients[ip]

        yield at


def outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    payload = next(iter(body["data"].values()))
    return payload["__typename"]


async def login(http: httpx.AsyncClient, password: str, email: str = "ada@example.com") -> Any:
    return await post(http, LOGIN, {"email": email, "password": password})


@pytest.fixture
def verify_calls(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check the app starts from now on."""
    hashing = app.state.services.hashing
    calls: list[str] = []
    original = hashing.verify

    async def spy(*args: Any) -> Any:
        calls.append("verify")
        return await original(*args)

    monkeypatch.setattr(hashing, "verify", spy)
    return calls


async def test_concurrent_guesses_count_before_hashing(signup, address, verify_calls, settings):
    # Given an account and twenty guesses sent at once from one address, the right one last
    await signup()
    checked_before = len(verify_calls)
    attacker = address("203.0.113.9")
    guesses = [WRONG] * 19 + [DEFAULT_PASSWORD]

    # When they all race
    results = await asyncio.gather(*(login(attacker, g) for g in guesses))

    # Then only the first five were checked at all; the rest never reached a hash
    outcomes = [outcome(r) for r in results]
    allowed = settings.login_failures_per_account
    assert len(verify_calls) - checked_before == allowed
    assert outcomes.count("RATE_LIMITED") == len(guesses) - allowed
    # The right guess logs in only if it was among the five checked (arrival order decides).
    logged_in = outcomes.count("AuthPayload")
    assert await tables.Session.all().count() == 1 + logged_in


async def test_the_owner_gets_in_while_the_account_is_being_guessed(signup, address):
    # Given an attacker who has spent every guess their addresses have against the account
    await signup()
    for n in range(12):
        bot = address(f"198.51.100.{n}")
        for _ in range(2):
            await login(bot, WRONG)
    refused = await login(address("198.51.100.0"), DEFAULT_PASSWORD)

    # When the owner logs in from their own address
    owner = await login(address("192.0.2.1"), DEFAULT_PASSWORD)

    # Then the owner is in, and a failed address is still held back even with the password
    assert outcome(owner) == "AuthPayload"
    assert outcome(refused) == "RATE_LIMITED"
    assert 1 <= refused["errors"][0]["extensions"]["retryAfter"] <= 30


async def test_guesses_from_failed_addresses_are_spaced(signup, address, verify_calls):
    # Given an account failed from five addresses once each (none over its own limit)
    await signup()
    failed = [address(f"198.51.100.{n}") for n in range(5)]
    for http in failed:
        assert outcome(await login(http, WRONG)) == "InvalidCredentialsError"
    checked_before = len(verify_calls)

    # When those addresses guess again at once, and again after the wait they were told
    early = await asyncio.gather(*(login(http, WRONG) for http in failed))
    waits = [r["errors"][0]["extensions"]["retryAfter"] for r in early if r.get("errors")]
    await asyncio.sleep(max(waits) + 0.2)
    burst = await asyncio.gather(*(login(http, WRONG) for http in failed))

    # Then nothing was checked early, one guess of the later burst was, every wait is at most
    # 30 s, and a fresh address is checked as usual
    assert [outcome(r) for r in early] == ["RATE_LIMITED"] * 5
    assert all(1 <= w <= 30 for w in waits)
    assert sorted(outcome(r) for r in burst) == ["InvalidCredentialsError"] + ["RATE_LIMITED"] * 4
    assert len(verify_calls) == checked_before + 1
    assert outcome(await login(address("198.51.100.99"), WRONG)) == "InvalidCredentialsError"


async def test_change_password_guesses_are_throttled(signup, address, settings):
    # Given a stolen access token used from one address to guess the current password
    user = await signup()
    thief = address("203.0.113.50")
    token = user["accessToken"]

    async def change(http: httpx.AsyncClient, current: str) -> dict[str, Any]:
        variables = {"current": current, "new": "a brand new passphrase"}
        return await post(http, CHANGE_PASSWORD, variables, token=token)

    # When it guesses more often than a login may
    guesses = await asyncio.gather(
        *(
            change(thief, f"guess number {n}")
            for n in range(settings.login_failures_per_account + 3)
        )
    )

    # Then the extra guesses are refused before any check, and the owner can still change it
    outcomes = [outcome(g) for g in guesses]
    assert outcomes.count("ValidationError") == settings.login_failures_per_account
    assert outcomes.count("RATE_LIMITED") == 3
    owner = await change(address("192.0.2.1"), DEFAULT_PASSWORD)
    assert outcome(owner) == "ChangePasswordSuccess"
