"""graphql-transport-ws, the protocol's side of one subscription (text frames only), and the
sockets it runs on, which never follow a redirect.

The clients own the socket; the protocol class says what to send and what a received frame means.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import websockets.asyncio.client
import websockets.sync.client

from modelserve_client import errors

SUBPROTOCOL = "graphql-transport-ws"
# The server's close codes (README, "Browsers and standard clients").
CLOSE_CODES: dict[int, type[errors.ModelServeError]] = {
    4403: errors.Unauthenticated,
    4401: errors.Unauthenticated,
    4408: errors.ConnectionFailed,
}


@dataclass(slots=True)
class Received:
    reply: str | None = None
    event: dict[str, Any] | None = None
    done: bool = False


class Subscription:
    def __init__(self, query: str, variables: dict[str, Any], params: dict[str, str]) -> None:
        self.init = json.dumps({"type": "connection_init", "payload": params})
        self._subscribe = json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    def receive(self, frame: str | bytes) -> Received:
        """What one frame from the server means.

        Raises:
            ModelServeError: the subscription's typed error (an ``error`` frame).
        """
        message = json.loads(frame)
        kind = message.get("type")
        if kind == "connection_ack":
            return Received(reply=self._subscribe)
        if kind == "ping":
            return Received(reply=json.dumps({"type": "pong"}))
        if kind == "next":
            payload = message["payload"]
            if payload.get("errors"):
                raise errors.from_graphql_error(payload["errors"][0])
            return Received(event=payload["data"])
        if kind == "error":
            raise errors.from_graphql_error((message.get("payload") or [{}])[0])
        if kind == "complete":
            return Received(done=True)
        return Received()


def closed(code: int | None, reason: str) -> errors.ModelServeError:
    """The typed exception for a socket the server closed before the subscription ended."""
    cls = CLOSE_CODES.get(code or 0, errors.ConnectionFailed)
    return cls(
        "UNAUTHENTICATED" if cls is errors.Unauthenticated else "CONNECTION_CLOSED",
        f"The server closed the subscription ({code}: {reason or 'no reason'}).",
    )


class _NoRedirectsSync(websockets.sync.client.reconnect):
    def process_redirect(self, exc: Exception) -> Exception:
        return exc


def connect_sync(uri: str, **options: Any) -> websockets.sync.client.ClientConnection:
    """The blocking connect, refusing redirects: the credentials travel in ``connection_init``
    after the handshake, so a socket that followed a redirect would hand them to whoever it
    pointed at (another host, or plain ws:// after wss://). A redirect is a failed handshake."""
    return _NoRedirectsSync(uri, **options).connect()


class connect_async(websockets.asyncio.client.connect):
    """The asyncio connect, refusing redirects, for the same reason as :func:`connect_sync`."""

    def process_redirect(self, exc: Exception) -> Exception:
        return exc
