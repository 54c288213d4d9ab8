"""Housekeeping as scheduled work: crash leftovers, deleted models, old prediction logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.background import Scheduled, Task
from domain.predictions.log import purge_older_than

if TYPE_CHECKING:
    from domain.runtime import Services


async def sweep_leftovers(services: Services) -> None:
    await services.registry.sweep_leftovers(grace_s=services.settings.orphan_grace_s)


async def purge(services: Services) -> None:
    await services.registry.purge_deleted()
    await purge_older_than(services.settings.prediction_log_retention_days)


TASKS: list[Task] = []
SCHEDULE = [
    Scheduled(
        "maintenance.sweep-leftovers",
        every_s=lambda s: s.purge_interval_s,
        run=sweep_leftovers,
        at_start=True,
    ),
    Scheduled("maintenance.purge", every_s=lambda s: s.purge_interval_s, run=purge),
]
