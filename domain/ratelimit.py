"""Rate limits on top of the ``limits`` library (moving window; in-process or Redis storage).

The moving-window strategy counts every hit in the trailing window exactly, so a burst that
straddles a window edge is still held to N, with no 2N burst as a fixed window allows. When the
Redis storage fails, limits fall back to a per-process memory storage: degraded, never unlimited.

A ``Rate`` made with ``keyed_by_amount=False`` keeps its count when its amount changes (a quota
raised or lowered mid-window): its storage key names the window, not the limit. ``charge`` spends
a weighted cost and reports the window (``Window``) when it refuses; ``window`` reads one.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from domain.errors import RateLimited
from storage.redis_guard import RedisCircuit

log = logging.getLogger("modelserve.ratelimit")


class _Hits:
    """One key's hits in its trailing window, oldest first, and their total cost."""

    __slots__ = ("expiry", "hits", "total")

    def __init__(self, expiry: float) -> None:
        self.expiry = expiry
        self.hits: deque[tuple[float, int]] = deque()
        self.total = 0

    def expire(self, now: float) -> None:
        cutoff = now - self.expiry
        hits = self.hits
        while hits and hits[0][0] < cutoff:
            self.total -= hits.popleft()[1]


class MovingWindowMemory(MemoryStorage):
    """The in-process moving window, without the library storage's per-call cost.

    ``limits``' memory storage keeps one list entry per unit spent, newest first (each hit
    shifts the whole list), and every hit schedules a task that walks every key through
    ``asyncio.to_thread``: under load that thread hop was the largest cost in a prediction's
    CPU profile. Here each key holds its hits oldest first as ``(time, cost)`` with a running
    total: a hit appends, expired hits leave from the left, and no task or thread is involved.
    The rule is the library's: a hit of ``amount`` is refused when the trailing ``expiry``
    seconds already hold more than ``limit - amount``.
    """

    # Every this many hits, keys whose window has emptied are dropped, so memory stays bounded
    # by the keys active within their window.
    SWEEP_EVERY = 10_000

    def __init__(self) -> None:
        super().__init__()
        self._windows: dict[str, _Hits] = {}
        self._acquired = 0

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Hits(expiry)
        window.expire(now)
        if window.total + amount > limit:
            return False
        window.hits.append((now, amount))
        window.total += amount
        self._acquired += 1
        if self._acquired % self.SWEEP_EVERY == 0:
            self._sweep(now)
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        window = self._windows.get(key)
        if window is None:
            return now, 0
        window.expire(now)
        return (window.hits[0][0], window.total) if window.hits else (now, 0)

    async def clear(self, key: str) -> None:
        self._windows.pop(key, None)
        await super().clear(key)

    async def reset(self) -> int | None:
        self._windows.clear()
        return await super().reset()

    def _sweep(self, now: float) -> None:
        for key, window in list(self._windows.items()):
            window.expire(now)
            if not window.hits:
                del self._windows[key]


class _CountAcrossAmounts(RateLimitItemPerSecond):
    """A limit whose storage key leaves out the amount: changing the amount keeps the count."""

    def key_for(self, *identifiers: str | int | float | bytes) -> str:
        parts = [self.namespace, *(str(i) for i in identifiers), str(self.multiples), "second"]
        return "/".join(parts)


@dataclass(frozen=True, slots=True)
class Rate:
    """``amount`` hits per ``seconds``."""

    amount: int
    seconds: int
    keyed_by_amount: bool = True

    def item(self) -> RateLimitItem:
        if self.keyed_by_amount:
            return RateLimitItemPerSecond(self.amount, self.seconds)
        return _CountAcrossAmounts(self.amount, self.seconds)


@dataclass(frozen=True, slots=True)
class Window:
    """One limit's trailing window as the storage holds it now."""

    limit: int
    used: int
    seconds: int
    resets_in_s: int  # until the oldest counted hit leaves the window; 0 when none is counted

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


class RateLimiter:
    def __init__(self, redis_url: str | None = None, circuit: RedisCircuit | None = None) -> None:
        self._memory = MovingWindowRateLimiter(MovingWindowMemory())
        self._shared: MovingWindowRateLimiter | None = None
        self.degraded = False
        # Calls the memory storage answered because the shared storage failed (or was skipped).
        self.fallbacks = 0
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
            self.fallbacks += 1
        return await getattr(self._memory, method)(*args, **kwargs)

    async def probe(self) -> bool:
        """Whether the shared storage answers now; ``degraded`` follows (for readiness)."""
        if self._shared is None:
            return True
        storage = self._shared.storage
        try:
            ok = bool(await self._circuit.call(storage.check))
        except Exception:
            ok = False
        if ok and self.degraded:
            log.info("rate limiter storage recovered")
        self.degraded = not ok
        return ok

    @property
    def backend(self) -> str:
        return "redis" if self._shared is not None else "in-process"

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

    async def charge(self, rate: Rate, *key: str, cost: int = 1, name: str = "") -> int:
        """Spend ``cost`` of ``rate`` (a cost over the whole limit spends the whole limit).

        Returns the cost spent. Raises ``RateLimited`` with the window's figures when the
        window has no room for it; ``name`` says which limit in the error.
        """
        cost = max(1, min(cost, rate.amount))
        if await self._call("hit", rate.item(), *key, cost=cost):
            return cost
        window = await self.window(rate, *key)
        raise RateLimited(
            max(1, window.resets_in_s),
            f"Rate limit reached ({name or 'requests'}: {rate.amount} per {rate.seconds} s).",
            limit=rate.amount,
            remaining=window.remaining,
            limited_by=name or None,
        )

    async def window(self, rate: Rate, *key: str) -> Window:
        """The trailing window of ``rate`` for ``key``, without counting a hit."""
        stats = await self._call("get_window_stats", rate.item(), *key)
        remaining = max(0, min(rate.amount, stats.remaining))
        used = rate.amount - remaining
        resets_in = max(1, math.ceil(stats.reset_time - time.time())) if used else 0
        return Window(limit=rate.amount, used=used, seconds=rate.seconds, resets_in_s=resets_in)

    async def clear(self, rate: Rate, *key: str) -> None:
        await self._call("clear", rate.item(), *key)
