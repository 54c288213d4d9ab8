"""Webhook delivery as background work: a scheduled drain of the outbox on every worker (a
claim keeps two from sending one row), and a task enqueued after a commit to deliver sooner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.background import Scheduled, Task
from domain.webhooks.service import DELIVER_TASK

if TYPE_CHECKING:
    from domain.runtime import Services


async def deliver(services: Services) -> None:
    await services.webhooks.drain()


TASKS = [Task(DELIVER_TASK, run=deliver)]
SCHEDULE = [
    Scheduled(
        "webhooks.drain",
        every_s=lambda s: s.webhook_drain_interval_s,
        run=deliver,
        at_start=True,
    ),
]
