"""Prometheus metrics: what is measured, the hooks that feed it, and the ``/metrics`` endpoint.

Events (GraphQL operations, predictions, micro-batches, model cache events) are counted where
they happen. Levels (cache bytes, log queue depth, subscribers) and the prediction log writer's
running totals are copied from the services by ``Sampler``: on every scrape, and every
``SAMPLE_INTERVAL_S`` in multi-process mode. Labels stay bounded: model ids, version numbers,
status codes and at most ``MAX_OPERATION_NAMES`` operation names per process; never user or
request ids.

Multi-process mode (``modelserve serve --workers N``): set ``PROMETHEUS_MULTIPROC_DIR`` to a
directory every worker can write before the server starts, as prometheus-client reads it at
import. Each worker then keeps its values in files there, and ``/metrics``, whichever worker
answers, merges all of them with a ``MultiProcessCollector``. Counters and histograms are
summed, exited workers included; gauges are ``livesum`` (``livemax`` for the rate limiter's
degraded flag), and a worker removes its gauges when it shuts down. ``modelserve serve``
empties the directory at start, so give each server its own. A worker killed without a
shutdown leaves its gauges behind until the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from domain.inference.service import Target
from domain.predictions.log import DROP_REASONS
from domain.runtime import Services
from settings import Settings

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
SAMPLE_INTERVAL_S = 5.0
MAX_OPERATION_NAMES = 200

GRAPHQL_REQUESTS = Counter(
    "modelserve_graphql_requests",
    "GraphQL operations, by operation name, type and outcome (ok or error).",
    ["operation", "type", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "modelserve_graphql_request_duration_seconds",
    "Time to answer a GraphQL operation (a subscription: its whole stream).",
    ["operation", "type", "outcome"],
)
REST_REQUESTS = Counter(
    "modelserve_rest_requests",
    "Requests to the REST faces (Open Inference v2, MLflow), by route and HTTP status.",
    ["route", "status"],
)
REST_DURATION = Histogram(
    "modelserve_rest_request_duration_seconds",
    "Time to answer a REST request, by route and HTTP status.",
    ["route", "status"],
)
PREDICTIONS = Counter(
    "modelserve_predictions",
    "Predictions, by model id, version number and status (ok or an error code).",
    ["model", "version", "status"],
)
PREDICTION_DURATION = Histogram(
    "modelserve_prediction_duration_seconds",
    "Time from resolving the model to the answer, per prediction request.",
    ["model"],
)
BATCH_ROWS = Histogram(
    "modelserve_batch_rows",
    "Rows per micro-batch (one model call).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536),
)
BATCH_REQUESTS = Histogram(
    "modelserve_batch_requests",
    "Prediction requests sharing one micro-batch.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
CACHE_EVENTS = {
    event: Counter(f"modelserve_model_cache_{event}", f"Model cache {text}.")
    for event, text in {
        "hits": "hits (a loaded model was ready)",
        "misses": "misses (the model had to be loaded or waited for)",
        "loads": "loads completed",
        "evictions": "evictions to stay within its bytes and models limits",
        "redis_hits": "artifact reads answered by Redis",
        "redis_errors": "failed Redis artifact reads or writes",
    }.items()
}
CACHE_BYTES = Gauge(
    "modelserve_model_cache_bytes", "Estimated bytes of loaded models.", multiprocess_mode="livesum"
)
CACHE_MODELS = Gauge("modelserve_model_cache_models", "Loaded models.", multiprocess_mode="livesum")
LOG_QUEUE_DEPTH = Gauge(
    "modelserve_prediction_log_queue_depth",
    "Prediction log records waiting to be written.",
    multiprocess_mode="livesum",
)
LOG_TOTALS = {
    "written": Counter("modelserve_prediction_log_written", "Prediction log records written."),
    "failures": Counter(
        "modelserve_prediction_log_write_failures", "Failed prediction log batch writes."
    ),
}
LOG_DROPPED = Counter(
    "modelserve_prediction_log_dropped",
    "Prediction log records dropped, by reason: queue_full (buffer full), unserialisable "
    "(inputs or outputs JSON cannot carry), rejected (refused by the database), shutdown "
    "(recorded while closing, or unwritten when shutdown gave up).",
    ["reason"],
)
for _reason in DROP_REASONS:
    LOG_DROPPED.labels(_reason)  # every reason is exported, at 0 until it happens
SHADOW_TOTALS = {
    "ran": Counter("modelserve_shadow_ran", "Shadow copies of predictions that answered."),
    "failed": Counter(
        "modelserve_shadow_failed", "Shadow copies that failed (never seen by the caller)."
    ),
    "dropped": Counter(
        "modelserve_shadow_dropped", "Shadow copies dropped: the shadow queue was full."
    ),
}
SUBSCRIBERS = Gauge(
    "modelserve_pubsub_subscribers",
    "Live pub/sub subscriptions: websocket streams, plus one registry listener per process.",
    multiprocess_mode="livesum",
)
RATE_LIMITER_DEGRADED = Gauge(
    "modelserve_rate_limiter_degraded",
    "1 while the shared rate limit storage (Redis) fails and process memory stands in.",
    multiprocess_mode="livemax",
)

RATE_LIMITER_FALLBACKS = Counter(
    "modelserve_rate_limiter_fallbacks",
    "Limit checks process memory answered because the shared storage (Redis) failed.",
)

TASKS = Counter(
    "modelserve_background_tasks",
    "Background work run in this process, by task name and outcome "
    "(ok, failed, abandoned at shutdown, or gave_up).",
    ["task", "outcome"],
)
QUEUE_DEPTH = Gauge(
    "modelserve_queue_depth",
    "Background tasks waiting for a worker (state=waiting) or being run (state=running).",
    ["state"],
    multiprocess_mode="livemax",  # one queue, seen alike by every process
)

_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """``name`` while fewer than ``MAX_OPERATION_NAMES`` were seen, else ``other``."""
    if not name:
        return "anonymous"
    if name in _operation_names:
        return name
    if len(_operation_names) >= MAX_OPERATION_NAMES:
        return "other"
    _operation_names.add(name)
    return name


def observe_operation(*, name: str | None, kind: str, outcome: str, seconds: float) -> None:
    labels = (operation_label(name), kind, outcome)
    GRAPHQL_REQUESTS.labels(*labels).inc()
    GRAPHQL_DURATION.labels(*labels).observe(seconds)


def observe_rest(*, route: str, status: int, seconds: float) -> None:
    """One REST request answered; ``route`` is the route's name (``v2.infer``), never a path."""
    REST_REQUESTS.labels(route, str(status)).inc()
    REST_DURATION.labels(route, str(status)).observe(seconds)


def observe_prediction(target: Target, status: str, n_rows: int, latency_ms: float) -> None:
    """The ``Inference`` hook: once per prediction request, ``status`` ``ok`` or a code."""
    model = str(target.model_id)
    PREDICTIONS.labels(model, str(target.number), status).inc()
    PREDICTION_DURATION.labels(model).observe(latency_ms / 1000)


def observe_batch(requests: int, rows: int) -> None:
    """The ``MicroBatcher`` hook: once per model call."""
    BATCH_REQUESTS.observe(requests)
    BATCH_ROWS.observe(rows)


def observe_task(name: str, outcome: str) -> None:
    """The queue's hook: once per run of a task or scheduled entry."""
    TASKS.labels(name, outcome).inc()


async def sample_queue(services: Services) -> None:
    """Copy the queue's depth into its gauge (left as it was when the queue cannot say)."""
    with contextlib.suppress(Exception):
        waiting, running = await services.queue.depth()
        QUEUE_DEPTH.labels("waiting").set(waiting)
        QUEUE_DEPTH.labels("running").set(running)


def observe_cache(event: str, amount: int) -> None:
    """A ``CacheStats`` listener."""
    counter = CACHE_EVENTS.get(event)
    if counter is not None:
        counter.inc(amount)


GC_PAUSES = Histogram(
    "modelserve_gc_pause_seconds",
    "Time one garbage collection held the process (every request waits), by generation.",
    ["generation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)


class GcPauses:
    """Times every collection through ``gc.callbacks``; ``drain`` moves them into ``GC_PAUSES``.

    The callback only appends to a bounded deque: observing a histogram takes a lock, and a
    collection can start inside code that holds that very lock.
    """

    def __init__(self, maxlen: int = 10_000) -> None:
        self._started = 0.0
        self.pending: deque[tuple[int, float]] = deque(maxlen=maxlen)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pending.append((info["generation"], time.perf_counter() - self._started))

    def install(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def remove(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self)

    def drain(self) -> None:
        while self.pending:
            generation, seconds = self.pending.popleft()
            GC_PAUSES.labels(str(generation)).observe(seconds)


class Sampler:
    """Copies the levels and running totals of ``services`` into the gauges and counters."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.services = services
        self.gc_pauses = GcPauses()
        self._seen = dict.fromkeys(LOG_TOTALS, 0)
        self._seen_dropped = dict.fromkeys(DROP_REASONS, 0)
        self._seen_fallbacks = 0
        self._seen_shadow = dict.fromkeys(SHADOW_TOTALS, 0)
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> None:
        self.gc_pauses.drain()
        inference = self._services.inference
        CACHE_BYTES.set(inference.cache.bytes)
        CACHE_MODELS.set(len(inference.cache))
        writer = inference.log_writer
        LOG_QUEUE_DEPTH.set(writer.depth)
        for name, counter in LOG_TOTALS.items():
            total = getattr(writer.stats, name)
            if total > self._seen[name]:
                counter.inc(total - self._seen[name])
            self._seen[name] = total
        for reason, total in writer.stats.dropped_by.items():
            if total > self._seen_dropped[reason]:
                LOG_DROPPED.labels(reason).inc(total - self._seen_dropped[reason])
            self._seen_dropped[reason] = total
        for name, counter in SHADOW_TOTALS.items():
            total = getattr(inference.shadows.stats, name)
            if total > self._seen_shadow[name]:
                counter.inc(total - self._seen_shadow[name])
            self._seen_shadow[name] = total
        SUBSCRIBERS.set(self._services.pubsub.subscriber_count)
        RATE_LIMITER_DEGRADED.set(int(self._services.limiter.degraded))
        fallbacks = self._services.limiter.fallbacks
        if fallbacks > self._seen_fallbacks:
            RATE_LIMITER_FALLBACKS.inc(fallbacks - self._seen_fallbacks)
        self._seen_fallbacks = fallbacks

    def start(self) -> None:
        """Time collections from now on; in multi-process mode, keep this worker's figures
        fresh for whichever one scrapes."""
        self.gc_pauses.install()
        if MULTIPROC_DIR and self._task is None:
            self._task = asyncio.create_task(self._run(), name="metrics-sampler")

    async def _run(self) -> None:
        while True:
            self.sample()
            await sample_queue(self._services)
            await asyncio.sleep(SAMPLE_INTERVAL_S)

    async def close(self) -> None:
        self.gc_pauses.remove()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if MULTIPROC_DIR:
            self.sample()  # the last prediction log totals, flushed at shutdown
            multiprocess.mark_process_dead(os.getpid())


def instrument(services: Services) -> Sampler:
    """Count ``services``' cache events; its ``Inference`` hooks are passed at build time."""
    services.inference.cache.stats.listeners.append(observe_cache)
    return Sampler(services)


def registry() -> CollectorRegistry:
    """What a scrape shows: this process, or every worker's files in multi-process mode."""
    if not MULTIPROC_DIR:
        return REGISTRY
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)
    return merged


def endpoint(settings: Settings, sampler: Sampler) -> Callable[[Request], Awaitable[Response]]:
    """The ``/metrics`` handler; with ``metrics_token`` set it wants that bearer token.

    In production it wants one unless ``metrics_public`` says otherwise: without a token set,
    every scrape is refused, with a message naming the two settings.
    """
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    closed = token is None and settings.is_locked_down and not settings.metrics_public

    async def metrics(request: Request) -> Response:
        if closed:
            return PlainTextResponse(
                "Set MODELSERVE_METRICS_TOKEN (or MODELSERVE_METRICS_PUBLIC=true) to serve "
                "/metrics in production.",
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        if token is not None and not _bearer_matches(request, token):
            return PlainTextResponse(
                "Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        sampler.sample()
        await sample_queue(sampler.services)
        return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)

    return metrics


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # compare_digest: the time taken does not depend on how much of the token was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


class WorkerMetrics:
    """A worker's ``/metrics``: prometheus-client's own HTTP server (a thread), with the queue's
    depth read afresh on each scrape from the worker's event loop."""

    def __init__(self, services: Services, *, host: str, port: int) -> None:
        from prometheus_client import start_http_server

        loop = asyncio.get_running_loop()

        class FreshRegistry:
            def collect(self):  # type: ignore[no-untyped-def]
                refreshed = asyncio.run_coroutine_threadsafe(sample_queue(services), loop)
                with contextlib.suppress(Exception):
                    refreshed.result(timeout=SAMPLE_INTERVAL_S)
                return registry().collect()

        self._server, self._thread = start_http_server(
            port,
            addr="127.0.0.1",
            registry=FreshRegistry(),  # type: ignore[arg-type]
        )

    async def close(self) -> None:
        self._server.shutdown()
