"""Running a job: take its lease, predict its file chunk by chunk, commit each chunk once.

The job row is the truth. A worker takes a job by setting a fresh ``lease_token`` with
``lease_expires_at`` ahead, and renews it while it works; every write it makes names that
token, so a worker that lost its lease (it stalled, the reaper gave the job to another, the job
was cancelled) writes nothing more. A chunk is committed in one transaction with the job's
counters and the input offset it reached, and only when the job's ``chunks_done`` is still the
chunk's index: a retried job resumes at that offset and no chunk is ever counted or written
twice. The reaper finds leases that expired (a worker was killed) and queues the job again, or
fails it after ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from domain import webhooks
from domain.accounts import Caller
from domain.accounts.caller import ALL_SCOPES, AuthMethod, Scope
from domain.errors import DomainError, RateLimited
from domain.events import JobEventKind
from domain.inference import PredictionFailed, PredictionTimeout
from domain.inference.service import Target
from domain.inference.validation import InvalidInput
from domain.jobs.plan import Plan
from domain.jobs.reading import BadInput, CsvReader, JsonLinesReader, Row, RowError
from domain.jobs.service import SPOOL_PREFIX, event_of
from domain.registry.base import webhook_model
from domain.registry.intake import claims
from storage import tables

if TYPE_CHECKING:
    from domain.jobs.service import Jobs
    from domain.runtime import Services

log = logging.getLogger("modelserve.jobs")

# A chunk also ends once it has read this much input, so its memory stays bounded.
CHUNK_MAX_BYTES = 16 << 20
MAX_WAIT_S = 30.0  # the longest a worker sleeps at once for a spent quota


class LeaseLost(Exception):
    """The job is no longer this worker's (cancelled, or taken over)."""


class Stop(Exception):
    """The job cannot go on; it fails with ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Chunk:
    index: int
    items: list[Row | RowError]
    offset: int  # input bytes read after this chunk
    line: int  # physical lines read after it
    output: list[bytes] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ok: int = 0
    classes: list[Any] | None = None


async def run_job(services: Services, *, job_id: str) -> None:
    """The ``jobs.run`` task: take the job if it is free, run it to its end or lease loss."""
    jobs = services.jobs
    token = uuid.uuid4()
    job = await _claim(jobs, uuid.UUID(job_id), token)
    if job is None:
        return
    lost = asyncio.Event()
    heartbeat = asyncio.create_task(_heartbeat(jobs, job.id, token, lost), name="job-lease")
    try:
        if job.attempts > jobs.config.max_attempts:
            await _finish(jobs, job, token, failed=f"Gave up after {job.attempts - 1} attempts.")
            return
        await services.emitter.emit(event_of(job, JobEventKind.STARTED))
        try:
            await _run(services, job, token, lost)
        except Stop as stop:
            await _finish(jobs, job, token, failed=stop.message)
    except LeaseLost:
        log.info("job %s: lease lost (cancelled or taken over); stopping", job.id)
    except BaseException:
        # Let the reaper hand it out again at once rather than when the lease would expire.
        try:
            await tables.Job.filter(id=job.id, lease_token=token).update(lease_expires_at=_now())
        except Exception:
            log.warning("job %s: could not hand back its lease; it runs out", job.id, exc_info=True)
        raise
    finally:
        heartbeat.cancel()
        # Waits without taking the heartbeat's own cancellation for this task's: a cancel of
        # this task that arrives meanwhile still propagates.
        await asyncio.wait({heartbeat})


async def _claim(jobs: Jobs, job_id: uuid.UUID, token: uuid.UUID) -> tables.Job | None:
    now = _now()
    free = Q(status=tables.JobStatus.QUEUED) | Q(
        status=tables.JobStatus.RUNNING, lease_expires_at__lt=now
    )
    taken = await tables.Job.filter(free, id=job_id).update(
        status=tables.JobStatus.RUNNING,
        lease_token=token,
        lease_expires_at=now + timedelta(seconds=jobs.config.lease_s),
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not taken:
        return None
    await tables.Job.filter(id=job_id, started_at=None).update(started_at=now)
    return await tables.Job.get(id=job_id)


async def _heartbeat(jobs: Jobs, job_id: uuid.UUID, token: uuid.UUID, lost: asyncio.Event) -> None:
    every = jobs.config.lease_s / 3
    while True:
        await asyncio.sleep(every)
        try:
            kept = await tables.Job.filter(
                id=job_id, lease_token=token, status=tables.JobStatus.RUNNING
            ).update(lease_expires_at=_now() + timedelta(seconds=jobs.config.lease_s))
        except Exception:
            log.warning("job %s: could not renew the lease", job_id, exc_info=True)
            continue
        if not kept:
            lost.set()
            return


async def _run(services: Services, job: tables.Job, token: uuid.UUID, lost: asyncio.Event) -> None:
    jobs = services.jobs
    caller = await _caller_of(job)
    try:
        target = await services.inference.resolve(caller=caller, ref=str(job.version_id))
    except DomainError as exc:
        raise Stop(f"The pinned version cannot serve: {exc.message}") from None
    spool, claim = await asyncio.to_thread(claims.claim, jobs.spool_dir, SPOOL_PREFIX)
    try:
        with open(spool, "wb") as out:  # noqa: ASYNC230 - one chunk at a time, in a thread
            async for piece in await jobs.store.open_stream(job.input_key):
                await asyncio.to_thread(out.write, piece)
        with open(spool, "rb") as handle:  # noqa: ASYNC230
            await _predict_file(services, job, token, lost, caller, target, handle)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(spool)
        claims.release(claim)


async def _predict_file(
    services: Services,
    job: tables.Job,
    token: uuid.UUID,
    lost: asyncio.Event,
    caller: Caller,
    target: Target,
    handle: BinaryIO,
) -> None:
    jobs = services.jobs
    config = jobs.config
    try:
        if job.format is tables.JobFormat.CSV:
            reader: CsvReader | JsonLinesReader = await asyncio.to_thread(
                CsvReader,
                handle,
                max_line_bytes=config.max_line_bytes,
                max_columns=config.max_columns,
            )
        else:
            reader = JsonLinesReader(handle, max_line_bytes=config.max_line_bytes)
        plan = Plan(signature=target.signature, fmt=job.format, columns=reader.columns)
    except BadInput as exc:
        raise Stop(exc.message) from None
    if job.columns is None:
        job.columns = reader.columns or plan.names
        await tables.Job.filter(id=job.id, lease_token=token).update(columns=job.columns)
    lines = reader.lines
    if job.bytes_done:
        # Resume after the last committed chunk: the header was read above, the rest is skipped.
        handle.seek(job.bytes_done)
        lines.offset, lines.line = job.bytes_done, job.lines_done
    rows = reader.rows()
    index = job.chunks_done
    while True:
        if lost.is_set():
            raise LeaseLost()
        items = await asyncio.to_thread(_take, rows, lines, config.chunk_rows)
        if not items:
            break
        chunk = _Chunk(index, items, lines.offset, lines.line)
        await _predict_chunk(services, caller, target, plan, chunk, lost)
        job = await _commit(jobs, job, token, chunk)
        await services.emitter.emit(event_of(job, JobEventKind.PROGRESS))
        if job.max_failed_rows is not None and job.rows_failed > job.max_failed_rows:
            raise Stop(f"More than {job.max_failed_rows} rows failed.")
        index += 1
    if job.rows_done == 0:
        raise Stop("The file has no rows." if job.rows_failed == 0 else "Every row failed.")
    await _finish(jobs, job, token, failed=None)


def _take(rows: Any, lines: Any, most: int) -> list[Row | RowError]:
    start = lines.offset
    items: list[Row | RowError] = []
    for item in rows:
        items.append(item)
        if len(items) >= most or lines.offset - start >= CHUNK_MAX_BYTES:
            break
    return items


async def _predict_chunk(
    services: Services,
    caller: Caller,
    target: Target,
    plan: Plan,
    chunk: _Chunk,
    lost: asyncio.Event,
) -> None:
    """Predict the chunk's good rows in one call; every other row gets its reason."""
    inference = services.inference
    lines: list[int] = []
    originals: list[Any] = []
    inputs: list[Any] = []
    for item in chunk.items:
        converted = item if isinstance(item, RowError) else plan.convert(item)
        if isinstance(converted, RowError):
            chunk.errors.append(converted)
            continue
        assert isinstance(item, Row)
        lines.append(item.line)
        originals.append(item.values)
        inputs.append(converted)
    # Drop the rows validation names until the rest fits (each pass names up to ten).
    while inputs:
        try:
            inference.check_rows(target, inputs, max_rows=len(inputs))
            break
        except InvalidInput as exc:
            bad = _rows_named(exc, len(inputs))
            if not bad:
                chunk.errors += [RowError(line, exc.message, "invalid") for line in lines]
                inputs = []
                break
            for i in sorted(bad, reverse=True):
                chunk.errors.append(RowError(lines[i], bad[i], "invalid"))
                del lines[i], originals[i], inputs[i]
    if not inputs:
        return
    while True:
        try:
            prediction = await inference.predict(
                caller=caller,
                ref=str(target.version_id),
                rows=inputs,
                max_rows=len(inputs),
                request_id=f"job-{chunk.index}-{uuid.uuid4().hex[:12]}",
            )
            break
        except RateLimited as exc:
            # The caller's (or the model's) budget paces the job; it is not a failure.
            if lost.is_set():
                raise LeaseLost() from None
            await asyncio.sleep(min(MAX_WAIT_S, exc.retry_after))
        except (PredictionFailed, PredictionTimeout) as exc:
            chunk.errors += [RowError(line, exc.message, exc.code.value) for line in lines]
            return
        except DomainError as exc:
            raise Stop(f"Predicting stopped: {exc.message}") from None
    probabilities = prediction.probabilities
    for i, line in enumerate(lines):
        record: dict[str, Any] = {
            "line": line,
            "input": originals[i],
            "prediction": prediction.predictions[i],
        }
        if probabilities is not None:
            record["probabilities"] = probabilities[i]
        chunk.output.append(json.dumps(record, separators=(",", ":"), default=str).encode())
    chunk.ok = len(lines)
    chunk.classes = prediction.classes


def _rows_named(exc: InvalidInput, n: int) -> dict[int, str]:
    """Row index → the first problem validation named for it."""
    named: dict[int, str] = {}
    for problem in exc.errors:
        if len(problem.path) >= 2 and problem.path[1].isdigit() and int(problem.path[1]) < n:
            where = problem.path[2:]
            text = f"{where[0]}: {problem.message}" if where else problem.message
            named.setdefault(int(problem.path[1]), text)
    return named


async def _commit(jobs: Jobs, job: tables.Job, token: uuid.UUID, chunk: _Chunk) -> tables.Job:
    key = None
    if chunk.output:
        stored = await jobs.store.put_bytes(b"\n".join(chunk.output) + b"\n", suffix=".jsonl")
        key = stored.key
    room = jobs.config.max_row_errors - len(job.row_errors)
    chunk.errors.sort(key=lambda e: e.line)
    row_errors = job.row_errors + [e.to_json() for e in chunk.errors[: max(0, room)]]
    values: dict[str, Any] = {
        "chunks_done": chunk.index + 1,
        "rows_done": F("rows_done") + chunk.ok,
        "rows_failed": F("rows_failed") + len(chunk.errors),
        "bytes_done": chunk.offset,
        "lines_done": chunk.line,
        "row_errors": row_errors,
        "lease_expires_at": _now() + timedelta(seconds=jobs.config.lease_s),
        "updated_at": _now(),
    }
    if chunk.classes is not None and job.classes is None:
        values["classes"] = chunk.classes
    async with in_transaction():
        taken = await tables.Job.filter(
            id=job.id,
            lease_token=token,
            status=tables.JobStatus.RUNNING,
            chunks_done=chunk.index,
        ).update(**values)
        if not taken:
            raise LeaseLost()
        if key is not None:
            await tables.JobChunk.create(
                job_id=job.id, index=chunk.index, output_key=key, rows=chunk.ok
            )
    return await tables.Job.get(id=job.id)


async def _finish(
    jobs: Jobs, job: tables.Job, token: uuid.UUID | None, *, failed: str | None
) -> None:
    status = tables.JobStatus.FAILED if failed else tables.JobStatus.SUCCEEDED
    query = tables.Job.filter(id=job.id, status=tables.JobStatus.RUNNING)
    if token is not None:
        query = query.filter(lease_token=token)
    async with in_transaction():
        done = await query.update(
            status=status,
            error=failed,
            finished_at=_now(),
            lease_token=None,
            lease_expires_at=None,
            updated_at=_now(),
        )
        if not done:
            raise LeaseLost()
        # The `job.completed` / `job.failed` webhooks commit with the job's end, or not at all.
        ended = await tables.Job.get(id=job.id).select_related("model", "version")
        await webhooks.record(
            webhooks.EventType.JOB_FAILED if failed else webhooks.EventType.JOB_COMPLETED,
            model_id=ended.model_id,
            user_id=ended.user_id,
            data={
                "model": webhook_model(ended.model),
                "jobId": str(ended.id),
                "version": {"id": str(ended.version_id), "number": ended.version.number},
                "status": str(status),
                "rowsDone": ended.rows_done,
                "rowsFailed": ended.rows_failed,
                "error": failed,
            },
        )
    job = await tables.Job.get(id=job.id)
    kind = JobEventKind.FAILED if failed else JobEventKind.COMPLETED
    log.info("job %s %s: %d rows, %d failed", job.id, status, job.rows_done, job.rows_failed)
    await jobs.emitter.emit(event_of(job, kind))


async def _caller_of(job: tables.Job) -> Caller:
    """The submitter, as the worker acts for them: the same access, the same budget."""
    user = await tables.User.get_or_none(id=job.user_id)
    if user is None or not user.is_active:
        raise Stop("The account that submitted the job is deactivated.")
    role = tables.Role(user.role)
    if job.key_id is None:
        scopes = ALL_SCOPES if role is tables.Role.ADMIN else ALL_SCOPES - {Scope.ADMIN}
        return Caller(user.id, user.email, role, AuthMethod.SESSION, scopes, None)
    key = await tables.ApiKey.get_or_none(id=job.key_id, user_id=user.id)
    if key is None or key.revoked_at is not None or (key.expires_at and key.expires_at < _now()):
        raise Stop("The API key that submitted the job was revoked or has expired.")
    model_ids = key.model_ids
    return Caller(
        user.id,
        user.email,
        role,
        AuthMethod.API_KEY,
        frozenset(Scope(s) for s in key.scopes),
        key.expires_at,
        key_id=key.id,
        model_ids=frozenset(uuid.UUID(m) for m in model_ids) if model_ids is not None else None,
    )


async def reap(services: Services) -> None:
    """The ``jobs.reap`` schedule: no job stays ``running`` past its lease, none is forgotten
    in ``queued``."""
    jobs = services.jobs
    now = _now()
    expired = await tables.Job.filter(
        status=tables.JobStatus.RUNNING, lease_expires_at__lt=now
    ).values_list("id", "attempts")
    for job_id, attempts in expired:
        still = tables.Job.filter(
            id=job_id, status=tables.JobStatus.RUNNING, lease_expires_at__lt=now
        )
        if attempts >= jobs.config.max_attempts:
            job = await tables.Job.get(id=job_id)
            with contextlib.suppress(LeaseLost):
                await _finish(
                    jobs, job, job.lease_token, failed=f"The worker was lost {attempts} times."
                )
            continue
        if await still.update(
            status=tables.JobStatus.QUEUED, lease_token=None, lease_expires_at=None, updated_at=now
        ):
            log.warning("job %s: its worker was lost; queued again", job_id)
            await jobs.queue.enqueue("jobs.run", job_id=str(job_id))
    # Queued long ago and never taken: the enqueue was lost (a process died right after it).
    stale = now - timedelta(seconds=jobs.config.lease_s)
    forgotten = await tables.Job.filter(
        status=tables.JobStatus.QUEUED, updated_at__lt=stale
    ).values_list("id", flat=True)
    for job_id in forgotten:
        await tables.Job.filter(id=job_id, status=tables.JobStatus.QUEUED).update(updated_at=now)
        await jobs.queue.enqueue("jobs.run", job_id=str(job_id))
    await asyncio.to_thread(claims.sweep, Path(jobs.spool_dir), SPOOL_PREFIX)
