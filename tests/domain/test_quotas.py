"""The limiter and the quota service: window edges, concurrency, shared Redis, Redis down, keys.

Each runs on the backend's storage (process memory, or Redis when MODELSERVE_TEST_REDIS_URL is
set); the clock moves with time-machine, whose time the ``limits`` strategies read on both.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from domain.accounts.caller import ALL_SCOPES, AuthMethod, Caller
from domain.errors import RateLimited
from domain.quotas import QuotaPolicy, Quotas, caller_key
from domain.ratelimit import Rate, RateLimiter
from storage import tables
from storage.redis_guard import RedisCircuit
from tests.conftest import TEST_REDIS_URL, free_port
from tests.test_faults import private_redis

START = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


def backend_limiter() -> RateLimiter:
    return RateLimiter(TEST_REDIS_URL)


async def accepted(limiter: RateLimiter, rate: Rate, key: str, hits: int) -> int:
    """How many of ``hits`` concurrent one-unit charges the limiter accepts."""

    async def one() -> bool:
        try:
            await limiter.charge(rate, "test", key)
        except RateLimited:
            return False
        return True

    return sum(await asyncio.gather(*(one() for _ in range(hits))))


async def test_a_burst_straddling_the_window_edge_is_held_to_n():
    # Given a limit of 5 a minute, moving window
    limiter, rate, key = backend_limiter(), Rate(5, 60), uuid.uuid4().hex
    with time_machine.travel(START, tick=False) as clock:
        # When 5 arrive just before the first minute ends and 5 just after it
        clock.move_to(START + timedelta(seconds=59.5))
        before = await accepted(limiter, rate, key, 5)
        clock.move_to(START + timedelta(seconds=60.5))
        after = await accepted(limiter, rate, key, 5)
        # Then 5 of the 10 pass, not 10 as a fixed window would let through
        assert (before, after) == (5, 0)
        # And once the first 5 are a minute old, 5 more pass
        clock.move_to(START + timedelta(seconds=119.6))
        assert await accepted(limiter, rate, key, 6) == 5


async def test_fifty_concurrent_charges_on_a_limit_of_ten_accept_exactly_ten():
    limiter = backend_limiter()
    assert await accepted(limiter, Rate(10, 60), uuid.uuid4().hex, 50) == 10


async def test_a_refusal_carries_consistent_figures_and_weights_count():
    limiter, rate, key = backend_limiter(), Rate(10, 60), uuid.uuid4().hex
    assert await limiter.charge(rate, "test", key, cost=7) == 7
    with pytest.raises(RateLimited) as refused:
        await limiter.charge(rate, "test", key, cost=4, name="predictions")
    assert (refused.value.limit, refused.value.remaining) == (10, 3)
    assert refused.value.limited_by == "predictions"
    assert 1 <= refused.value.retry_after <= 60
    window = await limiter.window(rate, "test", key)
    assert (window.used, window.remaining, window.seconds) == (7, 3, 60)
    assert 1 <= window.resets_in_s <= 60


async def test_a_cost_over_the_whole_limit_spends_the_whole_limit():
    limiter, rate, key = backend_limiter(), Rate(10, 60), uuid.uuid4().hex
    assert await limiter.charge(rate, "test", key, cost=101) == 10
    assert (await limiter.window(rate, "test", key)).remaining == 0


async def test_two_limiters_sharing_one_redis_enforce_one_limit(tmp_path):
    # Given two limiters (as in two server processes) on one Redis
    with private_redis(tmp_path) as (_redis, port):
        url = f"redis://127.0.0.1:{port}/0"
        first, second = RateLimiter(url), RateLimiter(url)
        rate, key = Rate(10, 60), uuid.uuid4().hex
        # When 50 charges arrive at once, half at each
        counts = await asyncio.gather(
            accepted(first, rate, key, 25), accepted(second, rate, key, 25)
        )
        # Then exactly 10 pass in all, and neither limiter fell back
        assert sum(counts) == 10
        assert (first.fallbacks, second.fallbacks) == (0, 0)
        assert not first.degraded and not second.degraded


async def test_with_redis_down_limits_hold_in_process_memory(tmp_path):
    # Given a limiter whose Redis is killed after one charge
    with private_redis(tmp_path) as (redis, port):
        limiter = RateLimiter(
            f"redis://127.0.0.1:{port}/0", circuit=RedisCircuit(timeout_s=1.0, retry_s=60.0)
        )
        rate, key = Rate(10, 60), uuid.uuid4().hex
        assert await accepted(limiter, rate, key, 1) == 1
        assert not limiter.degraded
        redis.kill()
        redis.wait()
        # When 15 more charges arrive
        passed = await accepted(limiter, rate, key, 15)
    # Then process memory counts them: 10 pass (never unlimited), and the fallback shows
    assert passed == 10
    assert limiter.degraded
    assert limiter.fallbacks >= 15


async def test_an_unreachable_redis_from_the_start_is_limited_too():
    limiter = RateLimiter(f"redis://127.0.0.1:{free_port()}/0")
    assert await accepted(limiter, Rate(3, 60), uuid.uuid4().hex, 5) == 3
    assert limiter.degraded and limiter.fallbacks >= 5


def test_a_prediction_costs_one_unit_plus_one_per_hundred_rows():
    quotas = Quotas(
        limiter=RateLimiter(),
        policy=QuotaPolicy(
            prediction_units_per_minute=600, prediction_rows_per_unit=100, uploads_per_hour=30
        ),
    )
    costs = [quotas.prediction_cost(rows) for rows in (0, 1, 99, 100, 1000, 10_000)]
    assert costs == [1, 1, 1, 2, 11, 101]


def _caller(user_id: uuid.UUID, key_id: uuid.UUID | None = None) -> Caller:
    return Caller(
        user_id=user_id,
        email="ada@example.com",
        role=tables.Role.USER,
        method=AuthMethod.API_KEY if key_id else AuthMethod.SESSION,
        scopes=ALL_SCOPES,
        expires_at=None,
        session_id=None if key_id else uuid.uuid4(),
        key_id=key_id,
    )


async def test_each_api_key_and_the_users_sessions_spend_separate_budgets(app):
    # Given one user's session, and two API keys of the same user, on a limit of 3 units
    quotas: Quotas = app.state.services.quotas
    user = await tables.User.create(email="ada@example.com", username="ada", password_hash="-")
    await tables.UserLimits.create(user_id=user.id, prediction_units_per_minute=3)
    session = _caller(user.id)
    first_key, second_key = _caller(user.id, uuid.uuid4()), _caller(user.id, uuid.uuid4())
    assert caller_key(session) == ("user", str(user.id))
    assert caller_key(first_key) == ("key", str(first_key.key_id))
    # When the first key spends its budget
    for _ in range(3):
        await quotas.charge_caller(caller=first_key, rows=1)
    with pytest.raises(RateLimited):
        await quotas.charge_caller(caller=first_key, rows=1)
    # Then the other key and the session still have theirs
    await quotas.charge_caller(caller=second_key, rows=1)
    await quotas.charge_caller(caller=session, rows=250)
    assert (await quotas.usage(caller=session)).predictions.used == 3
    assert (await quotas.usage(caller=second_key)).predictions.used == 1
    assert (await quotas.usage(caller=first_key)).predictions.remaining == 0


async def test_concurrent_requests_on_a_cold_cache_read_the_limits_once(app, monkeypatch):
    # Given a user with an override and a model with a quota, neither cached
    quotas: Quotas = app.state.services.quotas
    user = await tables.User.create(email="ada@example.com", username="ada", password_hash="-")
    await tables.UserLimits.create(user_id=user.id, prediction_units_per_minute=500)
    quotas.clear_cache()
    reads: list[uuid.UUID] = []
    original = tables.UserLimits.get_or_none

    def counted(*args, **kwargs):
        reads.append(kwargs["user_id"])
        return original(*args, **kwargs)

    monkeypatch.setattr(tables.UserLimits, "get_or_none", counted)
    # When 50 requests of that user are charged at once
    caller = _caller(user.id)
    await asyncio.gather(*(quotas.charge_caller(caller=caller, rows=1) for _ in range(50)))
    # Then the override was read once, and every charge counted against it
    assert reads == [user.id]
    window = (await quotas.usage(caller=caller)).predictions
    assert (window.used, window.limit) == (50, 500)
