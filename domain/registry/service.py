"""The model registry: models, versions, aliases, sharing and safe uploads.

Visibility is the first rule: a caller who may not read a model gets ``NotFound`` for it, its
versions and its aliases, exactly as for an id that does not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import tempfile
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiofiles
import aiofiles.os
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from domain.accounts import Caller
from domain.errors import (
    FieldError,
    Forbidden,
    IdempotencyKeyReused,
    ModelRejected,
    NotFound,
    PayloadTooLarge,
    StorageFull,
    StorageReadOnly,
    Unavailable,
    ValidationFailed,
)
from domain.events import Emitter, ModelEvent, ModelEventKind
from domain.registry import access
from domain.registry.access import Access
from domain.registry.intake import IntakeResult, claims, inspect_artifact
from domain.registry.intake.sandbox import WORKDIR_PREFIX
from domain.registry.rules import (
    ALIAS_RE,
    ModelNameTaken,
    VersionNotReady,
    check_model_fields,
    check_upload_fields,
    safe_filename,
)
from storage import tables
from storage.artifacts import (
    ArtifactStore,
    ArtifactStoreFull,
    ArtifactStoreReadOnly,
    ArtifactStoreUnavailable,
    ArtifactTooLarge,
)

log = logging.getLogger("modelserve.registry")

CHUNK = 1 << 20
SPOOL_PREFIX = "upload-"

# (serving bytes, intake result, example rows) -> (ONNX bytes, max abs diff) or a reason string
Compile = Callable[[bytes, IntakeResult, list[Any] | None], Awaitable[tuple[bytes, float] | str]]


@dataclass(frozen=True, slots=True)
class IntakeLimits:
    timeout_s: float
    memory_limit_mb: int
    max_upload_bytes: int


@dataclass(frozen=True, slots=True)
class VersionMetadata:
    """What the uploader says about a version, besides the file."""

    filename: str | None
    description: str
    tags: list[str]
    metrics: dict[str, float]
    input_example: list[Any] | None  # rows of numbers, or records keyed by feature name


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    version: tables.ModelVersion
    deduplicated: bool


@dataclass(frozen=True, slots=True)
class ModelFilter:
    name_contains: str | None = None
    owner: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


class Registry:
    """The registry service; one per process."""

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

    # -- visibility (the rule itself is in ``access``) ------------------------------------

    async def get_model(self, *, caller: Caller, model_id: uuid.UUID) -> tables.Model | None:
        found = await access.find_model(caller, model_id=model_id)
        return found.model if found else None

    async def get_model_by_name(
        self, *, caller: Caller, owner: str, name: str
    ) -> tables.Model | None:
        found = await access.find_model(caller, owner=owner, name=name)
        return found.model if found else None

    async def list_models(
        self,
        *,
        caller: Caller,
        filter: ModelFilter,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[tables.Model]:
        """Visible models, newest first, keyset-paginated."""
        query = tables.Model.filter(access.visible(caller))
        if filter.name_contains:
            query = query.filter(name__icontains=filter.name_contains)
        if filter.owner:
            query = query.filter(owner__username=filter.owner.strip().lower())
        if after is not None:
            created, last_id = after
            query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
        return await query.distinct().order_by("-created_at", "-id").limit(limit)

    async def get_version(
        self, *, caller: Caller, version_id: uuid.UUID
    ) -> tables.ModelVersion | None:
        version = await tables.ModelVersion.get_or_none(id=version_id).select_related("model")
        if version is None:
            return None
        if await access.access_to(caller, version.model) is None:
            return None
        return version

    # -- batch lookups for loaders (visibility is checked on the parent) -----------------------

    async def get_versions_by_ids(
        self, *, ids: list[uuid.UUID]
    ) -> list[tables.ModelVersion | None]:
        found = {v.id: v for v in await tables.ModelVersion.filter(id__in=ids)}
        return [found.get(i) for i in ids]

    async def get_versions_by_model_ids(
        self, *, model_ids: list[uuid.UUID]
    ) -> list[list[tables.ModelVersion]]:
        return await _grouped(tables.ModelVersion, model_ids, "-number")

    async def get_aliases_by_model_ids(
        self, *, model_ids: list[uuid.UUID]
    ) -> list[list[tables.Alias]]:
        return await _grouped(tables.Alias, model_ids, "name")

    async def get_shares_by_model_ids(
        self, *, model_ids: list[uuid.UUID]
    ) -> list[list[tables.Share]]:
        return await _grouped(tables.Share, model_ids, "created_at")

    async def get_alias_events_by_model_ids(
        self, *, model_ids: list[uuid.UUID]
    ) -> list[list[tables.AliasEvent]]:
        return await _grouped(tables.AliasEvent, model_ids, "-created_at")

    async def get_models_by_ids(self, *, ids: list[uuid.UUID]) -> list[tables.Model | None]:
        found = {m.id: m for m in await tables.Model.filter(id__in=ids)}
        return [found.get(i) for i in ids]

    # -- models ---------------------------------------------------------------------------

    async def create_model(
        self, *, caller: Caller, name: str, description: str, tags: list[str]
    ) -> tables.Model:
        errors = check_model_fields(name=name, description=description, tags=tags)
        if errors:
            raise ValidationFailed(errors)
        if await tables.Model.exists(owner_id=caller.user_id, name=name, deleted_at=None):
            raise ModelNameTaken(name)
        try:
            return await tables.Model.create(
                owner_id=caller.user_id, name=name, description=description, tags=tags
            )
        except IntegrityError:
            # A deleted model still holds the name until it is purged, or we lost a race.
            raise ModelNameTaken(name) from None

    async def update_model(
        self,
        *,
        caller: Caller,
        model_id: uuid.UUID,
        name: str | None,
        description: str | None,
        tags: list[str] | None,
        log_policy: tables.LogPolicy | None = None,
        prediction_cache_ttl_s: int | None = None,
        clear_prediction_cache: bool = False,
    ) -> tables.Model:
        model, level = await access.require_model(caller, model_id, needed=Access.MAINTAINER)
        errors = check_model_fields(name=name, description=description, tags=tags)
        if prediction_cache_ttl_s is not None and not 1 <= prediction_cache_ttl_s <= 86400:
            errors.append(
                FieldError(
                    ("input", "predictionCacheTtlS"), "Between 1 and 86400 seconds.", "range"
                )
            )
        if errors:
            raise ValidationFailed(errors)
        serving_changed = False
        if log_policy is not None and log_policy != model.log_policy:
            model.log_policy = log_policy
            serving_changed = True
        if prediction_cache_ttl_s is not None or clear_prediction_cache:
            model.prediction_cache_ttl_s = (
                None if clear_prediction_cache else prediction_cache_ttl_s
            )
            serving_changed = True
        if name is not None and name != model.name:
            if level < Access.OWNER:
                raise Forbidden("Only the owner can rename a model.")
            if await tables.Model.exists(owner_id=model.owner_id, name=name):
                raise ModelNameTaken(name)
            model.name = name
        if description is not None:
            model.description = description
        if tags is not None:
            model.tags = tags
        await model.save()
        if serving_changed:
            await self._event(ModelEvent(ModelEventKind.MODEL_UPDATED, model.id, caller.user_id))
        return model

    async def delete_model(self, *, caller: Caller, model_id: uuid.UUID) -> None:
        """Soft delete: the model disappears at once; its artifacts go with ``purge_deleted``."""
        model, _ = await access.require_model(caller, model_id, needed=Access.OWNER)
        # Free the name for reuse: a deleted model keeps a name no one can type.
        model.name = f"{model.name[:27]}~deleted~{uuid.uuid4().hex}"
        model.deleted_at = _now()
        await model.save(update_fields=["name", "deleted_at", "updated_at"])
        await self._event(ModelEvent(ModelEventKind.MODEL_DELETED, model.id, caller.user_id))

    async def purge_deleted(self) -> int:
        """Remove artifacts of deleted models that no live version still references."""
        purged = 0
        for model in await tables.Model.filter(deleted_at__isnull=False, purged_at=None):
            keys = set()
            for version in await tables.ModelVersion.filter(model_id=model.id):
                keys.update({version.artifact_key, version.serving_key, version.compiled_key})
            keys.discard(None)
            for key in keys:
                await self._delete_if_unreferenced(key, exclude_model=model.id)
            model.purged_at = _now()
            await model.save(update_fields=["purged_at"])
            purged += 1
        return purged

    async def sweep_leftovers(self, *, grace_s: float) -> int:
        """Remove what crashed uploads left behind (here or on another replica); return how many.

        Spool files and sandbox directories go as soon as no live process holds them; artifact
        temp files and stored artifacts that no version references only once ``grace_s`` old,
        as an upload in flight elsewhere stores its artifacts shortly before its version row.
        """
        removed = await asyncio.to_thread(claims.sweep, self.spool_dir, SPOOL_PREFIX)
        removed += await asyncio.to_thread(
            claims.sweep, Path(tempfile.gettempdir()), WORKDIR_PREFIX
        )
        sweep_temp = getattr(self.store, "sweep_temp", None)
        if sweep_temp is not None:
            removed += await sweep_temp(grace_s)
        for key in await self.store.list_keys(older_than_s=grace_s):
            referenced = tables.ModelVersion.filter(
                Q(artifact_key=key) | Q(serving_key=key) | Q(compiled_key=key)
            )
            if not await referenced.exists():
                log.info("removing artifact %s: no version references it", key)
                await self.store.delete(key)
                removed += 1
        return removed

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

    # -- sharing --------------------------------------------------------------------------

    async def share_model(
        self,
        *,
        caller: Caller,
        model_id: uuid.UUID,
        username: str,
        level: tables.ShareLevel,
    ) -> tables.Share:
        model = (await access.require_model(caller, model_id, needed=Access.MAINTAINER)).model
        user = await tables.User.get_or_none(username=username.strip().lower(), is_active=True)
        if user is None:
            raise NotFound("User")
        if user.id == model.owner_id:
            raise ValidationFailed(
                [FieldError(("input", "username"), "The owner already has full access.", "owner")]
            )
        share, created = await tables.Share.get_or_create(
            model_id=model.id, user_id=user.id, defaults={"level": level}
        )
        if not created and share.level != level:
            share.level = level
            await share.save(update_fields=["level"])
        elif not created:
            return share
        await self._event(
            ModelEvent(
                ModelEventKind.MODEL_SHARED,
                model.id,
                caller.user_id,
                user_id=user.id,
                level=str(level),
            )
        )
        return share

    async def unshare_model(self, *, caller: Caller, model_id: uuid.UUID, username: str) -> bool:
        """Take a user's share away; every replica stops honouring it at once."""
        model = (await access.require_model(caller, model_id, needed=Access.MAINTAINER)).model
        user = await tables.User.get_or_none(username=username.strip().lower())
        if user is None:
            return False
        if not await tables.Share.filter(model_id=model.id, user_id=user.id).delete():
            return False
        await self._event(
            ModelEvent(ModelEventKind.MODEL_UNSHARED, model.id, caller.user_id, user_id=user.id)
        )
        return True

    # -- versions -------------------------------------------------------------------------

    async def upload_version(
        self,
        *,
        caller: Caller,
        model_id: uuid.UUID,
        chunks: AsyncIterator[bytes],
        filename: str | None,
        description: str = "",
        tags: list[str] | None = None,
        metrics: dict[str, float] | None = None,
        input_example: list[Any] | None = None,
        idempotency_key: str | None = None,
    ) -> UploadOutcome:
        """Spool, check and store an uploaded artifact, then record it as the next version.

        Raises:
            NotFound, Forbidden: the caller may not publish to this model.
            ValidationFailed: bad metadata.
            PayloadTooLarge: the file is over the upload cap.
            ModelRejected: intake refused the artifact (nothing is stored).
            IdempotencyKeyReused: the key was used for a different upload.
        """
        tags = tags or []
        metrics = metrics or {}
        model = (await access.require_model(caller, model_id, needed=Access.MAINTAINER)).model
        errors = check_upload_fields(
            description=description,
            tags=tags,
            metrics=metrics,
            input_example=input_example,
            idempotency_key=idempotency_key,
        )
        if errors:
            raise ValidationFailed(errors)
        await aiofiles.os.makedirs(self.spool_dir, exist_ok=True)
        # Claimed, so that a start-up sweep can remove it if this process dies meanwhile.
        spool, claim = await asyncio.to_thread(claims.claim, self.spool_dir, SPOOL_PREFIX)
        try:
            sha256, size = await self._spool(chunks, spool)
            fingerprint = hashlib.sha256(
                json.dumps(
                    [str(model.id), sha256, description, tags, metrics, input_example],
                    sort_keys=True,
                ).encode()
            ).hexdigest()
            if idempotency_key is not None:
                replay = await self._replay(caller, idempotency_key, fingerprint)
                if replay is not None:
                    return UploadOutcome(replay, deduplicated=True)
            existing = await tables.ModelVersion.get_or_none(model_id=model.id, sha256=sha256)
            if existing is not None:
                return UploadOutcome(existing, deduplicated=True)
            async with self._intake_slots:
                try:
                    result = await inspect_artifact(
                        path=spool,
                        input_example=input_example,
                        timeout_s=self.limits.timeout_s,
                        memory_limit_mb=self.limits.memory_limit_mb,
                    )
                except ModelRejected as exc:
                    # The reason only: the file and the example may hold private data.
                    log.info(
                        "upload to model %s rejected: %s: %s",
                        model.id,
                        exc.reason,
                        exc.message,
                        extra={"model_id": str(model.id), "reason": exc.reason},
                    )
                    raise
            version = await self._store_version(
                caller=caller,
                model=model,
                spool=spool,
                sha256=sha256,
                size=size,
                result=result,
                meta=VersionMetadata(filename, description, tags, metrics, input_example),
                idempotency=(idempotency_key, fingerprint) if idempotency_key else None,
            )
        finally:
            await _unlink(spool)
            claims.release(claim)
        await self._event(
            ModelEvent(
                ModelEventKind.VERSION_CREATED,
                model.id,
                caller.user_id,
                version_id=version.id,
                number=version.number,
            )
        )
        return UploadOutcome(version, deduplicated=False)

    async def _spool(self, chunks: AsyncIterator[bytes], path: Path) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0
        limit = self.limits.max_upload_bytes
        try:
            async with aiofiles.open(path, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise PayloadTooLarge(limit)
                    digest.update(chunk)
                    await out.write(chunk)
        except OSError as exc:
            if exc.errno in {28, 122}:  # ENOSPC, EDQUOT
                raise StorageFull() from None
            raise
        return digest.hexdigest(), size

    async def _replay(
        self, caller: Caller, key: str, fingerprint: str
    ) -> tables.ModelVersion | None:
        record = await tables.IdempotencyKey.get_or_none(
            user_id=caller.user_id, scope="upload", key=key
        )
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        return await tables.ModelVersion.get_or_none(id=record.result_id)

    async def _store_version(
        self,
        *,
        caller: Caller,
        model: tables.Model,
        spool: Path,
        sha256: str,
        size: int,
        result: IntakeResult,
        meta: VersionMetadata,
        idempotency: tuple[str, str] | None,
    ) -> tables.ModelVersion:
        stored: list[str] = []
        try:
            original = await self.store.put_stream(
                _file_chunks(spool), max_bytes=self.limits.max_upload_bytes
            )
            stored.append(original.key)
            if result.serving_format == result.source_format:
                serving = original
            else:
                serving = await self.store.put_bytes(
                    result.serving_bytes, suffix=f".{result.serving_format}"
                )
                stored.append(serving.key)
            compiled_key, compiled_diff, warnings = None, None, list(result.warnings)
            if self._compile is not None and result.serving_format == "skops":
                outcome = await self._compile(result.serving_bytes, result, meta.input_example)
                if isinstance(outcome, str):
                    warnings.append(f"No compiled fast path: {outcome}.")
                else:
                    compiled = await self.store.put_bytes(outcome[0], suffix=".onnx")
                    stored.append(compiled.key)
                    compiled_key, compiled_diff = compiled.key, outcome[1]
            for attempt in range(5):
                try:
                    return await self._insert_version(
                        caller=caller,
                        model=model,
                        original_key=original.key,
                        serving_key=serving.key,
                        serving_size=serving.size,
                        compiled=(compiled_key, compiled_diff),
                        warnings=warnings,
                        sha256=sha256,
                        size=size,
                        result=result,
                        meta=meta,
                        idempotency=idempotency,
                    )
                except IntegrityError:
                    # A concurrent upload took this idempotency key (replay it, or refuse a
                    # different file), this number (retry) or these bytes (dedupe).
                    if idempotency is not None:
                        replayed = await self._replay(caller, *idempotency)
                        if replayed is not None:
                            stored.clear()
                            return replayed
                    existing = await tables.ModelVersion.get_or_none(
                        model_id=model.id, sha256=sha256
                    )
                    if existing is not None:
                        stored.clear()
                        return existing
                    if attempt == 4:
                        raise
            raise AssertionError("unreachable")
        except BaseException as exc:
            # Whatever failed, no artifact of this upload may stay without its version row.
            try:
                for key in stored:
                    await self._delete_if_unreferenced(key)
            except Exception:
                # The database may be what failed: the start-up sweep removes them later.
                log.warning("could not remove the artifacts of a failed upload", exc_info=True)
            if isinstance(exc, ArtifactTooLarge):
                raise PayloadTooLarge(exc.limit_bytes) from None
            if isinstance(exc, ArtifactStoreFull):
                raise StorageFull() from None
            if isinstance(exc, ArtifactStoreReadOnly):
                raise StorageReadOnly() from None
            if isinstance(exc, ArtifactStoreUnavailable):
                raise Unavailable("The artifact store") from None
            raise

    async def _insert_version(
        self,
        *,
        caller: Caller,
        model: tables.Model,
        original_key: str,
        serving_key: str,
        serving_size: int,
        compiled: tuple[str | None, float | None],
        warnings: list[str],
        sha256: str,
        size: int,
        result: IntakeResult,
        meta: VersionMetadata,
        idempotency: tuple[str, str] | None,
    ) -> tables.ModelVersion:
        async with in_transaction():
            row = (
                await tables.ModelVersion.filter(model_id=model.id)
                .annotate(top=Max("number"))
                .values("top")
            )
            number = (row[0]["top"] or 0) + 1 if row else 1
            version = await tables.ModelVersion.create(
                model_id=model.id,
                number=number,
                status=tables.VersionStatus.READY,
                artifact_key=original_key,
                sha256=sha256,
                size=size,
                source_format=result.source_format,
                serving_key=serving_key,
                serving_format=result.serving_format,
                serving_size=serving_size,
                framework=result.framework,
                framework_version=result.framework_version,
                python_version=result.saved_with.get("python"),
                estimator_class=result.estimator_class[:256],
                saved_with=result.saved_with,
                signature=result.signature.to_dict(),
                input_example=meta.input_example,
                warnings=warnings,
                compiled_key=compiled[0],
                compiled_max_abs_diff=compiled[1],
                description=meta.description,
                metrics=meta.metrics,
                tags=meta.tags,
                original_filename=safe_filename(meta.filename),
                created_by_id=caller.user_id,
            )
            if idempotency is not None:
                key, fingerprint = idempotency
                await tables.IdempotencyKey.create(
                    user_id=caller.user_id,
                    scope="upload",
                    key=key,
                    fingerprint=fingerprint,
                    result_id=version.id,
                )
            await tables.Model.filter(id=model.id).update(updated_at=_now())
        return version

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
        """Archive a version; aliases pointing at it are removed (and the moves recorded)."""
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
                await alias.delete()
            version.status = tables.VersionStatus.ARCHIVED
            await version.save(update_fields=["status"])
        await self._event(
            ModelEvent(
                ModelEventKind.VERSION_ARCHIVED,
                version.model_id,
                caller.user_id,
                version_id=version.id,
            )
        )
        return version

    async def restore_version(
        self, *, caller: Caller, version_id: uuid.UUID
    ) -> tables.ModelVersion:
        version = await self._version_of(caller, version_id, Access.MAINTAINER)
        if version.status == tables.VersionStatus.ARCHIVED:
            version.status = tables.VersionStatus.READY
            await version.save(update_fields=["status"])
            await self._event(
                ModelEvent(
                    ModelEventKind.VERSION_RESTORED,
                    version.model_id,
                    caller.user_id,
                    version_id=version.id,
                )
            )
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
            await self._event(
                ModelEvent(
                    ModelEventKind.VERSION_RUNTIME_CHANGED,
                    version.model_id,
                    caller.user_id,
                    version_id=version.id,
                )
            )
        return version

    # -- aliases --------------------------------------------------------------------------

    async def set_alias(
        self,
        *,
        caller: Caller,
        model_id: uuid.UUID,
        alias: str,
        version_id: uuid.UUID,
        reason: str = "",
    ) -> tables.Alias:
        """Point ``alias`` at a ready version of the model (promote or roll back)."""
        model = (await access.require_model(caller, model_id, needed=Access.MAINTAINER)).model
        errors: list[FieldError] = []
        if not ALIAS_RE.match(alias):
            errors.append(
                FieldError(
                    ("input", "alias"),
                    "Use 1-64 of a-z, 0-9, '_' or '-', starting with a letter.",
                    "invalid_alias",
                )
            )
        if len(reason) > 500:
            errors.append(FieldError(("input", "reason"), "At most 500 characters.", "too_long"))
        if errors:
            raise ValidationFailed(errors)
        version = await tables.ModelVersion.get_or_none(id=version_id, model_id=model.id)
        if version is None:
            raise NotFound("Model version")
        if version.status != tables.VersionStatus.READY:
            raise VersionNotReady(str(version.status))
        async with in_transaction():
            current = await tables.Alias.get_or_none(model_id=model.id, name=alias)
            previous = current.version_id if current else None
            if current is None:
                current = await tables.Alias.create(
                    model_id=model.id,
                    name=alias,
                    version_id=version.id,
                    updated_by_id=caller.user_id,
                )
            elif previous != version.id:
                current.version_id = version.id
                current.updated_by_id = caller.user_id
                await current.save()
            if previous != version.id:
                await tables.AliasEvent.create(
                    model_id=model.id,
                    alias=alias,
                    from_version_id=previous,
                    to_version_id=version.id,
                    actor_id=caller.user_id,
                    reason=reason,
                )
        if previous != version.id:
            await self._event(
                ModelEvent(
                    ModelEventKind.ALIAS_MOVED,
                    model.id,
                    caller.user_id,
                    alias=alias,
                    from_version_id=previous,
                    to_version_id=version.id,
                )
            )
        return current

    async def remove_alias(
        self, *, caller: Caller, model_id: uuid.UUID, alias: str, reason: str = ""
    ) -> bool:
        model = (await access.require_model(caller, model_id, needed=Access.MAINTAINER)).model
        current = await tables.Alias.get_or_none(model_id=model.id, name=alias)
        if current is None:
            return False
        async with in_transaction():
            await tables.AliasEvent.create(
                model_id=model.id,
                alias=alias,
                from_version_id=current.version_id,
                to_version_id=None,
                actor_id=caller.user_id,
                reason=reason[:500],
            )
            await current.delete()
        await self._event(
            ModelEvent(
                ModelEventKind.ALIAS_MOVED,
                model.id,
                caller.user_id,
                alias=alias,
                from_version_id=current.version_id,
            )
        )
        return True

    # -- artifacts ------------------------------------------------------------------------

    async def open_original(
        self, *, caller: Caller, version_id: uuid.UUID
    ) -> tuple[tables.ModelVersion, AsyncIterator[bytes]]:
        """Stream the uploaded file as it was; only who may manage the model may fetch it."""
        version = await self._version_of(caller, version_id, Access.MAINTAINER)
        return version, await self.store.open_stream(version.artifact_key)

    async def _event(self, event: ModelEvent) -> None:
        """Tell this process's caches, every replica's, and the model's subscribers."""
        await self._emitter.emit(event)


async def _grouped(table: Any, model_ids: list[uuid.UUID], order: str) -> list[list[Any]]:
    """Rows of ``table`` for each model id, in ``order``: one query for any number of models."""
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in await table.filter(model_id__in=model_ids).order_by(order):
        grouped[row.model_id].append(row)
    return [grouped.get(i, []) for i in model_ids]


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    async with aiofiles.open(path, "rb") as handle:
        while chunk := await handle.read(CHUNK):
            yield chunk


async def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        await aiofiles.os.remove(path)
