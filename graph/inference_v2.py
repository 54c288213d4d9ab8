"""The Open Inference Protocol (KServe v2) over REST, with Triton's binary tensor extension.

    GET  /v2                                   server metadata
    GET  /v2/health/live, /v2/health/ready     liveness, readiness
    POST /v2/repository/index                  the models the caller sees, each ready version
    GET  /v2/models/{name}[/versions/{n}]      inputs and outputs from the signature
    GET  /v2/models/{name}[/versions/{n}]/ready, .../config (Triton's model configuration)
    POST /v2/models/{name}[/versions/{n}]/infer

``{name}`` is a model reference: ``owner/name`` (a user's or a team's model), with ``@alias``
(``%40`` once URL-encoded, as tritonclient sends it), or a version id. tritonclient quotes the
name keeping its slash, so ``ada/iris`` arrives as two path segments; ``%2F`` works as well.
Errors are ``{"error": "..."}`` with the status the protocol gives them. Each route makes the
same domain calls as GraphQL's ``predict``, under the same access rule, scopes and limits.
"""

from __future__ import annotations

import uuid
from importlib import metadata
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.errors import NotFound
from domain.inference import parse_ref
from domain.protocols import open_inference
from domain.protocols.open_inference import ProtocolError
from domain.registry.access import Access
from domain.runtime import Services
from graph.http import scope_request_id
from graph.observability import HealthStatus, readiness
from graph.rest import (
    Failure,
    caller_for,
    compress,
    decode,
    guarded,
    length_header,
    read_body,
)

HEADER_LENGTH = "inference-header-content-length"
EXTENSIONS = ["binary_tensor_data"]
MAX_INDEX_MODELS = 100


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def refuse(failure: Failure) -> Response:
    return _json({"error": failure.message}, failure.status, failure.headers)


def model_path(path: str) -> tuple[str, str, str]:
    """``(reference, name as answered, action)`` from what follows ``/v2/models/``.

    The action is ``metadata``, ``ready``, ``config`` or ``infer``; ``/versions/{n}`` becomes
    ``:n``.
    """
    segments = path.strip("/").split("/")
    try:
        uuid.UUID(segments[0])
        width = 1
    except ValueError:
        width = 2
    name = "/".join(segments[:width])
    ref = parse_ref(name)  # a malformed reference is a 400 naming the forms
    rest = segments[width:]
    if rest[:1] == ["versions"]:
        if len(rest) < 2 or not rest[1].isdigit() or rest[1].startswith("0"):
            raise ProtocolError("A version is a positive number: /versions/{n}.")
        if ref.version_id is not None or ref.alias is not None or ref.number is not None:
            raise ProtocolError("Give a version or an alias (or a version id), not both.")
        name_ref = f"{name}:{rest[1]}"
        rest = rest[2:]
    else:
        name_ref = name
    if not rest:
        return name_ref, name, "metadata"
    if rest in (["ready"], ["infer"], ["config"]):
        return name_ref, name, rest[0]
    raise NotFound("Route")


def routes(services: Services) -> list[Route]:
    settings = services.settings
    try:
        version = metadata.version("modelserve")
    except metadata.PackageNotFoundError:
        version = "0"

    async def server_metadata(request: Request) -> Response:
        return _json({"name": "modelserve", "version": version, "extensions": EXTENSIONS})

    async def live(request: Request) -> Response:
        return _json({"live": True})

    async def ready(request: Request) -> Response:
        health = await readiness(services)
        if health.status is HealthStatus.UNAVAILABLE:
            return _json({"ready": False}, 503, {"Retry-After": "5"})
        return _json({"ready": True})

    async def repository_index(request: Request) -> Response:
        caller = await caller_for(request, services, "v2.repository_index")
        body = await read_body(request, settings.max_body_bytes, settings.body_read_timeout_s)
        try:
            options = orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError:
            raise ProtocolError("The request is not valid JSON.") from None
        if not isinstance(options, dict) or not isinstance(options.get("ready", False), bool):
            raise ProtocolError('The request is an object, e.g. {"ready": true}.')
        found = await services.registry.list_model_versions(caller=caller, limit=MAX_INDEX_MODELS)
        index = []
        for model, versions in found:
            for entry in versions:
                state = "READY" if entry.status == "ready" else "UNAVAILABLE"
                if options.get("ready") and state != "READY":
                    continue
                index.append(
                    {
                        "name": f"{model.namespace}/{model.name}",
                        "version": str(entry.number),
                        "state": state,
                    }
                )
        return _json(index)

    async def model(request: Request) -> Response:
        ref, name, action = model_path(request.path_params["path"])
        request.state.route = "v2.infer" if action == "infer" else f"v2.model_{action}"
        if request.method == "POST" and action == "metadata" and name.endswith("/infer"):
            # /v2/models/iris/infer read as the model "iris/infer": the owner was left out.
            raise ProtocolError(
                f"No inference route here: a model is owner/name (or a version id), as in "
                f"/v2/models/{{owner}}/{name.removesuffix('/infer')}/infer."
            )
        if (request.method == "POST") != (action == "infer"):
            return _json({"error": "Method not allowed."}, 405)
        if action == "infer":
            return await infer(request, ref, name)
        caller = await caller_for(request, services, f"v2.model_{action}")
        target = await services.inference.resolve(caller=caller, ref=ref, needed=Access.VIEWER)
        if action == "ready":
            return _json({"name": name, "ready": True})
        described = open_inference.model_metadata(
            name=name,
            version=str(target.number),
            platform=target.runtime,
            signature=target.signature,
        )
        if action == "config":
            return _json(open_inference.model_config(described))
        return _json(described)

    async def infer(request: Request, ref: str, name: str) -> Response:
        caller = await caller_for(request, services, "v2.infer")
        # Budget and quota before the body: a refused caller costs no read or decode.
        await services.inference.admit(caller=caller, ref=ref)
        body = await read_body(request, settings.max_body_bytes, settings.body_read_timeout_s)
        header, binary = _split(body, request.headers.get(HEADER_LENGTH))
        infer_request = await decode(
            len(body), _parse, header, binary, max_rows=settings.predict_batch_max_rows
        )
        prediction = await services.inference.predict(
            caller=caller,
            ref=ref,
            rows=infer_request.rows,
            columns=infer_request.columns,
            max_rows=settings.predict_batch_max_rows,
            request_id=scope_request_id(request.scope),
            explain=infer_request.explain,
        )
        answer, data = open_inference.infer_response(
            infer_request,
            model_name=name,
            model_version=str(prediction.target.number),
            predictions=prediction.predictions,
            probabilities=prediction.probabilities,
            explanation=prediction.explanation,
        )
        encoded = orjson.dumps(answer)
        body, headers = compress(encoded + data, request.headers.get("accept-encoding"))
        if not data:
            return Response(body, headers=headers, media_type="application/json")
        # The header's length as sent before compression, as tritonclient reads it.
        headers["Inference-Header-Content-Length"] = str(len(encoded))
        return Response(body, headers=headers, media_type="application/octet-stream")

    return [
        Route("/v2", guarded("v2.server_metadata", server_metadata, refuse)),
        Route("/v2/health/live", guarded("v2.live", live, refuse)),
        Route("/v2/health/ready", guarded("v2.ready", ready, refuse)),
        Route(
            "/v2/repository/index",
            guarded("v2.repository_index", repository_index, refuse),
            methods=["POST"],
        ),
        Route(
            "/v2/models/{path:path}", guarded("v2.model", model, refuse), methods=["GET", "POST"]
        ),
    ]


def _parse(header: bytes, binary: bytes, *, max_rows: int) -> open_inference.InferRequest:
    """The request a JSON header and its binary data hold (the decoding a large body runs off
    the event loop)."""
    try:
        decoded = orjson.loads(header)
    except orjson.JSONDecodeError:
        raise ProtocolError("The request is not valid JSON.") from None
    return open_inference.parse_request(decoded, binary, max_rows=max_rows)


def _split(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    """The JSON header and the binary data after it (Triton's binary tensor extension)."""
    if header_length is None:
        return body, b""
    size = length_header(header_length)
    if size is None or size > len(body):
        raise ProtocolError("Inference-Header-Content-Length does not fit the body.")
    return body[:size], body[size:]
