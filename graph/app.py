"""The Starlette application: /graphql (HTTP and websockets), /ui, /healthz, /readyz, /metrics,
and the REST protocols: /v2 (Open Inference) and /models/.../invocations (MLflow)."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise.contrib.starlette import RegisterTortoise

from domain.runtime import Services
from graph import dashboard, graphiql, inference_v2, job_results, metrics, mlflow
from graph.context import Context
from graph.envelope import EnvelopeView
from graph.heap import HeapTrimmer
from graph.http import (
    PREFLIGHT_HEADERS,
    REQUEST_ID_HEADER,
    GraphQLGuardMiddleware,
    RedisDeadlineMiddleware,
    RequestIdMiddleware,
    scope_request_id,
)
from graph.loaders import Loaders
from graph.logs import configure_logging
from graph.media import MediaTypeView
from graph.observability import HealthStatus, ObserveOperations, init_sentry, readiness
from graph.schema import build_schema
from graph.websocket import TextWebSocketAdapter, TransportWSHandler
from settings import Settings, get_settings
from storage import migrate
from storage.db import tortoise_config

log = logging.getLogger("modelserve")

# The collector's thresholds once serving (young, middle, old); see ``lifespan``.
GC_THRESHOLDS = (5_000, 20, 100)


class GraphQLView(MediaTypeView, EnvelopeView):
    """Strawberry's ASGI view, with our context, websocket authentication, a strict
    envelope (graph/envelope.py) and the negotiated response media type (graph/media.py)."""

    websocket_adapter_class = TextWebSocketAdapter  # type: ignore[assignment]
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services

    # orjson parses and writes JSON several times faster than the standard library, which
    # matters for 10,000-row batches; its errors subclass json.JSONDecodeError, so a bad body
    # still gets Strawberry's 400.
    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql.page_response()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context(
            request=request,
            response=response,
            services=self.services,
            request_id=scope_request_id(request.scope),
            _loaders=Loaders.build(self.services),
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        """A websocket must authenticate in its ``connection_init`` payload (else 4403)."""
        try:
            caller = await context.caller()
        except Exception:
            log.exception("websocket authentication failed")
            raise ConnectionRejectionError() from None
        if caller is None:
            raise ConnectionRejectionError()
        return {"userId": str(caller.user_id)}


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the ASGI app; the lifespan migrates (embedded default), connects and cleans up."""
    settings = settings or get_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    init_sentry(settings)
    sampler: metrics.Sampler | None = None
    if settings.metrics_enabled:
        services = Services.build(
            settings,
            on_prediction=metrics.observe_prediction,
            on_batch=metrics.observe_batch,
            on_task=metrics.observe_task,
        )
        sampler = metrics.instrument(services)
    else:
        services = Services.build(settings)
    schema = build_schema(settings)
    # First, so it times the whole operation and sees errors as OperationGuard coded them.
    schema.extensions = (
        partial(ObserveOperations, metrics_enabled=settings.metrics_enabled),
        *schema.extensions,
    )
    view = GraphQLView(
        services,
        schema=schema,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=True,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_s),
        multipart_uploads_enabled=True,
        max_subscriptions_per_connection=settings.max_subscriptions_per_socket,
        # Browsers' websocket handshakes from these origins (others get 403; clients that
        # send no Origin, and same-origin pages, are always let through).
        allowed_origins=settings.cors_origins,
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        health = await readiness(services)
        body = health.to_json()
        if health.status is not HealthStatus.UNAVAILABLE:
            return JSONResponse(body)
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})

    heap = HeapTrimmer(settings.heap_trim_interval_s)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.auto_migrate_enabled:
            applied = await migrate.upgrade(settings.database_url)
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
        async with RegisterTortoise(
            app,
            config=tortoise_config(
                settings.database_url,
                pool_max=settings.database_pool_max,
                acquire_timeout_s=settings.database_acquire_timeout_s,
            ),
            generate_schemas=False,
        ):
            services.start()
            # Everything built so far lives as long as the process: keep the collector from
            # rescanning it (full collections over it stalled the loop for tens of ms), and
            # collect young objects less often than Python's 700, but not so seldom that one
            # collection stalls every request in flight: at 50,000 a young collection took up
            # to 124 ms under load (p99), at 5,000 up to 21 ms (bench/load, GC_THRESHOLDS).
            gc.collect()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
            if sampler is not None:
                sampler.start()
            heap.start()
            log.info(
                "ModelServe ready (%s, %s)",
                settings.environment.value,
                "sqlite" if settings.is_sqlite else "postgres",
            )
            try:
                yield
            finally:
                await heap.close()
                await services.close()
                if sampler is not None:
                    await sampler.close()

    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(RedisDeadlineMiddleware, seconds=settings.redis_deadline_s),
        Middleware(
            GraphQLGuardMiddleware,
            path="/graphql",
            max_body_bytes=settings.max_body_bytes,
            # The larger cap at the door; each mutation holds its file to its own.
            max_upload_bytes=max(settings.max_upload_bytes, settings.job_max_upload_bytes),
            body_timeout_s=settings.body_read_timeout_s,
            upload_timeout_s=settings.upload_read_timeout_s,
        ),
    ]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                # Every header the server reads or asks for: the CSRF error names the
                # preflight headers, so a preflight must allow each of them.
                allow_headers=[
                    "authorization",
                    "x-api-key",
                    "content-type",
                    "accept",
                    REQUEST_ID_HEADER,
                    *(h.decode() for h in PREFLIGHT_HEADERS),
                    inference_v2.HEADER_LENGTH,  # Triton's binary tensor framing
                ],
                expose_headers=["x-request-id", "retry-after", inference_v2.HEADER_LENGTH],
            )
        )
    routes = [
        Route("/graphql", view, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        # The protocols other clients speak, on the same engine as GraphQL's predict.
        *inference_v2.routes(services),
        *mlflow.routes(services),
        job_results.results_endpoint(services),
    ]
    if sampler is not None:
        routes.append(Route("/metrics", metrics.endpoint(settings, sampler)))
    if settings.ui_enabled:
        # First, so that in development ``/`` opens the dashboard rather than GraphiQL.
        routes.extend(
            dashboard.routes(
                root_redirect=not settings.is_locked_down, graphiql=settings.graphiql_enabled
            )
        )
    if settings.graphiql_enabled:
        routes.extend(graphiql.routes())
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.settings = settings
    app.state.heap = heap
    return app
