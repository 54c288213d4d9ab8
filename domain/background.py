"""Background work, declared where it lives and run by the queue (storage/queue.py).

An area declares *tasks* (run once per enqueue, on some worker, with JSON-able keyword
arguments) and *scheduled* work (run every so often, once per deployment, not once per replica),
and lists them in :func:`catalogue`. The queue decides where and when they run: in-process for
the embedded default, separate ``modelserve worker`` processes in production.

A task body takes the process's ``Services`` and its keyword arguments; it must be idempotent,
since a queue delivers at least once (a worker killed mid-task means the task runs again).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.errors import Unavailable
from storage.queue import QueueUnavailable, TaskQueue, UnknownTask

if TYPE_CHECKING:
    from domain.runtime import Services
    from settings import Settings


@dataclass(frozen=True)
class Task:
    name: str
    run: Callable[..., Awaitable[None]]  # run(services, **kwargs)
    max_attempts: int = 3  # runs when it raises (a worker that dies does not count)
    timeout_s: float | None = None  # None: MODELSERVE_TASK_TIMEOUT_S


@dataclass(frozen=True)
class Scheduled:
    name: str
    every_s: Callable[[Settings], float]
    run: Callable[[Services], Awaitable[None]]
    at_start: bool = False  # also once whenever a worker starts (unleased: each start runs it)


class BackgroundUnavailable(Unavailable):
    """The queue did not confirm the task in time (its Redis is down or slow); retry later.

    An unconfirmed task may still have been queued (a slow Redis can take it after all), so a
    retry can queue it twice: tasks are idempotent.
    """

    retryable = True

    def __init__(self) -> None:
        super().__init__("The background queue")


class Background:
    """What the rest of the code sees of the queue: hand a task to a worker."""

    def __init__(self, queue: TaskQueue) -> None:
        self.queue = queue

    async def enqueue(self, name: str, /, **kwargs: Any) -> None:
        """Queue task ``name`` with JSON-able ``kwargs``; it runs at least once, on some worker.

        Raises:
            BackgroundUnavailable: the queue's Redis is down or slow (within a short deadline).
            KeyError: no task of that name is declared.
            TypeError: ``kwargs`` are not JSON-able.
        """
        try:
            await self.queue.send(name, kwargs)
        except UnknownTask:
            raise KeyError(f"no background task named {name!r}") from None
        except QueueUnavailable as exc:
            raise BackgroundUnavailable() from exc

    async def depth(self) -> tuple[int, int]:
        """(waiting, running) tasks; raises when the queue cannot be reached."""
        return await self.queue.depth()

    async def close(self) -> None:
        await self.queue.close()


# Every area's lists; ``MODELSERVE_BACKGROUND_MODULES`` may name more (tests use it for theirs).
AREAS = (
    "domain.maintenance",
    "domain.jobs.tasks",
    "domain.drift.tasks",
    "domain.webhooks.tasks",
)


def catalogue(extra: Iterable[str] = ()) -> tuple[dict[str, Task], dict[str, Scheduled]]:
    """Every task and every scheduled job, by name (``extra``: more modules with the lists)."""
    tasks: list[Task] = []
    schedule: list[Scheduled] = []
    for name in (*AREAS, *extra):
        module = importlib.import_module(name)
        tasks.extend(getattr(module, "TASKS", ()))
        schedule.extend(getattr(module, "SCHEDULE", ()))
    by_name = {t.name: t for t in tasks}
    scheduled = {s.name: s for s in schedule}
    if len(by_name) != len(tasks) or len(scheduled) != len(schedule):
        raise RuntimeError("two background entries share a name")
    return by_name, scheduled
