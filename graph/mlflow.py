"""MLflow's scoring protocol, per model, so an MLflow client changes a URL and nothing else.

    POST /models/{owner}/{name}[@alias|:n]/invocations   application/json or text/csv
    GET  /models/{owner}/{name}[@alias|:n]/ping          (and /health) 200 when it serves

Answers are ``{"predictions": [...]}``, errors ``{"error_code": "...", "message": "..."}`` with
MLflow's codes, as its scoring server gives them. The prediction is GraphQL's ``predict``: the
same access rule, scopes, limits, micro-batching and prediction log.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.protocols import mlflow
from domain.protocols.mlflow import BadRequest
from domain.registry.access import Access
from domain.runtime import Services
from graph.http import scope_request_id
from graph.rest import Failure, Unsupported, caller_for, decode, guarded, read_body

CONTENT_TYPES = ("application/json", "text/csv")
# MLflow's error codes (its databricks_pb2 names) for the statuses these routes answer.
ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    408: "DEADLINE_EXCEEDED",
    413: "BAD_REQUEST",
    415: "BAD_REQUEST",
    429: "REQUEST_LIMIT_EXCEEDED",
    503: "TEMPORARILY_UNAVAILABLE",
}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def refuse(failure: Failure) -> Response:
    code = ERROR_CODES.get(failure.status, "INTERNAL_ERROR")
    return _json({"error_code": code, "message": failure.message}, failure.status, failure.headers)


def _reference(request: Request) -> str:
    return f"{request.path_params['owner']}/{request.path_params['name']}"


def parse_body(body: bytes, content_type: str | None, *, max_rows: int) -> mlflow.Table:
    """The table a body holds, by its content type (``charset`` may only be utf-8), refused
    past ``max_rows`` rows before they are built."""
    mime, *parameters = [part.strip() for part in (content_type or "").split(";")]
    options = {key.lower(): value for key, _, value in (p.partition("=") for p in parameters)}
    if set(options) - {"charset"}:
        raise Unsupported(f"Unrecognized content type parameters: {', '.join(options)[:64]}.")
    if options.get("charset", "utf-8").strip('"').lower() != "utf-8":
        raise Unsupported("The scoring server only supports UTF-8.")
    if mime.lower() not in CONTENT_TYPES:
        raise Unsupported(
            "This predictor only supports the following content types: "
            f"{', '.join(CONTENT_TYPES)}. Got {mime[:64]!r}."
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The body is not UTF-8 text.") from None
    if mime.lower() == "text/csv":
        return mlflow.parse_csv(text, max_rows=max_rows)
    try:
        decoded = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Ensure that input is a valid JSON formatted string: {exc}") from None
    return mlflow.parse_json(decoded, max_rows=max_rows)


def routes(services: Services) -> list[Route]:
    settings = services.settings

    async def invocations(request: Request) -> Response:
        caller = await caller_for(request, services, "mlflow.invocations")
        # Budget and quota before the body: a refused caller costs no read or decode.
        await services.inference.admit(caller=caller, ref=_reference(request))
        body = await read_body(request, settings.max_body_bytes, settings.body_read_timeout_s)
        table = await decode(
            len(body),
            parse_body,
            body,
            request.headers.get("content-type"),
            max_rows=settings.predict_batch_max_rows,
        )
        prediction = await services.inference.predict(
            caller=caller,
            ref=_reference(request),
            rows=table.rows,
            records=table.records,
            columns=table.columns,
            max_rows=settings.predict_batch_max_rows,
            request_id=scope_request_id(request.scope),
        )
        return _json(mlflow.answer(prediction.predictions))

    async def ping(request: Request) -> Response:
        caller = await caller_for(request, services, "mlflow.ping")
        await services.inference.resolve(
            caller=caller, ref=_reference(request), needed=Access.VIEWER
        )
        return Response("\n", media_type="application/json")

    ping_endpoint = guarded("mlflow.ping", ping, refuse)
    return [
        Route(
            "/models/{owner}/{name}/invocations",
            guarded("mlflow.invocations", invocations, refuse),
            methods=["POST"],
        ),
        Route("/models/{owner}/{name}/ping", ping_endpoint),
        Route("/models/{owner}/{name}/health", ping_endpoint),
    ]
