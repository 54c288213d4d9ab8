"""Drift's background work: the scheduled check, once per interval and deployment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.background import Scheduled, Task

if TYPE_CHECKING:
    from domain.runtime import Services


async def check(services: Services) -> None:
    await services.drift.check_all()


TASKS: list[Task] = []
SCHEDULE = [
    Scheduled("drift.check", every_s=lambda s: s.drift_check_interval_s, run=check),
]
