"""Handing freed heap memory back to the operating system, every few seconds.

CPython returns freed objects to glibc's malloc, which keeps the pages a burst allocated (a
job's results, a 10,000-row batch, a big upload's parts) in its heaps and arenas for reuse.
Free, but still resident: each burst that reaches a little higher ratchets the process's RSS
up, and under steady mixed load RSS climbs for as long as the bursts come although nothing
leaks. ``malloc_trim(0)`` gives those pages back; when there is nothing to give it returns in
microseconds. On a C library without it (musl, macOS) nothing is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging

log = logging.getLogger("modelserve.heap")


def _malloc_trim() -> ctypes._CFuncPtr | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


class HeapTrimmer:
    """Calls ``malloc_trim(0)`` every ``interval_s`` seconds while started (0 turns it off)."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._trim = _malloc_trim() if interval_s > 0 else None
        self._task: asyncio.Task[None] | None = None
        self.trims = 0  # calls made, for /metrics and tests
        self.released = 0  # calls that gave memory back

    @property
    def available(self) -> bool:
        return self._trim is not None

    def trim(self) -> bool:
        """Trim now; whether any memory went back to the system."""
        if self._trim is None:
            return False
        self.trims += 1
        released = bool(self._trim(0))
        self.released += released
        return released

    def start(self) -> None:
        if self._trim is not None and self._task is None:
            self._task = asyncio.create_task(self._every(), name="heap-trim")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _every(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                # In a thread: walking a large heap takes milliseconds, and ctypes lets the
                # GIL go meanwhile, so requests on the loop are not held up by it.
                await asyncio.to_thread(self.trim)
            except Exception:  # never let housekeeping take the server down
                log.warning("malloc_trim failed; heap trimming stops", exc_info=True)
                return
