"""The Redis circuit: one budget of waiting per request, open at the first timeout, one probe."""

from __future__ import annotations

import asyncio

import pytest

from storage.redis_guard import RedisCircuit, RedisUnavailable, request_budget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def answer() -> str:
    return "PONG"


async def hang() -> str:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def test_the_budget_counts_waiting_on_redis_not_the_request_s_own_work():
    circuit = RedisCircuit(timeout_s=0.05, retry_s=2)
    with request_budget(0.05):
        await asyncio.sleep(0.1)  # an upload's intake, say: longer than the whole budget
        assert await circuit.call(answer) == "PONG"
    assert (circuit.attempts, circuit.failures, circuit.skipped) == (1, 0, 0)


async def test_a_hung_redis_costs_one_timeout_then_calls_are_skipped_until_a_probe():
    clock = Clock()
    circuit = RedisCircuit(timeout_s=0.05, retry_s=2, clock=clock)
    calls = 0

    async def counted(command):
        nonlocal calls
        calls += 1
        return await command()

    # The first call waits out its timeout and opens the circuit
    with pytest.raises(RedisUnavailable):
        await circuit.call(lambda: counted(hang))
    # Every call before the probe is due fails at once, without reaching Redis
    for _ in range(5):
        with pytest.raises(RedisUnavailable):
            await circuit.call(lambda: counted(answer))
    # One probe after retry_s closes it again
    clock.now += 2.5
    assert await circuit.call(lambda: counted(answer)) == "PONG"

    assert calls == 2
    assert (circuit.failures, circuit.skipped, circuit.is_open) == (1, 5, False)


async def test_a_request_whose_budget_is_spent_skips_redis():
    circuit = RedisCircuit(timeout_s=1.0, retry_s=2)
    with request_budget(0.0), pytest.raises(RedisUnavailable):
        await circuit.call(answer)
    assert (circuit.attempts, circuit.skipped, circuit.is_open) == (0, 1, False)
