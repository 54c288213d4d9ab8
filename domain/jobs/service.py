"""Batch jobs: submit a file against a pinned version, read, list and cancel them, sign links.

A job belongs to the caller who submitted it: anyone else, whatever their access to the model,
finds no such job (NOT_FOUND, as for a random id). Reading one also asks the access rule, so a
caller who lost access to the model loses its jobs' results too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import aiofiles
import aiofiles.os
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain.accounts import Caller
from domain.errors import (
    Conflict,
    DecompressedTooLarge,
    FieldError,
    IdempotencyKeyReused,
    NotFound,
    PayloadTooLarge,
    StorageFull,
    Unavailable,
    ValidationFailed,
)
from domain.events import Emitter, JobEvent, JobEventKind
from domain.registry import access
from domain.registry.access import Access
from domain.registry.intake import claims
from domain.registry.rules import safe_filename
from storage import tables
from storage.artifacts import ArtifactStore

if TYPE_CHECKING:
    from domain.background import Background
    from domain.inference.service import Inference
    from domain.quotas import Quotas
    from settings import Settings

log = logging.getLogger("modelserve.jobs")

SPOOL_PREFIX = "job-"
CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
IDEMPOTENCY_SCOPE = "job"
MAX_KEY_CHARS = 128
ENDED = frozenset({tables.JobStatus.SUCCEEDED, tables.JobStatus.FAILED, tables.JobStatus.CANCELLED})
SUFFIXES = {".csv": tables.JobFormat.CSV, ".jsonl": tables.JobFormat.JSONL}
SUFFIXES[".ndjson"] = tables.JobFormat.JSONL


@dataclass(frozen=True, slots=True)
class JobsConfig:
    max_upload_bytes: int
    max_decompressed_bytes: int
    chunk_rows: int
    lease_s: float
    max_attempts: int
    max_line_bytes: int
    max_columns: int
    max_row_errors: int
    link_ttl_s: int

    @classmethod
    def from_settings(cls, settings: Settings) -> JobsConfig:
        return cls(
            max_upload_bytes=settings.job_max_upload_bytes,
            max_decompressed_bytes=settings.job_max_decompressed_bytes,
            chunk_rows=settings.job_chunk_rows,
            lease_s=settings.job_lease_s,
            max_attempts=settings.job_max_attempts,
            max_line_bytes=settings.job_max_line_bytes,
            max_columns=settings.job_max_columns,
            max_row_errors=settings.job_max_row_errors,
            link_ttl_s=settings.job_link_ttl_s,
        )


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    job: tables.Job
    deduplicated: bool


@dataclass(frozen=True, slots=True)
class SignedLink:
    query: str  # ``format=...&expires=...&signature=...``
    expires_at: datetime


def event_of(job: tables.Job, kind: JobEventKind) -> JobEvent:
    return JobEvent(
        kind=kind,
        job_id=job.id,
        user_id=job.user_id,
        model_id=job.model_id,
        status=str(job.status),
        rows_done=job.rows_done,
        rows_failed=job.rows_failed,
        bytes_done=job.bytes_done,
        input_bytes=job.input_bytes,
        error=job.error,
        started_at=job.started_at,
    )


class Jobs:
    def __init__(
        self,
        *,
        store: ArtifactStore,
        emitter: Emitter,
        inference: Inference,
        quotas: Quotas,
        queue: Background,
        config: JobsConfig,
        spool_dir: Path,
        secret: bytes,
    ) -> None:
        self.store = store
        self.emitter = emitter
        self.inference = inference
        self.quotas = quotas
        self.queue = queue
        self.config = config
        self.spool_dir = spool_dir
        # A key of its own, so that a link's signature can never pass for a token's.
        self._link_key = hmac.new(secret, b"modelserve job results link", "sha256").digest()

    # -- submitting ----------------------------------------------------------------------

    async def submit(
        self,
        *,
        caller: Caller,
        ref: str,
        chunks: AsyncIterator[bytes],
        filename: str | None,
        fmt: tables.JobFormat | None = None,
        max_failed_rows: int | None = None,
        idempotency_key: str | None = None,
    ) -> SubmitOutcome:
        """Spool the file (checking its caps), pin ``ref``'s version, record and enqueue a job.

        Raises:
            ValidationFailed: a bad reference, format, threshold or idempotency key.
            NotFound, Forbidden: the caller may not predict with this model.
            PayloadTooLarge, DecompressedTooLarge: the file, or its inflated content, is too big.
            RateLimited: the caller's prediction budget is spent right now.
            IdempotencyKeyReused: the key was used for a different submission.
        """
        problems: list[FieldError] = []
        if max_failed_rows is not None and max_failed_rows < 0:
            problems.append(FieldError(("input", "maxFailedRows"), "Must be 0 or more.", "min"))
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY_CHARS:
            message = f"Between 1 and {MAX_KEY_CHARS} characters."
            problems.append(FieldError(("input", "idempotencyKey"), message, "length"))
        fmt = fmt or _format_of(filename)
        if fmt is None:
            message = "Say `format` (CSV or JSONL), or name the file .csv, .jsonl or .ndjson."
            problems.append(FieldError(("input", "format"), message, "required"))
        if problems:
            raise ValidationFailed(problems)
        assert fmt is not None
        # Pinned now: an alias moved later does not change what this job predicts with.
        target = await self.inference.resolve(caller=caller, ref=ref)
        [refused] = await self.quotas.refusals(caller=caller, rows=[0])
        if refused is not None:
            raise refused
        await aiofiles.os.makedirs(self.spool_dir, exist_ok=True)
        spool, claim = await asyncio.to_thread(claims.claim, self.spool_dir, SPOOL_PREFIX)
        try:
            sha256, size = await self._spool(chunks, spool)
            fingerprint = hashlib.sha256(
                json.dumps([ref.strip(), sha256, fmt.value, max_failed_rows]).encode()
            ).hexdigest()
            if idempotency_key is not None:
                replay = await self._replay(caller, idempotency_key, fingerprint)
                if replay is not None:
                    return SubmitOutcome(replay, deduplicated=True)
            stored = await self.store.put_stream(
                _file_chunks(spool), max_bytes=max(size, 1), suffix=f".{fmt.value}"
            )
        finally:
            await _unlink(spool)
            claims.release(claim)
        try:
            async with in_transaction():
                job = await tables.Job.create(
                    user_id=caller.user_id,
                    key_id=caller.key_id if caller.via_key else None,
                    model_id=target.model_id,
                    version_id=target.version_id,
                    format=fmt,
                    filename=safe_filename(filename),
                    input_key=stored.key,
                    input_bytes=stored.size,
                    input_sha256=sha256,
                    chunk_rows=self.config.chunk_rows,
                    max_failed_rows=max_failed_rows,
                )
                if idempotency_key is not None:
                    await tables.IdempotencyKey.create(
                        user_id=caller.user_id,
                        scope=IDEMPOTENCY_SCOPE,
                        key=idempotency_key,
                        fingerprint=fingerprint,
                        result_id=job.id,
                    )
        except IntegrityError:
            # A concurrent submission with this key won: replay it, or refuse a different one.
            if idempotency_key is None:
                raise
            replay = await self._replay(caller, idempotency_key, fingerprint)
            if replay is None:
                raise
            return SubmitOutcome(replay, deduplicated=True)
        try:
            await self.queue.enqueue("jobs.run", job_id=str(job.id))
        except Unavailable:
            # The job is recorded: the reaper queues it once the queue answers again, so the
            # caller gets their job rather than an error that invites a duplicate.
            log.warning("job %s recorded but not queued (the queue is unavailable)", job.id)
        log.info("job %s queued for version %s", job.id, target.version_id)
        return SubmitOutcome(job, deduplicated=False)

    async def _spool(self, chunks: AsyncIterator[bytes], path: Path) -> tuple[str, int]:
        """Write the file to ``path`` (inflated, when gzip); returns the sent bytes' sha256 and
        the size written."""
        digest = hashlib.sha256()
        sent = written = 0
        inflate: zlib._Decompress | None = None
        first = True
        cap, inflated_cap = self.config.max_upload_bytes, self.config.max_decompressed_bytes
        try:
            async with aiofiles.open(path, "wb") as out:
                async for chunk in chunks:
                    sent += len(chunk)
                    if sent > cap:
                        raise PayloadTooLarge(cap)
                    digest.update(chunk)
                    if first and chunk:
                        first = False
                        if chunk[:2] == GZIP_MAGIC:
                            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    if inflate is None:
                        written += len(chunk)
                        await out.write(chunk)
                        continue
                    # Never more than the cap's remainder (plus one byte, to know) at a time,
                    # so a bomb costs one chunk of memory.
                    data = chunk
                    while data:
                        try:
                            piece = inflate.decompress(data, inflated_cap - written + 1)
                        except zlib.error:
                            raise _not_gzip() from None
                        written += len(piece)
                        if written > inflated_cap:
                            raise DecompressedTooLarge(inflated_cap)
                        await out.write(piece)
                        data = inflate.unconsumed_tail
                if inflate is not None and not inflate.eof:
                    raise _not_gzip()
        except OSError as exc:
            if exc.errno in {28, 122}:  # ENOSPC, EDQUOT
                raise StorageFull() from None
            raise
        return digest.hexdigest(), written

    async def _replay(self, caller: Caller, key: str, fingerprint: str) -> tables.Job | None:
        record = await tables.IdempotencyKey.get_or_none(
            user_id=caller.user_id, scope=IDEMPOTENCY_SCOPE, key=key
        )
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        return await tables.Job.get_or_none(id=record.result_id)

    # -- reading -------------------------------------------------------------------------

    async def get_job(self, *, caller: Caller, job_id: uuid.UUID) -> tables.Job | None:
        """The caller's job, or None (someone else's, or on a model it may no longer use)."""
        job = await tables.Job.get_or_none(id=job_id, user_id=caller.user_id)
        if job is None or not await self._may_use(caller, job.model_id):
            return None
        return job

    async def require_job(self, *, caller: Caller, job_id: uuid.UUID) -> tables.Job:
        job = await self.get_job(caller=caller, job_id=job_id)
        if job is None:
            raise NotFound("Job")
        return job

    async def list_jobs(
        self,
        *,
        caller: Caller,
        model_id: uuid.UUID | None,
        first: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[tables.Job]:
        """The caller's jobs, newest first, of one model or of every model it may still use;
        ``first + 1`` rows are fetched so the page knows whether more follow."""
        query = tables.Job.filter(user_id=caller.user_id)
        if model_id is not None:
            await access.require_model(caller, model_id, needed=Access.PREDICTOR)
            query = query.filter(model_id=model_id)
        else:
            usable = (
                await tables.Model.filter(access.visible(caller))
                .distinct()
                .values_list("id", flat=True)
            )
            query = query.filter(model_id__in=list(usable))
        if after is not None:
            created, last_id = after
            query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
        return await query.order_by("-created_at", "-id").limit(first + 1)

    async def _may_use(self, caller: Caller, model_id: uuid.UUID) -> bool:
        found = await access.find_model(caller, model_id=model_id)
        return found is not None and found.access >= Access.PREDICTOR

    # -- cancelling ----------------------------------------------------------------------

    async def cancel_job(self, *, caller: Caller, job_id: uuid.UUID) -> tables.Job:
        """Cancel a queued or running job; its worker stops at its next chunk.

        Raises:
            NotFound: not the caller's job.
            Conflict: the job has already ended.
        """
        job = await self.require_job(caller=caller, job_id=job_id)
        changed = await tables.Job.filter(id=job.id, status__not_in=list(ENDED)).update(
            status=tables.JobStatus.CANCELLED,
            finished_at=datetime.now(UTC),
            lease_token=None,
            lease_expires_at=None,
        )
        job = await tables.Job.get(id=job.id)
        if not changed:
            raise Conflict(f"The job has already ended ({job.status}).")
        await self.emitter.emit(event_of(job, JobEventKind.CANCELLED))
        return job

    # -- results -------------------------------------------------------------------------

    def sign_link(self, *, job: tables.Job, fmt: tables.JobFormat) -> SignedLink:
        """A query string that lets anyone holding it download this job's results until it
        expires; bound to the job, its owner and the format."""
        expires = int(time.time()) + self.config.link_ttl_s
        signature = self._signature(job.id, job.user_id, fmt, expires)
        return SignedLink(
            query=f"format={fmt.value}&expires={expires}&signature={signature}",
            expires_at=datetime.fromtimestamp(expires, UTC),
        )

    async def job_for_link(
        self, *, job_id: uuid.UUID, fmt: tables.JobFormat, expires: int, signature: str
    ) -> tables.Job:
        """The job a signed link names; NotFound for a bad, expired or foreign signature."""
        if expires < time.time() or expires > time.time() + self.config.link_ttl_s + 60:
            raise NotFound("Job")
        job = await tables.Job.get_or_none(id=job_id)
        if job is None:
            raise NotFound("Job")
        expected = self._signature(job.id, job.user_id, fmt, expires)
        if not hmac.compare_digest(expected, signature):
            raise NotFound("Job")
        return job

    def _signature(
        self, job_id: uuid.UUID, user_id: uuid.UUID, fmt: tables.JobFormat, expires: int
    ) -> str:
        message = f"{job_id}|{user_id}|{fmt.value}|{expires}".encode()
        return hmac.new(self._link_key, message, "sha256").hexdigest()

    async def output_lines(self, job: tables.Job) -> AsyncIterator[bytes]:
        """The committed chunks' output (JSON Lines), in row order, one chunk at a time."""
        chunks = (
            await tables.JobChunk.filter(job_id=job.id)
            .order_by("index")
            .values_list("output_key", flat=True)
        )
        for key in chunks:
            async for piece in await self.store.open_stream(str(key)):
                yield piece


def _format_of(filename: str | None) -> tables.JobFormat | None:
    name = (filename or "").lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return next((fmt for suffix, fmt in SUFFIXES.items() if name.endswith(suffix)), None)


def _not_gzip() -> ValidationFailed:
    return ValidationFailed([FieldError(("input", "file"), "Not a valid gzip file.", "bad_gzip")])


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    async with aiofiles.open(path, "rb") as handle:
        while chunk := await handle.read(CHUNK):
            yield chunk


async def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        await aiofiles.os.remove(path)


def lease_until(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
