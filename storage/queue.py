"""The queue that runs background work (domain/background.py): in-process for now."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from domain.background import Background, Scheduled, catalogue

if TYPE_CHECKING:
    from domain.runtime import Services

log = logging.getLogger("modelserve.queue")


class InProcessQueue(Background):
    """Tasks run as tasks of this event loop; scheduled work on timers of this process."""

    def __init__(self) -> None:
        self._tasks, self._schedule = catalogue()
        self._services: Services | None = None
        self._running: set[asyncio.Task[None]] = set()

    def start(self, services: Services) -> None:
        self._services = services
        for entry in self._schedule.values():
            self._spawn(self._every(entry), entry.name)

    async def enqueue(self, name: str, /, **kwargs: Any) -> None:
        task = self._tasks[name]
        if self._services is None:
            raise RuntimeError("the queue has not started")
        self._spawn(self._guarded(name, task.run(self._services, **kwargs)), name)

    async def _every(self, entry: Scheduled) -> None:
        assert self._services is not None
        if not entry.at_start:
            await asyncio.sleep(entry.every_s(self._services.settings))
        while True:
            await self._guarded(entry.name, entry.run(self._services))
            await asyncio.sleep(entry.every_s(self._services.settings))

    @staticmethod
    async def _guarded(name: str, work: Any) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("background work %s failed; it will run again", name, exc_info=True)

    def _spawn(self, work: Any, name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def close(self) -> None:
        for task in list(self._running):
            task.cancel()
        for task in list(self._running):
            with contextlib.suppress(BaseException):
                await task
