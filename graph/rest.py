"""What every REST face shares with /graphql: the caller, API-key scopes, capped bodies, and
domain errors as HTTP statuses (each protocol shapes the body its clients expect).

A REST route authenticates exactly as GraphQL does (``graph.context.credential``, then
``Accounts.authenticate``), and an API key needs the scope ``ROUTES`` names, with the rule
``graph.scopes.allows`` applies to root fields. Credentials travel only in headers, never
cookies, so a cross-site form cannot post with them: these routes need no CSRF header.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from domain.accounts import Caller, Scope
from domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from domain.inference import PredictionFailed, PredictionTimeout
from domain.inference.outputs import UnservableOutput
from domain.runtime import Services
from graph import metrics
from graph.context import credential
from graph.http import scope_request_id
from graph.scopes import Need, allows, describe
from storage.faults import database_outage

log = logging.getLogger("modelserve.rest")
T = TypeVar("T")

# Bodies past this many bytes are decoded in a worker thread, so that the event loop keeps
# answering other requests meanwhile; smaller ones decode faster than a thread hop takes.
OFF_LOOP_BYTES = 256 * 1024

# A length header is ASCII digits, at most 15 of them (no body comes near a petabyte):
# ``str.isdigit`` takes ``²`` and ``int`` refuses strings past 4,300 digits.
_LENGTH = re.compile(r"[0-9]{1,15}")


def length_header(value: str) -> int | None:
    """A ``*-Length`` header's value as a number, or None when it is not a plain length."""
    value = value.strip()
    return int(value) if _LENGTH.fullmatch(value) else None


# What an API key needs for each REST route (sessions hold every scope of their role), as
# graph/scopes.py says for GraphQL's root fields: reading a model's description is READ,
# predicting is PREDICT.
ROUTES: dict[str, Need] = {
    "v2.repository_index": Scope.READ,
    "v2.model_metadata": Scope.READ,
    "v2.model_ready": Scope.READ,
    "v2.model_config": Scope.READ,
    "v2.infer": Scope.PREDICT,
    "mlflow.ping": Scope.READ,
    "mlflow.invocations": Scope.PREDICT,
}


@dataclass(frozen=True, slots=True)
class Failure:
    """A refusal as HTTP sees it: status, message and headers; the protocol shapes the body."""

    status: int
    message: str
    code: str
    headers: dict[str, str] = field(default_factory=dict)


class BodyTimeout(Exception):
    """The client did not send its whole body in time: about HTTP, so not a domain error."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"The request body did not arrive within {seconds:g} s.")
        self.message = str(self)


class Unsupported(Exception):
    """A request this HTTP face does not serve (a content type, an encoding): about HTTP, so
    not a domain error."""

    def __init__(self, message: str, status: int = 415) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


async def caller_for(request: Request, services: Services, route: str) -> Caller:
    """The authenticated caller, holding what ``route`` needs.

    Raises:
        Unauthenticated: no credential, or a bad, expired or revoked one.
        Forbidden: an API key without the route's scope.
    """
    given = credential(request.headers)
    if given is None:
        raise Unauthenticated()
    client = request.client
    caller = await services.accounts.authenticate(given, ip=client.host if client else None)
    need = ROUTES[route]
    if not allows(caller, need):
        raise Forbidden(f"This needs {describe(need)}.")
    return caller


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The body, refused past ``limit`` bytes (as sent, and once decompressed) before more
    is read, or when it has not all arrived within ``timeout_s`` (``BodyTimeout``: a client
    that never finishes must not hold its connection); ``Content-Encoding: gzip`` or
    ``deflate`` is undone, as tritonclient may send."""
    declared = request.headers.get("content-length")
    if declared is not None:
        size = length_header(declared)
        if size is None:
            raise ValidationFailed([], "Bad Content-Length.")
        if size > limit:
            raise PayloadTooLarge(limit)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "deflate"):
        raise Unsupported(f"Content-Encoding {encoding[:32]!r} is not accepted; use gzip.")
    chunks = []
    received = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise PayloadTooLarge(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise BodyTimeout(timeout_s) from None
    body = b"".join(chunks)
    if encoding == "identity":
        return body
    inflater = zlib.decompressobj(wbits=31 if encoding == "gzip" else 15)
    try:
        plain = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise ValidationFailed([], f"The body is not valid {encoding} data.") from None
    if len(plain) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(limit)
    # A stream cut short (no gzip trailer, so no CRC check) or followed by anything (junk, a
    # second member) is not the body its sender meant.
    if not inflater.eof or inflater.unused_data:
        raise ValidationFailed([], f"The body is not valid {encoding} data.")
    return plain


async def decode(size: int, parse: Callable[..., T], *args: object, **kwargs: object) -> T:
    """``parse(*args, **kwargs)``: inline for a small body, in a worker thread for one past
    ``OFF_LOOP_BYTES`` (its ``size``)."""
    if size > OFF_LOOP_BYTES:
        return await asyncio.to_thread(parse, *args, **kwargs)
    return parse(*args, **kwargs)


def compress(body: bytes, accept_encoding: str | None) -> tuple[bytes, dict[str, str]]:
    """``body`` gzip- or deflate-compressed when the client asked for it (tritonclient's
    ``response_compression_algorithm``), with the ``Content-Encoding`` header to send."""
    accepted = set()
    for part in (accept_encoding or "").lower().split(","):
        coding, _, weight = part.partition(";")
        if weight.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            accepted.add(coding.strip())
    # The fastest level: most of the gain on tensors, little of the time.
    if "gzip" in accepted:
        packer = zlib.compressobj(1, wbits=31)
        return packer.compress(body) + packer.flush(), {"Content-Encoding": "gzip"}
    if "deflate" in accepted:
        return zlib.compress(body, 1), {"Content-Encoding": "deflate"}
    return body, {}


def failure(exc: BaseException, request_id: str) -> Failure:
    """How HTTP answers ``exc``: its status, a message fit for the client, and headers."""
    if isinstance(exc, Exception) and not isinstance(exc, DomainError) and database_outage(exc):
        log.warning("database unavailable: %r", exc, extra={"request_id": request_id})
        exc = Unavailable("The database")
    match exc:
        case ClientDisconnect():
            return Failure(400, "The client went away.", "BAD_REQUEST")
        case ValidationFailed(errors=[first, *_]) if exc.message in ("Invalid input.", ""):
            where = ".".join(first.path)
            message = f"{where}: {first.message}" if where else first.message
            return Failure(400, message, "BAD_REQUEST")
        case ValidationFailed():
            return Failure(400, exc.message, "BAD_REQUEST")
        case Unauthenticated():
            return Failure(401, exc.message, "UNAUTHENTICATED", {"WWW-Authenticate": "Bearer"})
        case Forbidden():
            return Failure(403, exc.message, "FORBIDDEN")
        case NotFound():
            return Failure(404, exc.message, "NOT_FOUND")
        case RateLimited():
            headers = {"Retry-After": str(exc.retry_after)}
            if exc.limit is not None:
                headers["RateLimit-Limit"] = str(exc.limit)
                headers["RateLimit-Remaining"] = str(exc.remaining)
                headers["RateLimit-Reset"] = str(exc.retry_after)
            return Failure(429, exc.message, "RATE_LIMITED", headers)
        case PayloadTooLarge():
            return Failure(413, exc.message, "PAYLOAD_TOO_LARGE")
        case Unsupported():
            return Failure(exc.status, exc.message, "UNSUPPORTED")
        case BodyTimeout():
            return Failure(408, exc.message, "REQUEST_TIMEOUT", {"Connection": "close"})
        case Unavailable():
            return Failure(503, exc.message, "UNAVAILABLE", {"Retry-After": str(exc.retry_after)})
        case PredictionTimeout():
            return Failure(503, exc.message, "PREDICTION_TIMEOUT", {"Retry-After": "1"})
        case PredictionFailed() | UnservableOutput() | Conflict():
            # As MLServer and MLflow answer a model that raised: the request cannot be served.
            return Failure(400, exc.message, exc.code.value)
        case DomainError():
            return Failure(400, exc.message, exc.code.value)
    log.error("unexpected error", exc_info=exc, extra={"request_id": request_id})
    return Failure(500, f"Unexpected error (request {request_id}).", "INTERNAL")


Handler = Callable[[Request], Awaitable[Response]]


def guarded(
    route: str, answer: Callable[[Request], Awaitable[Response]], refuse: Callable[..., Response]
) -> Handler:
    """``answer``, with every exception turned into ``refuse(failure)``, one access line and
    the request counted by route and status (``modelserve_rest_requests``)."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        try:
            response = await answer(request)
        except Exception as exc:
            response = refuse(failure(exc, scope_request_id(request.scope)))
        seconds = time.perf_counter() - started
        # A route serving several actions names the one it took (``v2.infer``).
        named = request.scope.get("state", {}).get("route", route)
        metrics.observe_rest(route=named, status=response.status_code, seconds=seconds)
        log.info(
            "%s %s",
            request.method,
            named,
            extra={
                "route": named,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 3),
            },
        )
        return response

    return endpoint
