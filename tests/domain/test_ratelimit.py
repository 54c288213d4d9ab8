"""The in-process moving window: the library's answers, without its tasks and thread hops."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest
import time_machine
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from domain.errors import RateLimited
from domain.ratelimit import MovingWindowMemory, Rate, RateLimiter

START = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


async def test_every_hit_and_window_agrees_with_the_library_storage():
    ours = MovingWindowRateLimiter(MovingWindowMemory())
    library = MovingWindowRateLimiter(MemoryStorage())
    item = Rate(10, 60).item()
    draw = random.Random(7)
    answers: list[tuple[bool, int, int]] = []
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(400):
            # Irregular steps: the library's hit counts a hit exactly `expiry` old, its window
            # does not; that instant is left out of the comparison.
            clock.shift(draw.choice([0.0, 1.0, 8.0, 30.0]) * draw.uniform(0.9, 1.1))
            cost = draw.choice([1, 1, 2, 5, 11])
            got = await ours.hit(item, "k", cost=cost)
            want = await library.hit(item, "k", cost=cost)
            mine, theirs = (
                await ours.get_window_stats(item, "k"),
                await library.get_window_stats(item, "k"),
            )
            assert (got, mine.remaining) == (want, theirs.remaining)
            if mine.remaining < item.amount:  # a counted hit: the same reset time
                assert mine.reset_time == theirs.reset_time
            answers.append((got, cost, mine.remaining))
    # The sequence exercised both answers and a full window.
    assert {a[0] for a in answers} == {True, False}
    assert min(a[2] for a in answers) == 0


async def test_a_full_window_refuses_until_its_oldest_hit_leaves_then_clear_empties_it():
    limiter = RateLimiter()
    rate = Rate(3, 60)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(3):
            await limiter.record(rate, "caller")
        assert await limiter.used(rate, "caller") == 3
        assert (await limiter.window(rate, "caller")).resets_in_s == 60
        clock.shift(59)
        with pytest.raises(RateLimited) as refused:
            await limiter.charge(rate, "caller", cost=1, name="predictions")
        assert (refused.value.limit, refused.value.remaining) == (3, 0)
        clock.shift(2)
        assert await limiter.charge(rate, "caller", cost=2) == 2
        assert await limiter.used(rate, "caller") == 2
        await limiter.clear(rate, "caller")
        assert await limiter.used(rate, "caller") == 0


async def test_hits_start_no_task_and_idle_keys_are_swept():
    storage = MovingWindowMemory()
    storage.SWEEP_EVERY = 100
    limiter = MovingWindowRateLimiter(storage)
    item = Rate(1_000, 1).item()
    tasks_before = len(asyncio.all_tasks())
    with time_machine.travel(START, tick=False) as clock:
        for n in range(99):
            assert await limiter.hit(item, f"key-{n}")
        assert len(asyncio.all_tasks()) == tasks_before
        assert len(storage._windows) == 99
        clock.shift(2)  # every window has emptied; the 100th hit sweeps them
        assert await limiter.hit(item, "fresh")
    assert list(storage._windows) == [item.key_for("fresh")]
