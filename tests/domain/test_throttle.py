"""The guessing policy over time: delays grow to 30 s, the day's cap holds, the owner is free.

Runs on process memory with the clock moved by time-machine, so a day passes in no time.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from domain.accounts.throttle import GuessThrottle, ThrottlePolicy
from domain.errors import RateLimited
from domain.ratelimit import Rate, RateLimiter

START = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(
    per_address=Rate(30, 60), per_account_address=Rate(5, 900), slow_after=5, daily_failures=12
)


def test_the_delay_doubles_from_one_second_up_to_thirty():
    assert [POLICY.delay_s(f) for f in range(4, 13)] == [0, 1, 2, 4, 8, 16, 30, 30, 30]


async def test_failed_addresses_are_spaced_then_capped_for_the_day_while_a_fresh_one_is_not():
    throttle = GuessThrottle(RateLimiter(), POLICY, "login")
    account = "ada@example.com"
    with time_machine.travel(START, tick=False) as clock:
        # Five addresses fail once each: the account is now being guessed.
        for n in range(5):
            await throttle.failed(await throttle.reserve(account=account, address=f"10.0.0.{n}"))

        # Failed addresses may guess again only once each delay has passed.
        waits: list[int] = []
        passed_at: list[float] = []
        for n in range(100):
            try:
                attempt = await throttle.reserve(account=account, address=f"10.0.0.{n % 5}")
            except RateLimited as limited:
                if limited.retry_after > POLICY.max_delay_s:
                    daily_refusal = limited.retry_after
                    break
                waits.append(limited.retry_after)
                # A client that waits as told (a moment after the window moves on).
                clock.shift(timedelta(seconds=limited.retry_after, milliseconds=1))
                continue
            assert attempt.from_failed_address
            passed_at.append(time.time())
            await throttle.failed(attempt)

        # The owner, from an address with no failures, is not held back at all.
        owner = await throttle.reserve(account=account, address="192.0.2.1")
        await throttle.succeeded(owner)

    assert waits and max(waits) <= POLICY.max_delay_s
    gaps = [round(b - a) for a, b in itertools.pairwise(passed_at)]
    assert gaps == [2, 4, 8, 16, 30, 30]
    assert daily_refusal > 3600  # the rest of the day
    assert not owner.from_failed_address


async def test_the_per_pair_limit_refuses_the_sixth_attempt_even_with_the_delay_passed():
    throttle = GuessThrottle(RateLimiter(), POLICY, "login")
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(5):
            await throttle.failed(await throttle.reserve(account="a@x.io", address="10.0.0.1"))
            clock.shift(timedelta(seconds=31))
        with pytest.raises(RateLimited):
            await throttle.reserve(account="a@x.io", address="10.0.0.1")
