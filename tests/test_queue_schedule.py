"""storage/queue.py's schedule: a stopping process ends its timers whatever they were doing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from storage.queue import QueueConfig, TaskQueue, scheduled_slot


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


async def test_a_scheduled_run_knows_the_slot_it_was_claimed_for():
    # Given a schedule whose runs record the slot they see, and the slots this process claimed
    seen: list[int | None] = []
    claimed: list[int] = []

    @dataclass
    class Recorded(Every):
        async def run(self, _context: Any) -> None:
            seen.append(scheduled_slot.get())

    queue = TaskQueue(
        QueueConfig(url="memory://"), tasks={}, schedule={"tick": Recorded()}, settings=None
    )
    claim = queue._claim

    async def recorded(name: str, slot: int, every: float) -> bool:
        won = await claim(name, slot, every)
        if won:
            claimed.append(slot)
        return won

    queue._claim = recorded  # type: ignore[method-assign]
    queue.attach(context=object())  # a worker in this process
    stop = asyncio.Event()
    work = asyncio.create_task(queue.work(stop))

    # When a few slots have run
    for _ in range(3000):
        if len(seen) >= 3:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(work, 60)

    # Then each run saw the slot claimed for it (not the clock's slot when it happened to run)
    assert len(seen) >= 3
    assert seen == claimed[: len(seen)]
    assert len(set(seen)) == len(seen)
