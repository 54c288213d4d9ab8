"""The graphql-transport-ws side of /graphql: text frames, and errors as ``error`` messages.

Strawberry's handler treats an exception out of ``schema.stream`` as a crash: it logs it at
ERROR (the exception carries the document, passwords and all) and answers ``complete``, so
the client never learns why. Our ``OperationGuard`` refuses an oversized, too-deep or
unparsable document by raising, which is how HTTP reports it; here it becomes the protocol's
``error`` message with the same codes, and only the document's size and hash are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import aclosing

import orjson
from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)

from graph.errors import format_error
from graph.logs import document_digest

log = logging.getLogger("modelserve.websocket")


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends every graphql-transport-ws message as a text frame.

    The protocol's messages are JSON text; browsers' and graphql-ws's clients read a binary
    frame as a Blob or Buffer and fail with "Message is missing the 'type' property". orjson
    still encodes; decoding its UTF-8 output to ``str`` is a copy, not a second encoding.
    """

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class TransportWSHandler(BaseGraphQLTransportWSHandler):  # type: ignore[type-arg]
    """Strawberry's graphql-transport-ws handler, answering refused documents with ``error``."""

    async def run_operation(self, operation: Operation) -> None:  # type: ignore[type-arg]
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=self.context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except GraphQLError as error:
            # Refused before execution (OperationGuard); already coded by format_error.
            log.info(
                "websocket operation refused: %s",
                (error.extensions or {}).get("reason", "BAD_USER_INPUT"),
                extra=document_digest(operation.query or ""),
            )
            await operation.send_initial_errors([error])
        except Exception as error:
            request_id = getattr(self.context, "request_id", "-")
            masked = format_error(
                GraphQLError(str(type(error).__name__), original_error=error), request_id
            )
            await operation.send_initial_errors([masked])
