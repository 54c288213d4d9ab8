"""Single-flight: one call for concurrent callers of a key; failures reach them all."""

from __future__ import annotations

import asyncio

import pytest

from domain.singleflight import SingleFlight


async def test_concurrent_callers_share_one_call():
    flights = SingleFlight()
    calls = 0

    async def lookup() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return 42

    results = await asyncio.gather(*(flights.do("k", lookup) for _ in range(64)))
    assert results == [42] * 64
    assert calls == 1
    assert await flights.do("k", lookup) == 42  # done: the next miss calls again
    assert calls == 2


async def test_a_failure_reaches_every_caller_and_is_not_kept():
    flights = SingleFlight()

    async def broken() -> int:
        await asyncio.sleep(0.01)
        raise LookupError("gone")

    results = await asyncio.gather(
        *(flights.do("k", broken) for _ in range(3)), return_exceptions=True
    )
    assert [type(r) for r in results] == [LookupError] * 3
    with pytest.raises(LookupError):
        await flights.do("k", broken)


async def test_one_caller_giving_up_does_not_cancel_the_others():
    flights = SingleFlight()

    async def slow() -> str:
        await asyncio.sleep(0.05)
        return "done"

    impatient = asyncio.create_task(flights.do("k", slow))
    patient = asyncio.create_task(flights.do("k", slow))
    await asyncio.sleep(0.01)
    impatient.cancel()
    assert await patient == "done"
