"""GraphQL over HTTP's response media types: which one a request gets, and what it implies.

``application/json`` is what every client has always had: 200 for any GraphQL response, with
``data: null`` when the request failed. ``application/graphql-response+json`` (the
GraphQL-over-HTTP spec's own type) is given to clients that name it in ``Accept``: a request
that fails before execution (parse, validation, variable coercion) is answered with a 4xx and
no ``data`` entry, and any response with ``data`` — even null — with 200.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData

from domain.errors import ErrorCode
from graph.context import Context

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
OFFERED = f"{GRAPHQL_RESPONSE_JSON}, {APPLICATION_JSON}"

# How specific each range that matches application/json is; a more specific range's q wins.
_JSON_RANGES = {APPLICATION_JSON: 2, "application/*": 1, "*/*": 0}


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 1.0
    return 1.0


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with, or None when ``Accept`` allows neither.

    No ``Accept`` (or ``*/*``) means ``application/json``, as the spec asks for the sake of
    older clients; ``application/graphql-response+json`` only when named, and it wins a tie.
    """
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    graphql_q: float | None = None
    json_q: float | None = None
    json_specificity = -1
    for item in accept.split(","):
        media_range, *params = item.split(";")
        media_range = media_range.strip().lower()
        if media_range == GRAPHQL_RESPONSE_JSON:
            graphql_q = _quality(params)
        elif (specificity := _JSON_RANGES.get(media_range, -1)) > json_specificity:
            json_q, json_specificity = _quality(params), specificity
    if graphql_q and graphql_q >= (json_q or 0.0):
        return GRAPHQL_RESPONSE_JSON
    return APPLICATION_JSON if json_q else None


def is_request_error(response: Mapping[str, Any]) -> bool:
    """Whether the operation failed before it executed, so its response gets no ``data``.

    Parsing, validation, our pre-execution limits, variable coercion and operation selection
    fail with null data and errors without a path: no field was reached. A field's error,
    even one that nulls all of ``data``, has a path.
    """
    errors = response.get("errors")
    return response.get("data") is None and bool(errors) and all("path" not in e for e in errors)


def request_error_status(errors: list[Mapping[str, Any]]) -> int:
    """The status of a response without ``data``: 500 if we failed, else the client's 400."""
    codes = {(error.get("extensions") or {}).get("code") for error in errors}
    return 500 if ErrorCode.INTERNAL.value in codes else 400


class MediaTypeView(GraphQL[Context, None]):
    """Answers each request in the media type its ``Accept`` asks for, or 406.

    The negotiated type rides on the sub-response's ``media_type``, which Strawberry creates
    per request and hands to ``create_response``.
    """

    async def get_sub_response(self, request: Request) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = negotiate(request.headers.get("accept"))
        return sub_response

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        # After the GraphiQL page (a browser's text/html) and before the body is read.
        if negotiate(request.headers.get("accept")) is None:
            raise HTTPException(406, f"Accept allows none of the media types offered: {OFFERED}.")
        return await super().parse_http_body(request)  # type: ignore[return-value]

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        if sub_response.media_type != GRAPHQL_RESPONSE_JSON or isinstance(response_data, list):
            return super().create_response(response_data, sub_response)
        if is_request_error(response_data):
            response_data = {k: v for k, v in response_data.items() if k != "data"}  # type: ignore[assignment]
            errors = response_data["errors"]  # type: ignore[typeddict-item]
            status = sub_response.status_code or request_error_status(errors)
        else:
            # data is present, if null: the spec asks for 200 whatever the errors, which keep
            # their codes (and Retry-After its header).
            status = 200
        response = super().create_response(response_data, sub_response)
        response.status_code = status
        response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
        return response
