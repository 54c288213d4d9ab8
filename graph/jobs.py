"""Batch jobs in the schema: submit a file, follow it, cancel it, sign a link to its results."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from domain import events
from domain.accounts import Caller
from domain.errors import DecompressedTooLarge, NotFound
from domain.jobs.service import ENDED
from graph.context import Info, IsAuthenticated
from graph.enums import described_enum
from graph.errors import Maps, NotFoundError, ValidationError, parse_id
from graph.live import guarded
from graph.pagination import Connection, Edge, PageInfo, decode_cursor, encode_cursor, page_size
from graph.registry.mutations import idempotency_key_of, upload_chunks
from graph.registry.results import (
    ForbiddenError,
    IdempotencyKeyReusedError,
    PayloadTooLargeError,
)
from storage import tables

if TYPE_CHECKING:
    from graph.registry.types import ModelVersion

JobStatus = described_enum(
    tables.JobStatus,
    name="JobStatus",
    description="Where a job is.",
    values={
        "QUEUED": "Waiting for a worker.",
        "RUNNING": "A worker is predicting its chunks.",
        "SUCCEEDED": "Every row was read; results can be downloaded.",
        "FAILED": "Stopped: `error` says why (a bad file, too many failed rows, no attempts left).",
        "CANCELLED": "Cancelled with cancelJob; the results so far stay.",
    },
)
JobFileFormat = described_enum(
    tables.JobFormat,
    name="JobFileFormat",
    description="CSV with a header line, or JSON Lines.",
    values={
        "CSV": "Comma-separated, a header line naming the columns.",
        "JSONL": "One JSON object (a record) or array (a row) per line.",
    },
)
# How long a progress stream waits for an event before it reads the job row itself.
PROGRESS_POLL_S = 2.0


@strawberry.type(description="A row the job could not predict.")
class JobRowError:
    line: int = strawberry.field(description="The row's first line in the file, from 1.")
    message: str = strawberry.field(description="Why the row failed.")
    code: str = strawberry.field(
        description="e.g. wrong_column_count, malformed, encoding, line_too_long, invalid."
    )


@strawberry.type(description="A download link anyone holding it may use until it expires.")
class SignedLink:
    url: str = strawberry.field(description="An absolute URL; a plain GET downloads the file.")
    expires_at: datetime = strawberry.field(
        description="When it stops working (UTC; 15 minutes by default)."
    )


@strawberry.type(description="A batch prediction job over an uploaded file.")
class Job:
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    status: JobStatus = strawberry.field(description="Where the job is.")
    model_id: strawberry.ID = strawberry.field(description="The model it predicts with.")
    version_id: strawberry.ID = strawberry.field(description="Pinned when the job was submitted.")
    format: JobFileFormat = strawberry.field(description="The input file's format.")
    filename: str = strawberry.field(description="As uploaded; for display only.")
    rows_done: int = strawberry.field(description="Rows predicted so far.")
    rows_failed: int = strawberry.field(description="Rows that could not be predicted.")
    bytes_done: float = strawberry.field(description="Input read, up to the last chunk.")
    input_bytes: float = strawberry.field(
        description="Size of the input file, in bytes (after decompression)."
    )
    progress: float = strawberry.field(description="0..1, by input read.")
    attempts: int = strawberry.field(description="Runs so far (a lost worker means another).")
    max_failed_rows: int | None = strawberry.field(
        description="Past this many failed rows the job fails; null: never for bad rows."
    )
    row_errors: list[JobRowError] = strawberry.field(
        description="The first failed rows (capped; `rowsFailed` counts them all)."
    )
    error: str | None = strawberry.field(description="Why a failed job failed.")
    columns: list[str] | None = strawberry.field(
        description="The input columns, once read from the file; null before."
    )
    created_at: datetime = strawberry.field(description="When it was submitted (UTC).")
    started_at: datetime | None = strawberry.field(description="When a worker first took it (UTC).")
    finished_at: datetime | None = strawberry.field(
        description="When it succeeded, failed or was cancelled (UTC)."
    )

    @strawberry.field(description="The pinned version.")
    async def version(
        self, info: Info
    ) -> Annotated[ModelVersion, strawberry.lazy("graph.registry.types")] | None:
        from graph.registry.types import ModelVersion

        found = await info.context.loaders.version_by_id.load(uuid.UUID(self.version_id))
        return ModelVersion.from_table(found) if found else None

    @strawberry.field(description="A signed link to the results, valid for a short while.")
    async def results_link(
        self,
        info: Info,
        format: Annotated[
            JobFileFormat,
            strawberry.argument(description="The results' format: CSV (default) or JSONL."),
        ] = tables.JobFormat.CSV,
    ) -> SignedLink:
        job = await info.context.services.jobs.require_job(
            caller=await info.context.require_caller(), job_id=uuid.UUID(self.id)
        )
        link = info.context.services.jobs.sign_link(job=job, fmt=tables.JobFormat(format))
        base = str(info.context.request.base_url).rstrip("/")
        base = base.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
        return SignedLink(
            url=f"{base}/jobs/{job.id}/results?{link.query}", expires_at=link.expires_at
        )

    @classmethod
    def from_table(cls, job: tables.Job) -> Job:
        return cls(
            id=strawberry.ID(str(job.id)),
            status=tables.JobStatus(job.status),
            model_id=strawberry.ID(str(job.model_id)),
            version_id=strawberry.ID(str(job.version_id)),
            format=tables.JobFormat(job.format),
            filename=job.filename or "",
            rows_done=job.rows_done,
            rows_failed=job.rows_failed,
            bytes_done=job.bytes_done,
            input_bytes=job.input_bytes,
            progress=_progress(job.status, job.bytes_done, job.input_bytes),
            attempts=job.attempts,
            max_failed_rows=job.max_failed_rows,
            row_errors=[JobRowError(**e) for e in job.row_errors or []],
            error=job.error,
            columns=job.columns,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


@strawberry.type(description="A job's figures as it runs.")
class JobProgress:
    job_id: strawberry.ID = strawberry.field(description="The job's id.")
    status: JobStatus = strawberry.field(description="Where the job is.")
    rows_done: int = strawberry.field(description="Rows predicted so far.")
    rows_failed: int = strawberry.field(description="Rows that could not be predicted.")
    progress: float = strawberry.field(description="0..1, by input read.")
    rows_per_second: float | None = strawberry.field(description="Since the job started.")
    eta_seconds: float | None = strawberry.field(description="Estimated, from the input read.")
    error: str | None = strawberry.field(description="Why a failed job failed.")
    at: datetime = strawberry.field(description="When these figures were taken (UTC).")

    @classmethod
    def of(
        cls,
        *,
        job_id: uuid.UUID,
        status: str,
        rows: tuple[int, int],
        read: tuple[int, int],
        started_at: datetime | None,
        error: str | None,
    ) -> JobProgress:
        done, failed = rows
        fraction = _progress(status, *read)
        rate = eta = None
        now = datetime.now(UTC)
        if started_at is not None:
            elapsed = max((now - started_at).total_seconds(), 1e-3)
            rate = (done + failed) / elapsed
            if 0 < fraction < 1:
                eta = elapsed * (1 - fraction) / fraction
            elif fraction >= 1:
                eta = 0.0
        return cls(
            job_id=strawberry.ID(str(job_id)),
            status=tables.JobStatus(status),
            rows_done=done,
            rows_failed=failed,
            progress=fraction,
            rows_per_second=rate,
            eta_seconds=eta,
            error=error,
            at=now,
        )

    @classmethod
    def from_table(cls, job: tables.Job) -> JobProgress:
        return cls.of(
            job_id=job.id,
            status=str(job.status),
            rows=(job.rows_done, job.rows_failed),
            read=(job.bytes_done, job.input_bytes),
            started_at=job.started_at,
            error=job.error,
        )

    @classmethod
    def from_event(cls, event: events.JobEvent) -> JobProgress:
        return cls.of(
            job_id=event.job_id,
            status=event.status,
            rows=(event.rows_done, event.rows_failed),
            read=(event.bytes_done, event.input_bytes),
            started_at=event.started_at,
            error=event.error,
        )


def _progress(status: str, done: int, total: int) -> float:
    if status == tables.JobStatus.SUCCEEDED:
        return 1.0
    return min(1.0, done / total) if total else 0.0


# -- mutations ------------------------------------------------------------------------------


@strawberry.input(
    description="A batch prediction job over an uploaded CSV or JSON Lines file "
    "(GraphQL multipart request; predictors)."
)
class CreateBatchJobInput:
    model: str = strawberry.field(
        description="`owner/name` (its production alias, else its newest version), "
        "`owner/name:3` or `owner/name@alias`; the version is pinned now."
    )
    file: Upload = strawberry.field(
        description="CSV with a header line, or JSON Lines; gzip accepted. Size-capped, and "
        "capped once decompressed."
    )
    format: JobFileFormat | None = strawberry.field(
        default=None, description="Default: from the file name (.csv, .jsonl, .ndjson, + .gz)."
    )
    max_failed_rows: int | None = strawberry.field(
        default=None, description="Fail the job once more rows than this fail; null: never."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key and file returns the same job (or send an "
        "`Idempotency-Key` header). Keys are yours alone.",
    )


@strawberry.type(description="Decompressed, the file is larger than the limit.")
class DecompressedTooLargeError(PayloadTooLargeError):
    pass


@strawberry.type(description="The job, as it is now.")
class JobSuccess:
    job: Job = strawberry.field(description="The submitted or cancelled job.")
    deduplicated: bool = strawberry.field(
        default=False, description="True when this idempotency key gave an existing job."
    )


CreateBatchJobResult = Annotated[
    JobSuccess
    | ValidationError
    | DecompressedTooLargeError
    | PayloadTooLargeError
    | IdempotencyKeyReusedError
    | NotFoundError
    | ForbiddenError,
    strawberry.union(
        "CreateBatchJobResult", description="The queued job, or why the file was refused."
    ),
]
CancelJobResult = Annotated[
    JobSuccess | NotFoundError,
    strawberry.union(
        "CancelJobResult",
        description="The cancelled job (a finished one is left as it is), or NotFoundError.",
    ),
]

HANDLERS: tuple[Maps[Any], ...] = (
    Maps(
        DecompressedTooLarge,
        DecompressedTooLargeError,
        lambda e: DecompressedTooLargeError(message=e.message, limit_bytes=e.limit_bytes),
    ),
)


@strawberry.type
class JobsQuery:
    @strawberry.field(
        description="One of your jobs; null for anyone else's.",
        permission_classes=[IsAuthenticated],
    )
    async def job(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The job's id.")],
    ) -> Job | None:
        try:
            job_id = parse_id(id, "Job")
        except NotFound:
            return None
        found = await info.context.services.jobs.get_job(
            caller=await info.context.require_caller(), job_id=job_id
        )
        return Job.from_table(found) if found else None

    @strawberry.field(
        description="Your jobs, newest first: of one model, or of every model you may use.",
        permission_classes=[IsAuthenticated],
    )
    async def jobs(
        self,
        info: Info,
        model: Annotated[str | None, strawberry.argument(description="A model id.")] = None,
        first: Annotated[int | None, strawberry.argument(description="1..100, default 20.")] = None,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="The `endCursor` of the previous page; omit it for the first page."
            ),
        ] = None,
    ) -> Connection[Job]:
        size = page_size(first)
        rows = await info.context.services.jobs.list_jobs(
            caller=await info.context.require_caller(),
            model_id=parse_id(model, "Model") if model is not None else None,
            first=size,
            after=decode_cursor(after),
        )
        page = rows[:size]
        return Connection(
            edges=[
                Edge(cursor=encode_cursor(j.created_at, j.id), node=Job.from_table(j)) for j in page
            ],
            page_info=PageInfo(
                has_next_page=len(rows) > size,
                end_cursor=encode_cursor(page[-1].created_at, page[-1].id) if page else None,
            ),
        )


@strawberry.type
class JobsMutation:
    @strawberry.mutation(
        description="Predict a file of rows in the background (GraphQL multipart request).",
        permission_classes=[IsAuthenticated],
    )
    async def create_batch_job(
        self,
        info: Info,
        input: Annotated[
            CreateBatchJobInput,
            strawberry.argument(description="The model reference, the file and the job's options."),
        ],
    ) -> CreateBatchJobResult:
        outcome = await info.context.services.jobs.submit(
            caller=await info.context.require_caller(),
            ref=input.model,
            chunks=upload_chunks(input.file),
            filename=getattr(input.file, "filename", None),
            fmt=tables.JobFormat(input.format) if input.format else None,
            max_failed_rows=input.max_failed_rows,
            idempotency_key=idempotency_key_of(info, input.idempotency_key),
        )
        return JobSuccess(job=Job.from_table(outcome.job), deduplicated=outcome.deduplicated)

    @strawberry.mutation(
        description="Cancel a queued or running job (CONFLICT once it has ended).",
        permission_classes=[IsAuthenticated],
    )
    async def cancel_job(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The job's id.")],
    ) -> CancelJobResult:
        job = await info.context.services.jobs.cancel_job(
            caller=await info.context.require_caller(), job_id=parse_id(id, "Job")
        )
        return JobSuccess(job=Job.from_table(job))


@strawberry.type
class JobsSubscription:
    @strawberry.subscription(
        description="A job's progress: its figures now, then after every chunk; ends with "
        "the job. NOT_FOUND for anyone else's job.",
        permission_classes=[IsAuthenticated],
    )
    async def job_progress(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The job's id.")],
    ) -> AsyncGenerator[JobProgress, None]:
        caller = await info.context.require_caller()
        jobs = info.context.services.jobs
        job = await jobs.require_job(caller=caller, job_id=parse_id(id, "Job"))
        # Subscribed before the row is read, so no chunk lands unseen in between.
        messages: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=256)
        pump = asyncio.create_task(_pump(info, job, messages))
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_subscribed(messages), PROGRESS_POLL_S)
            last: tuple[Any, ...] | None = None
            while True:
                current = await tables.Job.get_or_none(id=job.id)
                if current is None:
                    return
                figures = (current.status, current.rows_done, current.rows_failed)
                if figures != last:
                    last = figures
                    yield JobProgress.from_table(current)
                if current.status in ENDED:
                    return
                try:
                    message = await asyncio.wait_for(messages.get(), PROGRESS_POLL_S)
                except TimeoutError:
                    continue  # no event: read the row anyway (a worker may have died)
                if message is None:
                    return  # the stream was closed (session ended, access revoked)
                if message is _READY:
                    continue  # subscribed later than PROGRESS_POLL_S: the rows said it all
                event = events.JobEvent.from_message(message)
                last = (event.status, event.rows_done, event.rows_failed)
                yield JobProgress.from_event(event)
                if event.ended:
                    return
        finally:
            pump.cancel()
            with contextlib.suppress(BaseException):
                await pump


_READY = {"_ready": True}


async def _subscribed(messages: asyncio.Queue[dict[str, Any] | None]) -> None:
    while (await messages.get()) is not _READY:
        pass


async def _pump(info: Info, job: tables.Job, out: asyncio.Queue[dict[str, Any] | None]) -> None:
    jobs = info.context.services.jobs
    job_id, user_id = job.id, job.user_id

    async def still_allowed(caller: Caller) -> bool:
        return await jobs.get_job(caller=caller, job_id=job_id) is not None

    ready = asyncio.Event()

    async def announce() -> None:
        await ready.wait()
        await out.put(_READY)

    announcer = asyncio.create_task(announce())
    try:
        async for message in guarded(
            info, events.job_channel(job_id), still_allowed, subscribed=ready
        ):
            if message.get("userId") == str(user_id):
                await out.put(message)
    finally:
        announcer.cancel()
        await out.put(None)
