"""Single-flight: concurrent callers asking for the same key share one in-flight call.

When a short-lived cache entry expires under load, every concurrent request misses at once; a
thundering herd of identical queries then queues on the database and stalls all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class SingleFlight:
    def __init__(self) -> None:
        self._calls: dict[Hashable, asyncio.Future[Any]] = {}

    async def do(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        """``call()``'s result, run once for all callers of ``key`` while it is in flight."""
        future = self._calls.get(key)
        if future is None:
            future = asyncio.ensure_future(call())
            self._calls[key] = future
            future.add_done_callback(lambda done, key=key: self._finished(key, done))
        # Shielded: one caller giving up (a timeout, a disconnect) does not cancel the others'.
        return await asyncio.shield(future)

    def _finished(self, key: Hashable, future: asyncio.Future[Any]) -> None:
        if self._calls.get(key) is future:
            del self._calls[key]
        if not future.cancelled():
            future.exception()  # retrieved: a failure nobody still awaits is not "lost"
