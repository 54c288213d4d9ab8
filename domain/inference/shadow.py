"""Shadow copies of predictions: run off the request path, logged, compared, never answered.

After a call has been answered (and its log record queued), each shadow version of the alias
gets a job on a bounded queue: the validated rows and the answer the caller got. A few worker
tasks run the jobs on the shadow versions, in their own executor thread and micro-batches,
so neither the answer nor its latency waits for a shadow. When the queue is full the copy is
dropped and counted (``stats.dropped``); a shadow that fails, times out or answers what JSON
cannot carry is logged as a failed shadow prediction and never reaches the caller. Each shadow
result is a prediction-log record marked ``shadow``, with how many of its rows agreed with the
caller's answer: equal values, or for numbers equal within a relative 1e-6 (absolute 1e-9).
Shadow copies spend no one's quota: the caller asked for one prediction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from domain.errors import DomainError, ErrorCode
from domain.predictions.log import PredictionLogWriter, PredictionRecord

if TYPE_CHECKING:
    from domain.inference.service import Target

log = logging.getLogger("modelserve.inference")

REL_TOL = 1e-6
ABS_TOL = 1e-9


def _same(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if (
        isinstance(a, numbers)
        and isinstance(b, numbers)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and (isinstance(a, float) or isinstance(b, float))
    ):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return bool(a == b)


def agreeing(primary: list[Any], shadow: list[Any]) -> int:
    """How many rows the two answers agree on."""
    return sum(1 for a, b in zip(primary, shadow, strict=False) if _same(a, b))


@dataclass(frozen=True, slots=True)
class ShadowJob:
    target: Target
    rows: np.ndarray
    answered: list[Any]  # what the caller got, row by row
    caller_id: uuid.UUID
    request_id: str


@dataclass(slots=True)
class ShadowStats:
    queued: int = 0
    ran: int = 0
    failed: int = 0
    dropped: int = 0  # the queue was full (or the server was closing)


Run = Callable[["Target", np.ndarray], Awaitable[list[Any]]]


class ShadowRunner:
    def __init__(
        self, *, run: Run, log_writer: PredictionLogWriter, max_queue: int, workers: int = 1
    ) -> None:
        self._run = run
        self._log_writer = log_writer
        self._queue: asyncio.Queue[ShadowJob] = asyncio.Queue(maxsize=max_queue)
        self._workers = workers
        self._tasks: list[asyncio.Task[None]] = []
        self.stats = ShadowStats()

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    def submit(self, job: ShadowJob) -> bool:
        """Queue a copy; False (and counted) when the queue is full. Never waits."""
        if not self._tasks:
            self.start()
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self.stats.dropped += 1
            return False
        self.stats.queued += 1
        return True

    def start(self) -> None:
        self._tasks = [t for t in self._tasks if not t.done()]
        while len(self._tasks) < self._workers:
            self._tasks.append(asyncio.create_task(self._work(), name="shadow"))

    async def drain(self) -> None:
        """Wait until every queued copy has run and been handed to the prediction log."""
        await self._queue.join()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        self._tasks = []
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()
            self.stats.dropped += 1

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._one(job)
            except Exception:  # a shadow never takes its worker down
                log.exception("shadow prediction of version %s failed", job.target.version_id)
            finally:
                self._queue.task_done()

    async def _one(self, job: ShadowJob) -> None:
        started = time.perf_counter()
        answer: list[Any] | None = None
        error: str | None = None
        try:
            answer = await self._run(job.target, job.rows)
        except DomainError as exc:
            error = exc.code.value
        except Exception:
            log.warning("shadow version %s raised", job.target.version_id, exc_info=True)
            error = ErrorCode.PREDICTION_FAILED.value
        latency = (time.perf_counter() - started) * 1000
        if error is None:
            self.stats.ran += 1
        else:
            self.stats.failed += 1
        target = job.target
        self._log_writer.record(
            PredictionRecord(
                model_id=target.model_id,
                version_id=target.version_id,
                caller_id=job.caller_id,
                request_id=job.request_id,
                status="error" if error else "ok",
                error_code=error,
                n_rows=len(job.rows),
                latency_ms=round(latency, 3),
                # The caller's own record (same request id) holds the inputs, per the policy.
                inputs=None,
                inputs_hash=None,
                outputs=answer if target.log_policy != "none" else None,
                version_number=target.number,
                shadow=True,
                agreed_rows=None if answer is None else agreeing(job.answered, answer),
            )
        )
