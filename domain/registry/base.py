"""The registry's shared state: the artifact store, intake limits and the event emitter."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise.expressions import Q

from domain import webhooks
from domain.accounts import Caller
from domain.events import Emitter, ModelEvent
from domain.registry.intake import IntakeResult
from storage import tables
from storage.artifacts import (
    ArtifactStore,
    ArtifactStoreUnavailable,
)

log = logging.getLogger("modelserve.registry")


# (serving bytes, intake result, example rows) -> (ONNX bytes, max abs diff) or a reason string
Compile = Callable[[bytes, IntakeResult, list[Any] | None], Awaitable[tuple[bytes, float] | str]]


@dataclass(frozen=True, slots=True)
class IntakeLimits:
    timeout_s: float
    memory_limit_mb: int
    max_upload_bytes: int


def utc_now() -> datetime:
    return datetime.now(UTC)


def webhook_model(model: tables.Model) -> dict[str, str]:
    """How a webhook names a model (a deleted one by the name it had)."""
    name = model.name.partition("~deleted~")[0]
    return {"id": str(model.id), "fullName": f"{model.namespace}/{name}"}


async def record_alias_change(
    model: tables.Model,
    *,
    alias: str,
    from_version_id: uuid.UUID | None,
    to_version_id: uuid.UUID | None,
    caller: Caller,
    reason: str,
) -> None:
    """The ``alias.changed`` webhooks of a move; call it in the move's transaction."""
    await webhooks.record(
        webhooks.EventType.ALIAS_CHANGED,
        model_id=model.id,
        data={
            "model": webhook_model(model),
            "alias": alias,
            "fromVersionId": str(from_version_id) if from_version_id else None,
            "toVersionId": str(to_version_id) if to_version_id else None,
            "reason": reason,
            "actorId": str(caller.user_id),
        },
    )


class RegistryBase:
    """What every part of the registry shares: the store, the intake limits, the emitter."""

    def __init__(
        self,
        *,
        store: ArtifactStore,
        spool_dir: Path,
        limits: IntakeLimits,
        emitter: Emitter,
        compile: Compile | None = None,
    ) -> None:
        self.store = store
        self._compile = compile
        self.spool_dir = spool_dir
        self.limits = limits
        self._emitter = emitter
        # Each intake costs a process and ~2 CPU-seconds: a burst of uploads queues here.
        self._intake_slots = asyncio.Semaphore(max(1, os.cpu_count() or 1))

    async def _event(self, event: ModelEvent) -> None:
        """Tell this process's caches, every replica's, and the model's subscribers."""
        await self._emitter.emit(event)

    async def _delete_if_unreferenced(
        self, key: str, *, exclude_model: uuid.UUID | None = None
    ) -> None:
        """Content-addressed keys can be shared by models: delete only the last reference."""
        live = tables.ModelVersion.filter(
            Q(artifact_key=key) | Q(serving_key=key) | Q(compiled_key=key),
            model__deleted_at=None,
        )
        if exclude_model is not None:
            live = live.exclude(model_id=exclude_model)
        if not await live.exists():
            try:
                await self.store.delete(key)
            except ArtifactStoreUnavailable:
                log.warning("artifact store unavailable; %s left for the next purge", key)
