"""Background work, declared where it lives and run by the queue (storage/queue.py).

An area declares *tasks* (run once per enqueue, on some worker, with JSON-able keyword
arguments) and *scheduled* work (run every so often, once per deployment, not once per replica),
and lists them in :func:`catalogue`. The queue decides where and when they run: in-process for
the embedded default, separate ``modelserve worker`` processes in production.

A task body takes the process's ``Services`` and its keyword arguments; it must be idempotent,
since a queue delivers at least once (a worker killed mid-task means the task runs again).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from domain.runtime import Services
    from settings import Settings


@dataclass(frozen=True)
class Task:
    name: str
    run: Callable[..., Awaitable[None]]  # run(services, **kwargs)


@dataclass(frozen=True)
class Scheduled:
    name: str
    every_s: Callable[[Settings], float]
    run: Callable[[Services], Awaitable[None]]
    at_start: bool = False  # also once when a worker starts (before the first interval)


class Background:
    """What the rest of the code sees of the queue: hand a task to a worker."""

    async def enqueue(self, name: str, /, **kwargs: Any) -> None:
        raise NotImplementedError


def catalogue() -> tuple[dict[str, Task], dict[str, Scheduled]]:
    """Every task and every scheduled job, by name."""
    from domain import maintenance
    from domain.jobs import tasks as jobs

    tasks: list[Task] = [*maintenance.TASKS, *jobs.TASKS]
    schedule: list[Scheduled] = [*maintenance.SCHEDULE, *jobs.SCHEDULE]
    by_name = {t.name: t for t in tasks}
    scheduled = {s.name: s for s in schedule}
    if len(by_name) != len(tasks) or len(scheduled) != len(schedule):
        raise RuntimeError("two background entries share a name")
    return by_name, scheduled
