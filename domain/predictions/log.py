"""The prediction log writer: a bounded queue drained in batches, off the request path.

Requests only ``record()`` (never awaiting the database). A background task inserts batches
with ``bulk_create`` and publishes each record as a live event. When the database is down the
batch waits and is retried; the queue is bounded, and what cannot be kept is counted in
``dropped``, never lost silently. ``close()`` flushes everything on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storage import tables

log = logging.getLogger("modelserve.predictions")

Publish = Callable[[str, dict[str, Any]], Awaitable[None]]


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
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    def to_row(self) -> tables.PredictionLog:
        return tables.PredictionLog(
            id=self.id,
            model_id=self.model_id,
            version_id=self.version_id,
            caller_id=self.caller_id,
            request_id=self.request_id,
            status=self.status,
            error_code=self.error_code,
            n_rows=self.n_rows,
            latency_ms=self.latency_ms,
            inputs=self.inputs,
            inputs_hash=self.inputs_hash,
            outputs=self.outputs,
            created_at=self.created_at,
        )

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
            "at": self.created_at.isoformat(),
        }


@dataclass(slots=True)
class WriterStats:
    written: int = 0
    dropped: int = 0
    failures: int = 0
    batches: int = 0


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
        """Queue a record; False (and counted) when the bounded buffer is full."""
        if self._closing:
            self.stats.dropped += 1
            return False
        try:
            self._queue.put_nowait(record)
            return True
        except asyncio.QueueFull:
            self.stats.dropped += 1
            if self.stats.dropped == 1 or self.stats.dropped % 1000 == 0:
                log.error("prediction log buffer full; %d records dropped", self.stats.dropped)
            return False

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
        try:
            await tables.PredictionLog.bulk_create([r.to_row() for r in self._pending])
        except Exception as exc:
            if await self._write_one_by_one():
                return
            self.stats.failures += 1
            if self.healthy:
                log.error("prediction log write failed, retrying: %s", exc)
            self.healthy = False
            await asyncio.sleep(self._retry_s)
            return
        if not self.healthy:
            log.info("prediction log writes recovered")
        self.healthy = True
        self.stats.written += len(self._pending)
        self.stats.batches += 1
        self._pending = []

    async def _write_one_by_one(self) -> bool:
        """After a failed batch: keep what inserts, drop (and count) records that cannot.

        Returns False when nothing inserted at all (the database is likely down: retry later).
        """
        kept: list[PredictionRecord] = []
        rejected = 0
        for record in self._pending:
            try:
                await record.to_row().save(force_create=True)
                kept.append(record)
            except Exception:
                rejected += 1
                if not kept and rejected >= 3:
                    return False  # nothing goes in: the database, not the rows, is the problem
        if not kept:
            return False
        self.stats.written += len(kept)
        self.stats.dropped += rejected
        if rejected:
            log.error("dropped %d prediction log records the database refused", rejected)
        self._pending = []
        self.healthy = True
        return True

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
            chunk, self._pending = (
                self._pending[: self._batch_size],
                self._pending[self._batch_size :],
            )
            try:
                await tables.PredictionLog.bulk_create([r.to_row() for r in chunk])
                self.stats.written += len(chunk)
            except Exception as exc:
                if asyncio.get_running_loop().time() > deadline:
                    lost = len(chunk) + len(self._pending)
                    self.stats.dropped += lost
                    log.error("shutdown: %d prediction log records could not be written", lost)
                    return
                log.warning("shutdown flush failed, retrying: %s", exc)
                self._pending = chunk + self._pending
                await asyncio.sleep(0.2)


async def purge_older_than(days: int) -> int:
    """Delete log rows past the retention period; returns how many."""
    cutoff = datetime.now(UTC) - timedelta(days=days)
    return await tables.PredictionLog.filter(created_at__lt=cutoff).delete()
