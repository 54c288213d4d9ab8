"""storage/queue.py's schedule: a stopping process ends its timers whatever they were doing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from storage.queue import QueueConfig, TaskQueue


@dataclass
class Every:
    name: str = "tick"
    at_start: bool = False

    def every_s(self, _settings: Any) -> float:
        return 0.05

    async def run(self, _context: Any) -> None:
        return None


async def test_a_cancel_that_arrives_as_a_deadline_expires_still_stops_the_timer():
    # Given a schedule whose lease claim is waiting on Redis, and a cancel that lands as its
    # deadline expires: asyncio.timeout then raises TimeoutError, not CancelledError
    queue = TaskQueue(
        QueueConfig(url="memory://"), tasks={}, schedule={"tick": Every()}, settings=None
    )
    claiming = asyncio.Event()
    claims = 0

    async def claim(_name: str, _slot: int, _every: float) -> bool:
        nonlocal claims
        claims += 1
        claiming.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise TimeoutError from None
        return False

    queue._claim = claim  # type: ignore[method-assign]
    queue.attach(context=None)
    await asyncio.wait_for(claiming.wait(), 30)

    # When the process stops its work
    stop = asyncio.Event()
    stop.set()
    await asyncio.wait_for(queue.work(stop), 60)

    # Then the timer has ended (before, it took the TimeoutError for an outage and slept on
    # to its next slot for ever) and claimed no further slot
    assert not queue._timers
    assert claims == 1
