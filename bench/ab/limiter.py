"""A/B: the in-process rate limiter, limits' MemoryStorage against MovingWindowMemory.

    .venv/bin/python -m bench.ab.limiter

Two hits per request (the caller's budget and the model's quota), as a prediction makes, and a
yield to the loop between requests so the library's expiry task gets its turns.
"""

from __future__ import annotations

import asyncio
import time

from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from domain.ratelimit import MovingWindowMemory, Rate

HOPS = {"to_thread": 0}
_to_thread = asyncio.to_thread


async def _counting_to_thread(*args, **kwargs):  # type: ignore[no-untyped-def]
    HOPS["to_thread"] += 1
    return await _to_thread(*args, **kwargs)


async def run(storage: MemoryStorage, requests: int = 4000) -> tuple[float, float]:
    limiter = MovingWindowRateLimiter(storage)
    caller, model = Rate(100_000, 60).item(), Rate(100_000, 60).item()
    HOPS["to_thread"] = 0
    started = time.perf_counter()
    for _ in range(requests):
        await limiter.hit(caller, "predictions", "user")
        await limiter.hit(model, "model", "m1")
        await asyncio.sleep(0)
    seconds = time.perf_counter() - started
    return seconds / requests * 1e6, HOPS["to_thread"] / requests


async def main() -> None:
    asyncio.to_thread = _counting_to_thread
    for round_ in range(4):
        for name, make in (("library", MemoryStorage), ("ours", MovingWindowMemory)):
            us, hops = await run(make())
            print(f"round {round_} {name:8s} {us:8.1f} us/request, {hops:.2f} thread hops/request")


if __name__ == "__main__":
    asyncio.run(main())
