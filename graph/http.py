"""ASGI middleware in front of /graphql: request ids, body caps and the CSRF guard."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.logs import request_id_var
from storage.redis_guard import request_budget

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# Any of these headers proves the request came from code that could set custom headers, which
# a cross-site form post cannot: browsers send simple requests without a CORS preflight only
# when every header is "safelisted".
PREFLIGHT_HEADERS = (
    b"x-modelserve-csrf",
    b"apollo-require-preflight",
    b"graphql-require-preflight",
)
_JSON_TYPES = ("application/json", "application/graphql-response+json")
# The code of a request whose envelope (headers, body, query string) is malformed.
BAD_REQUEST = "BAD_REQUEST"


class BodyTooLarge(Exception):
    pass


class BodyTimedOut(Exception):
    pass


async def send_json_error(
    send: Send,
    status: int,
    message: str,
    code: str,
    request_id: str,
    headers: dict[str, str] | None = None,
) -> None:
    body = json.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, "requestId": request_id}}]}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (REQUEST_ID_HEADER.encode(), request_id.encode()),
                *((k.encode(), v.encode()) for k, v in (headers or {}).items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestIdMiddleware:
    """Take ``X-Request-ID`` when it is sane, else make one; echo it on every response and
    hold it in ``request_id_var`` for the logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        given = _header(scope, REQUEST_ID_HEADER.encode())
        request_id = given if given and _REQUEST_ID_RE.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        # Every log line written while this request runs carries its id (graph/logs.py).
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class RedisDeadlineMiddleware:
    """Give the Redis calls of each HTTP request one shared budget (``storage.redis_guard``)."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # a websocket lives for hours; its calls are bounded singly
            await self.app(scope, receive, send)
            return
        with request_budget(self.seconds):
            await self.app(scope, receive, send)


class GraphQLGuardMiddleware:
    """Caps request bodies and refuses non-JSON POSTs without a preflight-forcing header.

    The cap is checked against ``Content-Length`` before anything is read, and again while a
    chunked body streams in, so memory stays bounded either way.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        max_body_bytes: int,
        max_upload_bytes: int,
        body_timeout_s: float,
        upload_timeout_s: float,
    ) -> None:
        self.app = app
        self.path = path
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.body_timeout_s = body_timeout_s
        self.upload_timeout_s = upload_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get("request_id", "-")
        method = scope["method"]
        content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        is_multipart = content_type == "multipart/form-data"

        if method == "POST" and content_type not in _JSON_TYPES:
            headers = {k for k, v in scope.get("headers", ()) if v}
            if not any(h in headers for h in PREFLIGHT_HEADERS):
                await send_json_error(
                    send,
                    400,
                    "Non-JSON requests must send an `X-ModelServe-CSRF` (or "
                    "`Apollo-Require-Preflight`) header.",
                    "CSRF_HEADER_REQUIRED",
                    request_id,
                )
                return

        limit = self.max_upload_bytes if is_multipart else self.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await send_json_error(send, 400, "Bad Content-Length.", BAD_REQUEST, request_id)
                return
            if too_big:
                await send_json_error(
                    send,
                    413,
                    f"Request body exceeds {limit} bytes.",
                    "PAYLOAD_TOO_LARGE",
                    request_id,
                )
                return

        received = 0
        started = False
        # The whole body has this long to arrive; a client that never finishes must not hold
        # its connection. Once it has all come, receive() only waits for a disconnect.
        timeout_s = self.upload_timeout_s if is_multipart else self.body_timeout_s
        deadline = asyncio.get_running_loop().time() + timeout_s
        complete = False

        async def capped_receive() -> Message:
            nonlocal received, complete
            if complete:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimedOut from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
                complete = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, capped_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await send_json_error(
                    send,
                    413,
                    f"Request body exceeds {limit} bytes.",
                    "PAYLOAD_TOO_LARGE",
                    request_id,
                )
        except BodyTimedOut:
            if not started:
                await send_json_error(
                    send,
                    408,
                    f"The request body did not arrive within {timeout_s:g} s.",
                    "REQUEST_TIMEOUT",
                    request_id,
                    {"Connection": "close"},
                )


def scope_request_id(scope: dict[str, Any]) -> str:
    return scope.get("state", {}).get("request_id") or uuid.uuid4().hex
