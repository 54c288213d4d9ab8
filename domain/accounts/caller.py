"""Who is calling: one ``Caller`` however the request authenticated (a session or an API key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage import tables


class AuthMethod(StrEnum):
    SESSION = "session"
    API_KEY = "api_key"


class Scope(StrEnum):
    """What an API key may be used for. A session holds every scope its user's role allows."""

    READ = "read"  # queries: models, versions, analytics, logs, own usage
    PREDICT = "predict"  # predictions and their live streams
    PUBLISH = "publish"  # create, upload, alias, share, archive, delete
    ADMIN = "admin"  # administrator operations (only for an administrator's key)


ALL_SCOPES = frozenset(Scope)


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller, resolved once per request (and per websocket use).

    ``session_id`` is set for a session (an access token), ``key_id`` for an API key.
    ``model_ids`` is None when the caller may reach every model its user may; an API key
    restricted to some models carries their ids, and every other model is invisible to it.
    ``expires_at`` is None for a key without an expiry.
    """

    user_id: uuid.UUID
    email: str
    role: tables.Role
    method: AuthMethod
    scopes: frozenset[Scope]
    expires_at: datetime | None
    session_id: uuid.UUID | None = None
    key_id: uuid.UUID | None = None
    model_ids: frozenset[uuid.UUID] | None = None

    @property
    def is_admin(self) -> bool:
        """Administrator powers: an admin's session, or an admin's key with the admin scope."""
        return self.role is tables.Role.ADMIN and Scope.ADMIN in self.scopes

    @property
    def via_key(self) -> bool:
        return self.method is AuthMethod.API_KEY

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes

    def may_reach(self, model_id: uuid.UUID) -> bool:
        """False when this caller is a key restricted to other models."""
        return self.model_ids is None or model_id in self.model_ids

    @classmethod
    def for_session(
        cls,
        *,
        user_id: uuid.UUID,
        email: str,
        role: tables.Role,
        session_id: uuid.UUID,
        expires_at: datetime,
    ) -> Caller:
        scopes = ALL_SCOPES if role is tables.Role.ADMIN else ALL_SCOPES - {Scope.ADMIN}
        return cls(
            user_id=user_id,
            email=email,
            role=role,
            method=AuthMethod.SESSION,
            scopes=scopes,
            expires_at=expires_at,
            session_id=session_id,
        )
