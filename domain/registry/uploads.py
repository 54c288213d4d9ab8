"""Uploading a version: spooling, intake, storing the artifacts, idempotent replays."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiofiles
import aiofiles.os
from tortoise.exceptions import IntegrityError
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from domain import webhooks
from domain.accounts import Caller
from domain.errors import (
    IdempotencyKeyReused,
    ModelRejected,
    PayloadTooLarge,
    StorageFull,
    StorageReadOnly,
    Unavailable,
    ValidationFailed,
)
from domain.events import ModelEvent, ModelEventKind
from domain.registry import access
from domain.registry.access import Access
from domain.registry.base import RegistryBase, utc_now, webhook_model
from domain.registry.intake import IntakeResult, claims, inspect_artifact
from domain.registry.rules import (
    check_upload_fields,
    safe_filename,
)
from storage import tables
from storage.artifacts import (
    ArtifactStoreFull,
    ArtifactStoreReadOnly,
    ArtifactStoreUnavailable,
    ArtifactTooLarge,
)

log = logging.getLogger("modelserve.registry")


CHUNK = 1 << 20
SPOOL_PREFIX = "upload-"


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


async def spool(chunks: AsyncIterator[bytes], path: Path, *, limit: int) -> tuple[str, int]:
    """Write an upload's chunks to ``path``; its SHA-256 and size.

    Raises:
        PayloadTooLarge: more than ``limit`` bytes came.
        StorageFull: the disk is full.
    """
    digest = hashlib.sha256()
    size = 0
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


class Uploads(RegistryBase):
    """Uploads: spool, check in the sandbox, store, and record the next version."""

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
        return await spool(chunks, path, limit=self.limits.max_upload_bytes)

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
            await tables.Model.filter(id=model.id).update(updated_at=utc_now())
            await webhooks.record(
                webhooks.EventType.VERSION_CREATED,
                model_id=model.id,
                data={
                    "model": webhook_model(model),
                    "version": {"id": str(version.id), "number": version.number},
                    "actorId": str(caller.user_id),
                },
            )
        return version


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    async with aiofiles.open(path, "rb") as handle:
        while chunk := await handle.read(CHUNK):
            yield chunk


async def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        await aiofiles.os.remove(path)
