"""Adaptive micro-batching: concurrent requests to one version share one ``predict`` call.

One batch per version runs at a time, in an executor thread. A request that finds the version
idle starts a batch at once, so batching adds no latency at concurrency 1; requests arriving
while a batch runs queue up and leave together in the next one, up to ``max_rows`` rows (rows,
not requests, are counted). Under load the next batch may wait up to ``max_wait_ms`` to fill.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from domain.errors import DomainError, ErrorCode


class PredictionTimeout(DomainError):
    code = ErrorCode.PREDICTION_TIMEOUT

    def __init__(self, seconds: float) -> None:
        super().__init__(f"The model did not answer within {seconds:g} s.")


class PredictionFailed(DomainError):
    code = ErrorCode.PREDICTION_FAILED

    def __init__(self, detail: str) -> None:
        super().__init__(f"The model failed: {detail}")


@dataclass(frozen=True, slots=True)
class BatchOutput:
    """What one ``predict`` (and ``predict_proba``) call returned for a stack of rows."""

    predictions: np.ndarray
    probabilities: np.ndarray | None


Runner = Callable[[np.ndarray], BatchOutput]


@dataclass(slots=True)
class _Pending:
    rows: np.ndarray
    future: asyncio.Future[BatchOutput]


class MicroBatcher:
    def __init__(
        self,
        *,
        run: Runner,
        executor: Callable[[], Executor],
        max_rows: int,
        max_wait_ms: float,
        timeout_s: float,
        on_batch: Callable[[int, int], None] | None = None,
        on_timeout: Callable[[], None] | None = None,
    ) -> None:
        self._run = run
        self._executor = executor
        self.max_rows = max_rows
        self.max_wait_s = max_wait_ms / 1000
        self.timeout_s = timeout_s
        self._queue: deque[_Pending] = deque()
        self._queued_rows = 0
        self._busy = False
        self._arrived = asyncio.Event()
        self._on_batch = on_batch
        self._on_timeout = on_timeout
        # The loaded model this batcher runs, so a reloaded model gets a fresh batcher.
        self.model: object | None = None
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, rows: np.ndarray) -> BatchOutput:
        future: asyncio.Future[BatchOutput] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(rows, future))
        self._queued_rows += len(rows)
        self._arrived.set()
        if not self._busy:
            self._busy = True
            self._drainer = asyncio.create_task(self._drain(), name="micro-batch")
        return await future

    async def _drain(self) -> None:
        try:
            loaded_batch = False
            while self._queue:
                if loaded_batch and self.max_wait_s and self._queued_rows < self.max_rows:
                    await self._wait_for_more()
                batch = self._take()
                if not batch:
                    continue
                await self._execute(batch)
                loaded_batch = len(batch) > 1 or bool(self._queue)
        finally:
            self._busy = False
            if self._queue:  # arrived after the loop's last look
                self._busy = True
                self._drainer = asyncio.create_task(self._drain(), name="micro-batch")

    async def _wait_for_more(self) -> None:
        deadline = time.monotonic() + self.max_wait_s
        while self._queued_rows < self.max_rows:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return

    def _take(self) -> list[_Pending]:
        batch: list[_Pending] = []
        rows = 0
        while self._queue:
            head = self._queue[0]
            if head.future.done():  # the caller gave up
                self._queue.popleft()
                self._queued_rows -= len(head.rows)
                continue
            if batch and (
                rows + len(head.rows) > self.max_rows
                or head.rows.shape[1:] != batch[0].rows.shape[1:]
            ):
                break
            self._queue.popleft()
            self._queued_rows -= len(head.rows)
            batch.append(head)
            rows += len(head.rows)
        return batch

    async def _execute(self, batch: list[_Pending]) -> None:
        """Run one batch; every exit path settles every caller's future."""
        loop = asyncio.get_running_loop()
        try:
            stacked = batch[0].rows if len(batch) == 1 else np.concatenate([p.rows for p in batch])
            output = await asyncio.wait_for(
                loop.run_in_executor(self._executor(), self._run, stacked), self.timeout_s
            )
        except TimeoutError:
            if self._on_timeout is not None:
                self._on_timeout()
            self._fail(batch, PredictionTimeout(self.timeout_s))
            return
        except Exception as exc:
            detail = f"{type(exc).__name__}: {str(exc)[:200]}"
            self._fail(batch, PredictionFailed(detail))
            return
        except BaseException:
            self._fail(batch, PredictionFailed("the server stopped this prediction"))
            raise
        answered = len(output.predictions) if np.ndim(output.predictions) else 0
        if answered != len(stacked):
            # Sliced by offset, a short or long answer would hand callers each other's rows.
            self._fail(batch, PredictionFailed(f"{answered} answers for {len(stacked)} rows"))
            return
        if self._on_batch is not None:
            self._on_batch(len(batch), len(stacked))
        offset = 0
        for pending in batch:
            n = len(pending.rows)
            if not pending.future.done():
                pending.future.set_result(
                    BatchOutput(
                        predictions=output.predictions[offset : offset + n],
                        probabilities=None
                        if output.probabilities is None
                        else output.probabilities[offset : offset + n],
                    )
                )
            offset += n

    @staticmethod
    def _fail(batch: list[_Pending], error: Exception) -> None:
        for pending in batch:
            if not pending.future.done():
                pending.future.set_exception(error)
