"""``Client`` (blocking) and ``AsyncClient`` (asyncio): the same operations, two drivers."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import websockets

from modelserve_client import _documents as docs
from modelserve_client import _ws, errors
from modelserve_client._core import (
    CSRF_HEADER,
    Download,
    Follow,
    GraphQL,
    Operation,
    Operations,
    auth_headers,
    connection_params,
    decode,
    decode_download,
    expiring,
    multipart,
    rewind,
)
from modelserve_client.types import JobProgress, PredictionEvent, Session

DEFAULT_TIMEOUT_S = 120.0

# (access token, refresh token) as another process may have stored them, or None.
StoredPair = tuple[str | None, str | None] | None


@contextlib.contextmanager
def _no_guard() -> Iterator[StoredPair]:
    yield None


class _Transport(Operations):
    """Addresses, credentials and the requests both drivers send."""

    _http_class: type[httpx.Client] | type[httpx.AsyncClient]
    _lock_class: Callable[[], Any]

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        *,
        token: str | None = None,
        refresh_token: str | None = None,
        api_key: str | None = None,
        on_refresh: Callable[[Session], None] | None = None,
        refresh_guard: Callable[[], contextlib.AbstractContextManager[StoredPair]] | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._http: Any = self._http_class(timeout=timeout)
        base = url.rstrip("/")
        self.base_url = base.removesuffix("/graphql")
        self.graphql_url = f"{self.base_url}/graphql"
        self.ws_url = "ws" + self.graphql_url.removeprefix("http")
        self.token, self.api_key, self._username = token, api_key, None
        self.refresh_token, self._on_refresh = refresh_token, on_refresh
        # The server rotates refresh tokens and ends the session when an old one comes back,
        # so one refresh at a time; the others wait for it and carry its pair. Across processes
        # sharing stored tokens (the command line), ``refresh_guard`` holds their lock and
        # says which pair is stored now.
        self._refresh_lock = self._lock_class()
        self._refresh_guard = refresh_guard or _no_guard

    def _headers(self) -> dict[str, str]:
        return auth_headers(self.token, self.api_key)

    def _request(self, http: httpx.Client | httpx.AsyncClient, call: GraphQL) -> httpx.Request:
        credentials = {} if call.anonymous else self._headers()
        if not call.files:
            body = {"query": call.query, "variables": call.variables}
            return http.build_request("POST", self.graphql_url, json=body, headers=credentials)
        data, files = multipart(call)
        headers = {**credentials, CSRF_HEADER: "1"}
        return http.build_request("POST", self.graphql_url, data=data, files=files, headers=headers)

    def _download(self, http: httpx.Client | httpx.AsyncClient, call: Download) -> httpx.Request:
        url = f"{self.base_url}{call.path}"
        return http.build_request("GET", url, params=call.params, headers=self._headers())

    def _subscription(self, query: str, variables: dict[str, Any]) -> _ws.Subscription:
        return _ws.Subscription(query, variables, connection_params(self.token, self.api_key))


@contextlib.contextmanager
def _network(url: str) -> Iterator[None]:
    """Network failures as ``ConnectionFailed``, websocket closes as their typed error."""
    try:
        yield
    except websockets.ConnectionClosed as exc:
        code, reason = (exc.rcvd.code, exc.rcvd.reason) if exc.rcvd else (None, "")
        raise _ws.closed(code, reason) from None
    except (httpx.TransportError, OSError, websockets.InvalidHandshake) as exc:
        raise errors.ConnectionFailed("CONNECTION_FAILED", f"{url}: {exc}") from None


class Client(_Transport):
    """A blocking client: ``Client(url, token=...)`` or ``Client(url, api_key="msk_...")``."""

    _http_class = httpx.Client
    _lock_class = threading.Lock

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _drive(self, op: Operation[Any]) -> Any:
        try:
            call = next(op)
            while True:
                call = op.send(self._perform(call))
        except StopIteration as done:
            return done.value
        finally:
            op.close()

    def _perform(self, call: GraphQL | Download | Follow) -> Any:
        if isinstance(call, Follow):
            last = None
            for event in self._events(call.query, call.variables):
                last = event
            return last
        used = self._fresh()
        try:
            return self._send(call)
        except errors.Unauthenticated:
            if not self._can_refresh():
                raise
            self._refresh(used)
            rewind(call)
            return self._send(call)

    def _fresh(self) -> str | None:
        """The access token to send: refreshed first when it is about to expire."""
        if self._can_refresh() and expiring(self.token):
            self._refresh(self.token)
        return self.token

    def _refresh(self, used: str | None) -> None:
        """Trade the refresh token for a new pair, unless ``used`` was already replaced."""
        with self._refresh_lock, self._refresh_guard() as stored:
            self._catch_up(stored)
            if self.token != used or not self._can_refresh():
                return
            try:
                data = self._send(self._refresh_call())
            except errors.Unauthenticated:
                self._session_over()
                raise
            self._adopt(data)

    def _send(self, call: GraphQL | Download) -> Any:
        with _network(self.base_url):
            if isinstance(call, GraphQL):
                response = self._http.send(self._request(self._http, call))
                return decode(response.status_code, response.content)
            response = self._http.send(self._download(self._http, call), stream=True)
            try:
                if response.status_code >= 400:
                    decode_download(response.status_code, response.read())
                if call.target is None:
                    return response.read()
                with call.target.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
                return call.target
            finally:
                response.close()

    def _events(self, query: str, variables: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """A subscription's events; resumed with a fresh token when the server ends it (4403)
        because its access token expired."""
        while True:
            used = self._fresh()
            try:
                yield from self._connection(query, variables)
                return
            except errors.Unauthenticated:
                if not (self._can_refresh() and expiring(used)):
                    raise
                self._refresh(used)

    def _connection(self, query: str, variables: dict[str, Any]) -> Iterator[dict[str, Any]]:
        protocol = self._subscription(query, variables)
        with (
            _network(self.base_url),
            _ws.connect_sync(self.ws_url, subprotocols=[_ws.SUBPROTOCOL]) as ws,
        ):
            ws.send(protocol.init)
            while True:
                received = protocol.receive(ws.recv())
                if received.reply:
                    ws.send(received.reply)
                if received.event is not None:
                    yield received.event
                if received.done:
                    return

    def job_progress(self, job_id: str) -> Iterator[JobProgress]:
        """A job's progress as it happens, until it ends."""
        for event in self._events(docs.JOB_PROGRESS, {"id": job_id}):
            yield self._progress(event)

    def subscribe_predictions(self, ref: str) -> Iterator[PredictionEvent]:
        """Every prediction of model ``ref`` as it is logged (runs until you stop)."""
        model = self._drive(self._qualified(ref))
        for event in self._events(docs.PREDICTIONS, {"model": model}):
            yield PredictionEvent.from_payload(event["predictions"])


class AsyncClient(_Transport):
    """The asyncio client: every operation of ``Client``, awaited; subscriptions are async
    iterators."""

    _http_class = httpx.AsyncClient
    _lock_class = asyncio.Lock

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _drive(self, op: Operation[Any]) -> Any:
        try:
            call = next(op)
            while True:
                call = op.send(await self._perform(call))
        except StopIteration as done:
            return done.value
        finally:
            op.close()

    async def _perform(self, call: GraphQL | Download | Follow) -> Any:
        if isinstance(call, Follow):
            last = None
            async for event in self._events(call.query, call.variables):
                last = event
            return last
        used = await self._fresh()
        try:
            return await self._send(call)
        except errors.Unauthenticated:
            if not self._can_refresh():
                raise
            await self._refresh(used)
            rewind(call)
            return await self._send(call)

    async def _fresh(self) -> str | None:
        """The access token to send: refreshed first when it is about to expire."""
        if self._can_refresh() and expiring(self.token):
            await self._refresh(self.token)
        return self.token

    async def _refresh(self, used: str | None) -> None:
        """Trade the refresh token for a new pair, unless ``used`` was already replaced."""
        async with self._refresh_lock:
            with self._refresh_guard() as stored:
                self._catch_up(stored)
                if self.token != used or not self._can_refresh():
                    return
                try:
                    data = await self._send(self._refresh_call())
                except errors.Unauthenticated:
                    self._session_over()
                    raise
                self._adopt(data)

    async def _send(self, call: GraphQL | Download) -> Any:
        with _network(self.base_url):
            if isinstance(call, GraphQL):
                response = await self._http.send(self._request(self._http, call))
                return decode(response.status_code, response.content)
            request = self._download(self._http, call)
            response = await self._http.send(request, stream=True)
            try:
                if response.status_code >= 400:
                    decode_download(response.status_code, await response.aread())
                if call.target is None:
                    return await response.aread()
                with call.target.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
                return call.target
            finally:
                await response.aclose()

    async def _events(self, query: str, variables: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """A subscription's events; resumed with a fresh token when the server ends it (4403)
        because its access token expired."""
        while True:
            used = await self._fresh()
            try:
                async for event in self._connection(query, variables):
                    yield event
                return
            except errors.Unauthenticated:
                if not (self._can_refresh() and expiring(used)):
                    raise
                await self._refresh(used)

    async def _connection(
        self, query: str, variables: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        protocol = self._subscription(query, variables)
        with _network(self.base_url):
            async with _ws.connect_async(self.ws_url, subprotocols=[_ws.SUBPROTOCOL]) as ws:
                await ws.send(protocol.init)
                while True:
                    received = protocol.receive(await ws.recv())
                    if received.reply:
                        await ws.send(received.reply)
                    if received.event is not None:
                        yield received.event
                    if received.done:
                        return

    async def job_progress(self, job_id: str) -> AsyncIterator[JobProgress]:
        """A job's progress as it happens, until it ends."""
        async for event in self._events(docs.JOB_PROGRESS, {"id": job_id}):
            yield self._progress(event)

    async def subscribe_predictions(self, ref: str) -> AsyncIterator[PredictionEvent]:
        """Every prediction of model ``ref`` as it is logged (runs until you stop)."""
        model = await self._drive(self._qualified(ref))
        async for event in self._events(docs.PREDICTIONS, {"model": model}):
            yield PredictionEvent.from_payload(event["predictions"])
