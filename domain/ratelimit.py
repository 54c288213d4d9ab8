"""Rate limits on top of the ``limits`` library (moving window; in-process or Redis storage).

The moving-window strategy counts every hit in the trailing window exactly, so a burst that
straddles a window edge is still held to N, with no 2N burst as a fixed window allows. When the
Redis storage fails, limits fall back to a per-process memory storage: degraded, never unlimited.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from domain.errors import RateLimited
from storage.redis_guard import RedisCircuit

log = logging.getLogger("modelserve.ratelimit")


@dataclass(frozen=True, slots=True)
class Rate:
    """``amount`` hits per ``seconds``."""

    amount: int
    seconds: int

    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.amount, self.seconds)


class RateLimiter:
    def __init__(self, redis_url: str | None = None, circuit: RedisCircuit | None = None) -> None:
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        self.degraded = False
        # One limit check makes several Redis calls: the circuit bounds them to one timeout.
        self._circuit = circuit or RedisCircuit(timeout_s=1.0, retry_s=1.0)
        if redis_url:
            storage: Storage = storage_from_string(
                "async+" + redis_url, implementation="redispy", socket_timeout=1.0
            )
            self._shared = MovingWindowRateLimiter(storage)

    async def _call(self, method: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self._shared is not None:
            try:
                shared = self._shared
                result = await self._circuit.call(lambda: getattr(shared, method)(*args, **kwargs))
                if self.degraded:
                    log.info("rate limiter storage recovered")
                self.degraded = False
                return result
            except Exception as exc:
                if not self.degraded:
                    log.warning("rate limiter storage failed, using process memory: %s", exc)
                self.degraded = True
        return await getattr(self._memory, method)(*args, **kwargs)

    async def hit(self, rate: Rate, *key: str, cost: int = 1) -> None:
        """Count ``cost`` hits; raise ``RateLimited`` when the window is already full."""
        item = rate.item()
        if not await self._call("hit", item, *key, cost=cost):
            raise RateLimited(await self.retry_after(rate, *key))

    async def record(self, rate: Rate, *key: str) -> None:
        """Count one hit where the window has room; a full window stays full, without error."""
        await self._call("hit", rate.item(), *key)

    async def used(self, rate: Rate, *key: str) -> int:
        """How many hits the trailing window holds."""
        stats = await self._call("get_window_stats", rate.item(), *key)
        return rate.amount - stats.remaining

    async def retry_after(self, rate: Rate, *key: str) -> int:
        stats = await self._call("get_window_stats", rate.item(), *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def clear(self, rate: Rate, *key: str) -> None:
        await self._call("clear", rate.item(), *key)
