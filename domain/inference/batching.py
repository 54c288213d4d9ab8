"""Adaptive micro-batching: concurrent requests to one version share one ``predict`` call.

One batch per version runs at a time, in an executor thread. A request that finds the version
idle starts a batch at once, so batching adds no latency at concurrency 1; requests arriving
while a batch runs queue up and leave together in the next one, up to ``max_rows`` rows (rows,
not requests, are counted). Under load the next batch may wait up to ``max_wait_ms`` to fill.

A batch the model answers in microseconds (a compiled model on a few rows) runs on the event
loop itself: handing it to a thread and back costs far more than the model, and at concurrency
1 that hop was most of a request's CPU time. Whether a batcher may do so is measured, never
assumed. In the thread a batch is timed by the thread's CPU time (its wall time there includes
waits for the GIL, which the loop holds under load); after ``INLINE_AFTER`` such timings,
while their smoothed value stays under ``INLINE_MAX_S``, small batches run inline, timed by
the wall clock, which is what the loop pays. One slow inline call sends the batcher back to the
thread for twice as many timed batches as last time (up to ``INLINE_AFTER_MAX``), and each
fast one halves that again: a core shared with other work now and then slows a fast call, and
such a batcher soon returns to the loop, while a model that waits rather than computes (it
looks fast by CPU time) costs the loop ever more rarely.
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

#: A batch of at most this many rows may run on the event loop...
INLINE_MAX_ROWS = 64
#: ...while such batches have taken less than this (smoothed) to run.
INLINE_MAX_S = 0.0002
#: Timed batches in the thread before inline runs may start.
INLINE_AFTER = 8
#: The most timed batches in the thread a batcher waits for after a slow inline call.
INLINE_AFTER_MAX = 512


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
        self._small_s: float | None = None  # smoothed run time of small batches
        self._small_timed = 0
        self._inline_after = INLINE_AFTER
        self.inline_batches = 0  # batches run on the event loop (a counter for tests)

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

    def _inline(self, rows: int) -> bool:
        return (
            rows <= INLINE_MAX_ROWS
            and self._small_timed >= self._inline_after
            and self._small_s is not None
            and self._small_s < INLINE_MAX_S
        )

    def _timed(self, rows: int, seconds: float, *, inline: bool) -> None:
        if rows > INLINE_MAX_ROWS:
            return
        self._small_timed += 1
        if inline and seconds >= INLINE_MAX_S:
            self._small_timed = 0
            self._inline_after = min(2 * self._inline_after, INLINE_AFTER_MAX)
        elif inline:  # each fast inline call halves the back-off again
            self._inline_after = max(INLINE_AFTER, self._inline_after // 2)
        # The first timing, or one slow call: enough to go (back) to the thread.
        if self._small_s is None or seconds >= INLINE_MAX_S:
            self._small_s = seconds
        else:
            self._small_s = 0.8 * self._small_s + 0.2 * seconds

    def _run_timed(self, stacked: np.ndarray) -> tuple[BatchOutput, float]:
        """Run in the thread, timed by the thread's CPU time."""
        started = time.thread_time()
        output = self._run(stacked)
        return output, time.thread_time() - started

    async def _execute(self, batch: list[_Pending]) -> None:
        """Run one batch; every exit path settles every caller's future."""
        loop = asyncio.get_running_loop()
        try:
            stacked = batch[0].rows if len(batch) == 1 else np.concatenate([p.rows for p in batch])
            inline = self._inline(len(stacked))
            if inline:
                self.inline_batches += 1
                started = time.perf_counter()
                output = self._run(stacked)
                seconds = time.perf_counter() - started
            else:
                output, seconds = await asyncio.wait_for(
                    loop.run_in_executor(self._executor(), self._run_timed, stacked),
                    self.timeout_s,
                )
            self._timed(len(stacked), seconds, inline=inline)
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
