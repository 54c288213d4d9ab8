"""Watching the server: the per-operation access line and metrics, Sentry, and health.

``ObserveOperations`` writes one access line per GraphQL operation (name, type, duration,
outcome, error codes, request id; never variables or headers), counts it in the metrics, and
returns the request id in the response's ``extensions``.

``readiness`` is what ``/readyz`` and the admin ``health`` query report. Only the database is
required: when it fails the server is ``unavailable`` (503). A part that works less well makes
it ``degraded`` but still ready (200): Redis down (limits fall back to process memory, caches
and events to this replica, see ``storage.redis_guard``), the queue unreachable (background
work cannot be queued, the API still answers), the model cache over its byte budget,
or the prediction log writer failing to write (its records wait in a bounded buffer, and taking
this replica out of rotation would not bring the database back).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from enum import Enum
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from tortoise import connections

from domain.runtime import Services
from graph import metrics
from graph.context import Info, IsAdmin
from graph.logs import document_digest, request_id_var
from settings import Settings, SettingsError

access_log = logging.getLogger("modelserve.access")

_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
PROBE_TIMEOUT_S = 2.0


# -- operations ------------------------------------------------------------------------------


class ObserveOperations(SchemaExtension):
    """The access line, the request metrics and ``extensions.requestId`` of each operation.

    Put it first among the schema's extensions: it then times everything, and sees errors
    as ``OperationGuard`` left them, with their codes.
    """

    def __init__(self, *, metrics_enabled: bool) -> None:
        self.metrics_enabled = metrics_enabled

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        raised: Exception | None = None
        try:
            yield
        except Exception as exc:
            raised = exc
            raise
        finally:
            self._finish(time.perf_counter() - started, raised)

    def get_results(self) -> dict[str, Any]:
        request_id = getattr(self.execution_context.context, "request_id", None)
        return {"requestId": request_id} if request_id else {}

    def _finish(self, seconds: float, raised: Exception | None) -> None:
        context = self.execution_context
        if raised is not None:
            errors: list[Any] = [raised]
        else:
            errors = list(getattr(context.result, "errors", None) or ())
        codes = sorted(
            {
                str(code)
                for error in errors
                if (code := (getattr(error, "extensions", None) or {}).get("code"))
            }
        )
        outcome = "error" if errors else "ok"
        name = _operation_name(context)
        kind = _operation_type(context)
        if self.metrics_enabled:
            metrics.observe_operation(name=name, kind=kind, outcome=outcome, seconds=seconds)
        duration_ms = round(seconds * 1000, 1)
        access_log.info(
            "%s %s: %s in %.1f ms",
            kind,
            name or "(anonymous)",
            outcome,
            duration_ms,
            extra={
                "operation": name,
                "operation_type": kind,
                "duration_ms": duration_ms,
                "outcome": outcome,
                "error_codes": codes,
                "request_id": getattr(context.context, "request_id", None),
                # A failed document is told apart by its hash and size; its text (which may
                # hold passwords) is never logged.
                **(document_digest(context.query or "") if errors else {}),
            },
        )


def _operation_name(context: ExecutionContext) -> str | None:
    """The operation's name, if it is a GraphQL name (the request may say anything)."""
    name = context.operation_name
    return name if name and _GRAPHQL_NAME.fullmatch(name) else None


def _operation_type(context: ExecutionContext) -> str:
    try:
        return context.operation_type.value
    except RuntimeError:  # the document did not parse, or has no such operation
        return "unknown"


# -- error tracking --------------------------------------------------------------------------


def init_sentry(settings: Settings, **options: Any) -> bool:
    """Report unexpected errors to Sentry when ``sentry_dsn`` is set; True if it now does.

    Unexpected errors arrive as the ERROR log line ``format_error`` writes, with the stack,
    through Sentry's logging integration; each event is tagged with the request id. No
    request body, query string, cookie, local variable or personal data is sent.
    ``options`` go to ``sentry_sdk.init`` (tests pass a ``transport``).
    """
    if settings.sentry_dsn is None:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.starlette import StarletteIntegration
    except ImportError:
        raise SettingsError(
            "MODELSERVE_SENTRY_DSN is set but sentry-sdk is not installed: "
            "pip install 'modelserve[sentry]'"
        ) from None
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.environment.value,
        integrations=[StarletteIntegration()],
        # Strawberry's integration would report every client error (and may attach the query).
        auto_enabling_integrations=False,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=_scrub_and_tag,
        **options,
    )
    return True


def _scrub_and_tag(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    request = event.get("request")
    if isinstance(request, dict):
        # GET /graphql carries its variables in the query string.
        for key in ("data", "query_string", "cookies"):
            request.pop(key, None)
    request_id = request_id_var.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


# -- health ----------------------------------------------------------------------------------


@strawberry.enum(description="How well the server, or one part of it, works.")
class HealthStatus(Enum):
    OK = strawberry.enum_value("ok", description="Works as configured.")
    DEGRADED = strawberry.enum_value(
        "degraded", description="Serves, with a fallback (e.g. Redis down, in-process limits used)."
    )
    UNAVAILABLE = strawberry.enum_value("unavailable", description="Cannot serve; readiness fails.")


@strawberry.type(description="A dependency the server cannot serve without.")
class DependencyCheck:
    name: str = strawberry.field(description="`database`, or `redis` when configured.")
    ok: bool = strawberry.field(description="Whether it answered in time.")
    state: str = strawberry.field(description="`ok`, `timeout` or `error: <exception type>`.")


@strawberry.type(description="The loaded models of the server answering.")
class ModelCacheHealth:
    status: HealthStatus = strawberry.field(description="Degraded while over its byte budget.")
    bytes: float = strawberry.field(description="Estimated bytes of the loaded models.")
    max_bytes: float = strawberry.field(description="MODELSERVE_MODEL_CACHE_MAX_BYTES.")
    models: int = strawberry.field(description="How many models are loaded.")


@strawberry.type(description="Live events (subscriptions) on the server answering.")
class PubSubHealth:
    status: HealthStatus = strawberry.field(description="Unavailable when Redis is.")
    backend: str = strawberry.field(description="`redis` or `in-process`.")
    subscribers: int = strawberry.field(
        description="Live subscriptions: websocket streams, plus the server's registry listener."
    )


@strawberry.type(description="The prediction log writer of the server answering.")
class PredictionLogHealth:
    status: HealthStatus = strawberry.field(
        description="Degraded while writes fail; records wait in a bounded buffer meanwhile."
    )
    depth: int = strawberry.field(description="Records waiting to be written.")
    dropped: int = strawberry.field(description="Records dropped since the server started.")


@strawberry.type(description="The rate limiter of the server answering.")
class RateLimiterHealth:
    status: HealthStatus = strawberry.field(
        description="Degraded while Redis fails: limits then hold per process, never lifted."
    )
    backend: str = strawberry.field(description="`redis` or `in-process`.")
    fallbacks: int = strawberry.field(
        description="Limit checks process memory answered because Redis failed, since start."
    )


@strawberry.type(description="The background queue, as the server answering sees it.")
class QueueHealth:
    status: HealthStatus = strawberry.field(
        description="Unavailable while its Redis fails: background work cannot be queued."
    )
    backend: str = strawberry.field(description="`redis` or `in-process`.")
    waiting: int = strawberry.field(description="Tasks waiting for a worker.")
    running: int = strawberry.field(description="Tasks a worker holds.")
    worker_in_process: bool = strawberry.field(
        description="Whether this server runs background work itself (else workers do)."
    )


@strawberry.type(description="Readiness of the server answering, part by part (as /readyz).")
class Health:
    status: HealthStatus = strawberry.field(
        description="Unavailable when a dependency fails, degraded when a part works less well."
    )
    checks: list[DependencyCheck] = strawberry.field(description="The required dependencies.")
    model_cache: ModelCacheHealth = strawberry.field(description="Loaded models.")
    pubsub: PubSubHealth = strawberry.field(description="Live events.")
    prediction_log: PredictionLogHealth = strawberry.field(description="The log writer.")
    rate_limiter: RateLimiterHealth = strawberry.field(description="Rate limits and quotas.")
    queue: QueueHealth = strawberry.field(description="Background work.")

    def to_json(self) -> dict[str, Any]:
        """The ``/readyz`` body."""
        return {
            "status": self.status.value,
            "checks": {check.name: check.state for check in self.checks},
            "failed": [check.name for check in self.checks if not check.ok],
            "model_cache": {
                "status": self.model_cache.status.value,
                "bytes": self.model_cache.bytes,
                "max_bytes": self.model_cache.max_bytes,
                "models": self.model_cache.models,
            },
            "pubsub": {
                "status": self.pubsub.status.value,
                "backend": self.pubsub.backend,
                "subscribers": self.pubsub.subscribers,
            },
            "prediction_log": {
                "status": self.prediction_log.status.value,
                "depth": self.prediction_log.depth,
                "dropped": self.prediction_log.dropped,
            },
            "rate_limiter": {
                "status": self.rate_limiter.status.value,
                "backend": self.rate_limiter.backend,
                "fallbacks": self.rate_limiter.fallbacks,
            },
            "queue": {
                "status": self.queue.status.value,
                "backend": self.queue.backend,
                "waiting": self.queue.waiting,
                "running": self.queue.running,
                "worker_in_process": self.queue.worker_in_process,
            },
        }


async def check_database() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def _probe(name: str, probe: Callable[[], Awaitable[None]]) -> DependencyCheck:
    try:
        await asyncio.wait_for(probe(), timeout=PROBE_TIMEOUT_S)
    except TimeoutError:
        return DependencyCheck(name=name, ok=False, state="timeout")
    except Exception as exc:
        return DependencyCheck(name=name, ok=False, state=f"error: {type(exc).__name__}")
    return DependencyCheck(name=name, ok=True, state="ok")


async def readiness(services: Services) -> Health:
    """Probe the required dependencies and read the state of the in-process parts."""
    checks = [await _probe("database", check_database)]
    if services.settings.pubsub_url:
        checks.append(await _probe("redis", services.pubsub.ping))
    redis_ok = all(check.ok for check in checks if check.name == "redis")

    cache = services.inference.cache
    writer = services.inference.log_writer
    model_cache = ModelCacheHealth(
        status=HealthStatus.OK if cache.bytes <= cache.max_bytes else HealthStatus.DEGRADED,
        bytes=cache.bytes,
        max_bytes=cache.max_bytes,
        models=len(cache),
    )
    pubsub = PubSubHealth(
        status=HealthStatus.OK if redis_ok else HealthStatus.UNAVAILABLE,
        backend="redis" if services.settings.pubsub_url else "in-process",
        subscribers=services.pubsub.subscriber_count,
    )
    prediction_log = PredictionLogHealth(
        status=HealthStatus.OK if writer.healthy else HealthStatus.DEGRADED,
        depth=writer.depth,
        dropped=writer.stats.dropped,
    )
    limiter = services.limiter
    try:
        await asyncio.wait_for(limiter.probe(), timeout=PROBE_TIMEOUT_S)
    except TimeoutError:
        limiter.degraded = True
    rate_limiter = RateLimiterHealth(
        status=HealthStatus.DEGRADED if limiter.degraded else HealthStatus.OK,
        backend=limiter.backend,
        fallbacks=limiter.fallbacks,
    )
    queue = await _queue_health(services)
    parts = (model_cache, pubsub, prediction_log, rate_limiter, queue)
    if not all(check.ok for check in checks if check.name == "database"):
        status = HealthStatus.UNAVAILABLE
    elif any(part.status is not HealthStatus.OK for part in parts):
        status = HealthStatus.DEGRADED
    else:
        status = HealthStatus.OK
    return Health(
        status=status,
        checks=checks,
        model_cache=model_cache,
        pubsub=pubsub,
        prediction_log=prediction_log,
        rate_limiter=rate_limiter,
        queue=queue,
    )


async def _queue_health(services: Services) -> QueueHealth:
    settings = services.settings
    waiting = running = 0
    try:
        waiting, running = await asyncio.wait_for(services.queue.depth(), timeout=PROBE_TIMEOUT_S)
        status = HealthStatus.OK
    except Exception:
        status = HealthStatus.UNAVAILABLE
    return QueueHealth(
        status=status,
        backend="in-process" if settings.queue_in_memory else "redis",
        waiting=waiting,
        running=running,
        worker_in_process=settings.runs_worker_in_serve,
    )


@strawberry.type
class ObservabilityQuery:
    @strawberry.field(
        description="Readiness of the server answering, part by part (administrators).",
        permission_classes=[IsAdmin],
    )
    async def health(self, info: Info) -> Health:
        return await readiness(info.context.services)
