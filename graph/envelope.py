"""The HTTP envelope of a GraphQL request, read strictly before Strawberry executes it.

A GET query string, a JSON body and a multipart request's ``operations`` must each hold one
operation: an object whose ``query`` and ``operationName`` are strings and whose ``variables``
and ``extensions`` are objects, each when present. A multipart ``map`` must send uploaded
file parts to null placeholders that exist in ``operations``, each placeholder at most once.
Anything else is a 400 naming what was wrong: never a 500, and never an error that reaches
execution and comes back masked as ``INTERNAL``.

Strawberry refuses requests by raising ``HTTPException``, which it would answer in plain
text; ``EnvelopeView`` answers those in the JSON error shape of ``graph/http.py`` instead,
with a code a client can branch on.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from graph.context import Context
from graph.http import BAD_REQUEST, scope_request_id, send_json_error

# Codes of Strawberry's refusals; every other status it raises with is a malformed request.
_CODES = {
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
}

# (member, type it must have when present, how the message names that type)
_MEMBERS = (
    ("query", str, "a string"),
    ("operationName", str, "a string"),
    ("variables", dict, "an object"),
    ("extensions", dict, "an object"),
)
_INDEX = re.compile(r"[0-9]+")
_MISSING = object()


def _bad(message: str) -> HTTPException:
    return HTTPException(400, message)


def single_operation(data: object, where: str) -> dict[str, Any]:
    """``data`` as one operation's object; a list is a batch, which the schema does not take."""
    if isinstance(data, list):
        raise _bad("Batching is not enabled.")
    if not isinstance(data, dict):
        raise _bad(f"{where} must be a JSON object, not {_json_type(data)}.")
    return data


def request_data(data: object, where: str) -> GraphQLRequestData:
    """The operation in ``data`` (from ``where``), or a 400 naming the member that is wrong."""
    operation = single_operation(data, where)
    for member, kind, described in _MEMBERS:
        value = operation.get(member)
        if value is not None and not isinstance(value, kind):
            raise _bad(f"`{member}` must be {described} or null, not {_json_type(value)}.")
    return GraphQLRequestData(
        query=operation.get("query"),
        variables=operation.get("variables"),
        operation_name=operation.get("operationName"),
        extensions=operation.get("extensions"),
    )


def with_files(operations: object, files_map: object, parts: Mapping[str, Any]) -> dict[str, Any]:
    """``operations`` with the file parts ``files_map`` names put in its null placeholders."""
    checked = single_operation(operations, "`operations`")
    if not isinstance(files_map, dict):
        raise _bad(f"`map` must be a JSON object, not {_json_type(files_map)}.")
    placed: set[str] = set()
    for name, paths in files_map.items():
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise _bad(f"`map` entry `{name}` must be a list of paths into `operations`.")
        if not isinstance(parts.get(name), UploadFile):
            raise _bad(f"`map` names file `{name}`, but no file part has that name.")
        for path in paths:
            if path in placed:
                raise _bad(f"`map` sends more than one file to `{path}`.")
            if _resolve(checked, path) is not None:
                raise _bad(
                    f"`map` sends file `{name}` to `{path}`, which is not a null placeholder "
                    "in `operations`."
                )
            placed.add(path)
    return replace_placeholders_with_files(checked, files_map, parts)


def _resolve(value: object, path: str) -> object:
    """What the dotted ``path`` names in ``value``, or ``_MISSING``."""
    for key in path.split("."):
        if isinstance(value, dict):
            value = value.get(key, _MISSING)
        elif isinstance(value, list) and _INDEX.fullmatch(key) and int(key) < len(value):
            value = value[int(key)]
        else:
            return _MISSING
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


@functools.lru_cache(maxsize=256)
def media_type(content_type: str) -> str:
    """The media type of a ``Content-Type`` header, without its parameters.

    Clients send the same few headers: parsed once each (through ``email.message``, which
    was 4.7% of a c64 profile's busy samples when run per request), bounded in number.
    """
    return parse_content_type(content_type)[0]


class EnvelopeView(GraphQL[Context, None]):
    """Strawberry's ASGI view, reading the envelope strictly and refusing in JSON."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as exc:
            code = _CODES.get(exc.status_code, BAD_REQUEST)
            headers = {"allow": "POST"} if exc.status_code == 405 else None
            await send_json_error(
                send, exc.status_code, exc.reason, code, scope_request_id(scope), headers
            )
            return
        await response(scope, receive, send)

    async def execute_single(self, request: Any, request_adapter: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_single(request, request_adapter, **kwargs)
        except HTTPException as exc:
            # GraphQL over HTTP: a mutation sent with GET is 405 Method Not Allowed.
            cause = exc.__cause__
            if (
                request_adapter.method == "GET"
                and isinstance(cause, InvalidOperationTypeError)
                and cause.operation_type is OperationType.MUTATION
            ):
                raise HTTPException(405, exc.reason) from exc
            raise

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        # The view offers no HTTP streaming transport (SSE, multipart subscriptions), so every
        # operation is answered as plain "http", as Strawberry would here.
        content_type = media_type(request.content_type or "")
        if request.method == "GET":
            data = self.parse_query_params(request.query_params)
            where = "The query string"
        elif "application/json" in content_type:
            data = self.parse_json(await request.get_body())
            where = "The request body"
        elif self.multipart_uploads_enabled and content_type == "multipart/form-data":
            data = await self.parse_multipart(request)
            where = "`operations`"
        else:
            raise _bad("Unsupported content type.")
        return request_data(data, where)

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, Any]:
        try:
            form = await request.get_form_data()
        except StarletteHTTPException as exc:  # python-multipart could not read the body
            raise _bad(f"Unable to parse the multipart body: {exc.detail}") from None
        except ValueError:
            raise _bad("Unable to parse the multipart body.") from None
        fields = {}
        for name in ("operations", "map"):
            value = form.form.get(name, "{}")
            if not isinstance(value, str):
                raise _bad(f"`{name}` must be a form field, not a file.")
            fields[name] = self.parse_json(value)
        return with_files(fields["operations"], fields["map"], form.files)
