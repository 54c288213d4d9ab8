"""The per-request (or per-websocket) context: who is calling, services, loaders, response."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.permission import BasePermission

from domain.accounts import Caller
from domain.errors import DomainError, ErrorCode, Forbidden, Unauthenticated
from domain.runtime import Services
from graph.errors import HTTP_STATUS
from graph.loaders import Loaders

_CONNECTION_KEYS = ("authorization", "Authorization", "token", "apiKey", "x-api-key")


def credential(headers: Mapping[str, str]) -> str | None:
    """The access token or API key HTTP headers carry; "" when malformed, None when absent.

    ``Authorization: Bearer <token or key>`` or ``X-API-Key: <key>``: the same for GraphQL and
    every REST route.
    """
    raw = headers.get("authorization")
    if raw is None:
        key = headers.get("x-api-key")
        return None if key is None else key.strip()
    scheme, _, token = raw.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket
    services: Services
    request_id: str
    _loaders: Loaders
    connection_params: dict[str, Any] | None = None
    _auth: asyncio.Future[tuple[Caller | None, DomainError | None]] | None = field(
        default=None, repr=False
    )

    @property
    def loaders(self) -> Loaders:
        """The request's loaders; a websocket gets fresh ones per use, as its context outlives
        any one operation and cached rows would go stale."""
        if self.connection_params is not None:
            return Loaders.build(self.services)
        return self._loaders

    @property
    def client_ip(self) -> str | None:
        client = self.request.client
        return client.host if client else None

    @property
    def user_agent(self) -> str | None:
        return self.request.headers.get("user-agent")

    def credential(self) -> str | None:
        """The access token or API key the request carries; "" when it is malformed.

        Over HTTP: ``Authorization: Bearer <token or key>`` or ``X-API-Key: <key>``. In a
        websocket's ``connection_init`` payload: ``Authorization`` (``Bearer`` optional),
        ``token`` or ``apiKey``.
        """
        if self.connection_params is None:
            return credential(self.request.headers)
        params = self.connection_params
        raw = next((params[k] for k in _CONNECTION_KEYS if params.get(k) is not None), None)
        if raw is None:
            return None
        if not isinstance(raw, str):
            return ""
        scheme, _, token = raw.strip().partition(" ")
        if scheme.lower() == "bearer":
            return token.strip()
        # A bare credential is accepted only in a websocket's connection_init payload.
        return raw.strip()

    async def caller(self) -> Caller | None:
        """The caller, or None when anonymous; a bad token is remembered, raised on demand.

        Over HTTP the token is checked once per request, however many fields ask at once: the
        first asker starts the check and every other field awaits the same one (root fields
        resolve concurrently). A websocket's context lives as long as the connection, so there
        the credential is checked again on every use (the accounts service remembers a check
        for a second and joins concurrent ones): logout, a revoked key, deactivation, a role
        change or expiry apply
        to an open socket's next operation too.
        """
        caller, _ = await self._resolve()
        return caller

    async def require_caller(self) -> Caller:
        caller, error = await self._resolve()
        if caller is None:
            raise error or Unauthenticated()
        return caller

    async def _resolve(self) -> tuple[Caller | None, DomainError | None]:
        if self.connection_params is not None:
            return await self._authenticate()
        if self._auth is None:
            self._auth = asyncio.ensure_future(self._authenticate())
        # Shielded: one field being cancelled must not cancel the check the others await.
        return await asyncio.shield(self._auth)

    async def _authenticate(self) -> tuple[Caller | None, DomainError | None]:
        credential = self.credential()
        if credential is None:
            return None, None
        try:
            return await self.services.accounts.authenticate(credential, ip=self.client_ip), None
        except DomainError as exc:
            return None, exc

    async def close_connection(self, code: int, reason: str) -> None:
        """Close the websocket this context belongs to (no-op over HTTP)."""
        if isinstance(self.response, WebSocket):
            with contextlib.suppress(Exception):
                await self.response.close(code=code, reason=reason)

    def set_status(self, status: int) -> None:
        if isinstance(self.response, Response):
            self.response.status_code = status

    def set_status_from_errors(self, errors: list[GraphQLError]) -> None:
        codes = {(e.extensions or {}).get("code") for e in errors}
        statuses = {HTTP_STATUS.get(ErrorCode(c)) for c in codes if c in ErrorCode.__members__}
        if len(statuses) == 1 and (status := statuses.pop()) is not None:
            self.set_status(status)
        if isinstance(self.response, Response):
            for error in errors:
                retry = (error.extensions or {}).get("retryAfter")
                if retry is not None:
                    self.response.headers["Retry-After"] = str(retry)
                    window = (error.extensions or {}).get("rateLimit")
                    if window:
                        # The figures of extensions.rateLimit, as the RateLimit header draft.
                        headers = self.response.headers
                        headers["RateLimit-Limit"] = str(window["limit"])
                        headers["RateLimit-Remaining"] = str(window["remaining"])
                        headers["RateLimit-Reset"] = str(retry)
                    break


Info = strawberry.Info[Context, None]


class IsAuthenticated(BasePermission):
    """The field needs a valid access token (or an authenticated websocket)."""

    message = "Authentication required."

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await info.context.require_caller()
        return True


class IsAdmin(BasePermission):
    message = "Administrators only."

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        caller = await info.context.require_caller()
        if not caller.is_admin:
            raise Forbidden("Administrators only.")
        return True


def new_request_id() -> str:
    return uuid.uuid4().hex
