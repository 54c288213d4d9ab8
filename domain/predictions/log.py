"""The prediction log writer: a bounded queue drained in batches, off the request path.

Requests only ``record()`` (never awaiting the database). A background task inserts batches
with one ``executemany`` and publishes each record as a live event. When the database is down the
batch waits and is retried; the queue is bounded, and what cannot be kept is counted in
``dropped``, by reason, never lost silently. ``close()`` flushes everything on shutdown.

One bad record must not hold up the others. ``record()`` refuses inputs or outputs JSON cannot
carry before they are queued. Errors that say the database cannot take writes at all
(connection lost, locked, read-only, out of space, a deadlock) keep the batch for a retry. Any
other error, while the database still answers a query, is the data's (a constraint, a value
out of range): the batch is split in halves until each refused record stands alone and is
dropped, so every other record of the batch is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from tortoise.exceptions import BaseORMException, DBConnectionError, TransactionManagementError

from storage import tables

log = logging.getLogger("modelserve.predictions")

Publish = Callable[[str, dict[str, Any]], Awaitable[None]]

#: Why records were dropped: the buffer was full, inputs or outputs JSON cannot carry, the
#: database refused the record itself, or the writer was closing (or shut down unwritten).
DROP_REASONS = ("queue_full", "unserialisable", "rejected", "shutdown")
PROBE_TIMEOUT_S = 5.0

# What a driver raises when the database cannot take any write now: retry the records later.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # ConnectionError and TimeoutError too
    DBConnectionError,
    TransactionManagementError,
    sqlite3.OperationalError,  # locked, disk full, read-only, I/O error, no such table
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InvalidTransactionStateError,  # read-only transactions among them
    asyncpg.exceptions.TransactionRollbackError,  # deadlocks, serialisation failures
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.SyntaxOrAccessError,  # schema not migrated, privileges
)


def predictions_channel(model_id: uuid.UUID) -> str:
    return f"predictions:{model_id}"


@dataclass(slots=True)
class PredictionRecord:
    model_id: uuid.UUID
    version_id: uuid.UUID | None
    caller_id: uuid.UUID | None
    request_id: str
    status: str
    error_code: str | None
    n_rows: int
    latency_ms: float
    inputs: Any
    inputs_hash: str | None
    outputs: Any
    version_number: int | None = None
    shadow: bool = False  # a shadow version's copy of the call, answered to no one
    agreed_rows: int | None = None  # a shadow's rows that agreed with the caller's answer
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    # ``inputs`` and ``outputs`` as JSON, encoded once by ``record()``'s check.
    encoded: tuple[bytes, bytes] | None = None

    def to_values(self) -> dict[str, Any]:
        """The log row's columns, for ``PredictionLog.insert_values``."""
        inputs, outputs = self.inputs, self.outputs
        if self.encoded is not None:
            inputs = None if inputs is None else tables.EncodedJSON(self.encoded[0])
            outputs = None if outputs is None else tables.EncodedJSON(self.encoded[1])
        return {
            "id": self.id,
            "model_id": self.model_id,
            "version_id": self.version_id,
            "caller_id": self.caller_id,
            "request_id": self.request_id,
            "status": self.status,
            "error_code": self.error_code,
            "n_rows": self.n_rows,
            "latency_ms": self.latency_ms,
            "inputs": inputs,
            "inputs_hash": self.inputs_hash,
            "outputs": outputs,
            "shadow": self.shadow,
            "agreed_rows": self.agreed_rows,
            "created_at": self.created_at,
        }

    def to_event(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "modelId": str(self.model_id),
            "versionId": str(self.version_id) if self.version_id else None,
            "versionNumber": self.version_number,
            "callerId": str(self.caller_id) if self.caller_id else None,
            "requestId": self.request_id,
            "status": self.status,
            "errorCode": self.error_code,
            "nRows": self.n_rows,
            "latencyMs": self.latency_ms,
            "inputs": self.inputs,
            "inputsHash": self.inputs_hash,
            "outputs": self.outputs,
            "shadow": self.shadow,
            "at": self.created_at.isoformat(),
        }


@dataclass(slots=True)
class WriterStats:
    written: int = 0
    dropped: int = 0  # for every reason: the sum of ``dropped_by``
    failures: int = 0
    batches: int = 0
    dropped_by: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DROP_REASONS, 0))


class PredictionLogWriter:
    def __init__(
        self,
        *,
        max_queue: int,
        batch_size: int,
        publish: Publish | None = None,
        flush_interval_s: float = 0.2,
        retry_s: float = 1.0,
    ) -> None:
        self._queue: asyncio.Queue[PredictionRecord] = asyncio.Queue(maxsize=max_queue)
        self._batch_size = batch_size
        self._publish = publish
        self._flush_interval_s = flush_interval_s
        self._retry_s = retry_s
        self._pending: list[PredictionRecord] = []
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._write_lock = asyncio.Lock()
        self.stats = WriterStats()
        self.healthy = True

    @property
    def depth(self) -> int:
        return self._queue.qsize() + len(self._pending)

    def record(self, record: PredictionRecord) -> bool:
        """Queue a record; False (and counted) if closing, unserialisable or the buffer is full."""
        if self._closing:
            self._drop("shutdown")
            return False
        try:
            # The encoder the JSON fields use, and the text they are given: what passes here
            # is not refused for its type later, nor encoded again.
            record.encoded = (orjson.dumps(record.inputs), orjson.dumps(record.outputs))
        except TypeError as exc:  # orjson's JSONEncodeError
            self._drop("unserialisable", f"inputs or outputs JSON cannot carry ({exc})")
            return False
        try:
            self._queue.put_nowait(record)
            return True
        except asyncio.QueueFull:
            self._drop("queue_full", "prediction log buffer full")
            return False

    def _drop(self, reason: str, why: str | None = None, count: int = 1) -> None:
        """Count ``count`` dropped records; with ``why``, log the first and every 1000th."""
        before = self.stats.dropped_by[reason]
        self.stats.dropped_by[reason] = before + count
        self.stats.dropped += count
        if why is not None and (before == 0 or (before + count) // 1000 > before // 1000):
            log.error("%s; %d prediction log records dropped (%s)", why, before + count, reason)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="prediction-log-writer")

    async def _run(self) -> None:
        while True:
            fresh = await self._collect()
            await self._publish_events(fresh)
            async with self._write_lock:
                await self._write_pending()

    async def _collect(self) -> list[PredictionRecord]:
        """Move queued records into the pending batch; returns the ones moved.

        Records go straight into ``_pending`` so a cancellation mid-collect loses none.
        """
        start = len(self._pending)
        if not self._pending:
            self._pending.append(await self._queue.get())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._flush_interval_s
        while len(self._pending) < self._batch_size:
            try:
                self._pending.append(self._queue.get_nowait())
                continue
            except asyncio.QueueEmpty:
                pass
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                self._pending.append(await asyncio.wait_for(self._queue.get(), remaining))
            except TimeoutError:
                break
        return self._pending[start:]

    async def _write_pending(self) -> None:
        outage = await self._write()
        if outage is not None:
            self.stats.failures += 1
            if self.healthy:
                log.error("prediction log write failed, retrying: %s", outage)
            self.healthy = False
            await asyncio.sleep(self._retry_s)
            return
        if not self.healthy:
            log.info("prediction log writes recovered")
        self.healthy = True
        self.stats.batches += 1

    async def _write(self) -> Exception | None:
        """Insert the first batch of ``_pending``; returns the outage that stopped it, if any.

        A chunk refused for its data is halved until each refused record stands alone; that
        one is dropped and counted, the others are written. Halves run left to right, so what
        is settled (written or dropped) is always a prefix, and only the rest stays pending.
        """
        batch, rest = self._pending[: self._batch_size], self._pending[self._batch_size :]
        settled = 0
        chunks = [batch]
        try:
            while chunks:
                chunk = chunks.pop()
                try:
                    await tables.PredictionLog.insert_values([r.to_values() for r in chunk])
                except Exception as exc:
                    reason = await _refusal(exc)
                    if reason is None:
                        return exc
                    if len(chunk) > 1:
                        half = len(chunk) // 2
                        chunks += [chunk[half:], chunk[:half]]
                        continue
                    self._drop(reason)
                    # The type and first line only: a driver's detail may quote the values.
                    first_line = (str(exc).splitlines() or [""])[0][:200]
                    log.error(
                        "dropped a prediction log record (%s): %s: %s",
                        reason,
                        type(exc).__name__,
                        first_line,
                        extra={"request_id": chunk[0].request_id},
                    )
                else:
                    self.stats.written += len(chunk)
                settled += len(chunk)
        finally:
            self._pending = batch[settled:] + rest
        return None

    async def drain(self, timeout_s: float = 5.0) -> None:
        """Wait until everything recorded so far is written (or ``timeout_s`` passes)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self.depth and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
            # Polling keeps the writer free of a second wake-up path; this runs at shutdown
            # and in tests only.
            await asyncio.sleep(0.02)

    async def _publish_events(self, records: list[PredictionRecord]) -> None:
        if self._publish is None:
            return
        for record in records:
            try:
                await self._publish(predictions_channel(record.model_id), record.to_event())
            except Exception as exc:
                log.warning("prediction events not published: %s", exc)
                return

    async def close(self, timeout_s: float = 10.0) -> None:
        """Stop taking records and write everything queued (bounded by ``timeout_s``)."""
        self._closing = True
        if self._task is not None:
            # Never cancel an insert half-way: wait (a bounded time) for the one in progress.
            try:
                await asyncio.wait_for(self._write_lock.acquire(), timeout_s)
                self._task.cancel()
                self._write_lock.release()
            except TimeoutError:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            self._pending.append(self._queue.get_nowait())
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self._pending:
            outage = await self._write()
            if outage is None:
                continue
            if asyncio.get_running_loop().time() > deadline:
                lost = len(self._pending)
                self._pending = []
                self._drop("shutdown", count=lost)
                log.error("shutdown: %d prediction log records could not be written", lost)
                return
            log.warning("shutdown flush failed, retrying: %s", outage)
            await asyncio.sleep(0.2)


async def _refusal(exc: Exception) -> str | None:
    """Why the records themselves were refused (a drop reason), or None for an outage.

    Tortoise wraps the driver's error, whose class says whether the database is unavailable.
    Any other error is the records' fault only while the database answers a query: a closed
    connection, say, can surface as a plain ValueError.
    """
    cause = exc.__cause__ or exc.__context__
    error = cause if isinstance(exc, BaseORMException) and cause is not None else exc
    if isinstance(error, _UNAVAILABLE):
        return None
    try:
        await asyncio.wait_for(tables.PredictionLog.all().limit(1).exists(), PROBE_TIMEOUT_S)
    except Exception:
        return None
    # A TypeError is the JSON fields' encoder, in this process; the rest, the database's.
    return "unserialisable" if isinstance(error, TypeError) else "rejected"


async def purge_older_than(days: int) -> int:
    """Delete log rows past the retention period; returns how many."""
    cutoff = datetime.now(UTC) - timedelta(days=days)
    return await tables.PredictionLog.filter(created_at__lt=cutoff).delete()
