"""Versions after upload: archiving, restoring, runtime settings and the original file."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

from tortoise.transactions import in_transaction

from domain.accounts import Caller
from domain.audit import AuditAction, AuditTarget, AuditTrail
from domain.errors import (
    FieldError,
    NotFound,
    ValidationFailed,
)
from domain.events import ModelEvent, ModelEventKind
from domain.registry import access
from domain.registry.access import Access
from domain.registry.base import RegistryBase, record_alias_change
from domain.registry.traffic import clear_policy, drop_version
from storage import tables

log = logging.getLogger("modelserve.registry")


class Versions(RegistryBase):
    """A version's life after upload: archive, restore, how it serves, its original file."""

    async def _version_of(
        self, caller: Caller, version_id: uuid.UUID, needed: Access
    ) -> tables.ModelVersion:
        version = await tables.ModelVersion.get_or_none(id=version_id)
        if version is None:
            raise NotFound("Model version")
        await access.require_model(
            caller, version.model_id, needed=needed, hidden_as="Model version"
        )
        return version

    async def archive_version(
        self, *, caller: Caller, version_id: uuid.UUID
    ) -> tables.ModelVersion:
        """Archive a version; aliases pointing at it are removed (and the moves recorded), and
        it leaves every traffic policy (a split it was in is cleared)."""
        version = await self._version_of(caller, version_id, Access.MAINTAINER)
        if version.status == tables.VersionStatus.ARCHIVED:
            return version
        async with in_transaction():
            for alias in await tables.Alias.filter(version_id=version.id):
                await tables.AliasEvent.create(
                    model_id=version.model_id,
                    alias=alias.name,
                    from_version_id=version.id,
                    to_version_id=None,
                    actor_id=caller.user_id,
                    reason="version archived",
                )
                await record_alias_change(
                    await tables.Model.get(id=version.model_id),
                    alias=alias.name,
                    from_version_id=version.id,
                    to_version_id=None,
                    caller=caller,
                    reason="version archived",
                )
                await alias.delete()
                await clear_policy(version.model_id, alias.name)
            await drop_version(
                model_id=version.model_id,
                version_id=version.id,
                caller=caller,
                reason="version archived",
            )
            version.status = tables.VersionStatus.ARCHIVED
            await version.save(update_fields=["status"])
            await AuditTrail.record(
                AuditAction.VERSION_ARCHIVED, actor=caller, target=AuditTarget.version(version)
            )
        await self._version_event(ModelEventKind.VERSION_ARCHIVED, version, caller)
        return version

    async def restore_version(
        self, *, caller: Caller, version_id: uuid.UUID
    ) -> tables.ModelVersion:
        version = await self._version_of(caller, version_id, Access.MAINTAINER)
        if version.status == tables.VersionStatus.ARCHIVED:
            version.status = tables.VersionStatus.READY
            await version.save(update_fields=["status"])
            await self._version_event(ModelEventKind.VERSION_RESTORED, version, caller)
        return version

    async def set_version_runtime(
        self,
        *,
        caller: Caller,
        version_id: uuid.UUID,
        use_compiled: bool | None = None,
        batch_max_rows: int | None = None,
        batch_max_wait_ms: float | None = None,
    ) -> tables.ModelVersion:
        """How a version serves: compiled ONNX copy or the original, and its micro-batching."""
        version = await self._version_of(caller, version_id, Access.MAINTAINER)
        errors: list[FieldError] = []
        if use_compiled and version.compiled_key is None:
            errors.append(
                FieldError(
                    ("input", "useCompiled"),
                    "This version has no compiled fast path.",
                    "not_compiled",
                )
            )
        if batch_max_rows is not None and not 1 <= batch_max_rows <= 100_000:
            errors.append(
                FieldError(("input", "batchMaxRows"), "Between 1 and 100000.", "out_of_range")
            )
        if batch_max_wait_ms is not None and not 0 <= batch_max_wait_ms <= 1000:
            errors.append(
                FieldError(("input", "batchMaxWaitMs"), "Between 0 and 1000.", "out_of_range")
            )
        if errors:
            raise ValidationFailed(errors)
        changed: list[str] = []
        for name, value in (
            ("use_compiled", use_compiled),
            ("batch_max_rows", batch_max_rows),
            ("batch_max_wait_ms", batch_max_wait_ms),
        ):
            if value is not None and getattr(version, name) != value:
                setattr(version, name, value)
                changed.append(name)
        if changed:
            await version.save(update_fields=changed)
            await self._version_event(ModelEventKind.VERSION_RUNTIME_CHANGED, version, caller)
        return version

    async def open_original(
        self, *, caller: Caller, version_id: uuid.UUID
    ) -> tuple[tables.ModelVersion, AsyncIterator[bytes]]:
        """Stream the uploaded file as it was; only who may manage the model may fetch it."""
        version = await self._version_of(caller, version_id, Access.MAINTAINER)
        return version, await self.store.open_stream(version.artifact_key)

    async def _version_event(
        self, kind: ModelEventKind, version: tables.ModelVersion, caller: Caller
    ) -> None:
        await self._event(ModelEvent(kind, version.model_id, caller.user_id, version_id=version.id))
