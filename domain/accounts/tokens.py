"""JWT access and refresh tokens: HS256 only, every registered claim required and checked.

Access and refresh tokens differ in ``aud`` *and* ``typ``, so neither can stand in for the other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from domain.errors import Unauthenticated

ALGORITHM = "HS256"
ACCESS_AUDIENCE = "modelserve:access"
REFRESH_AUDIENCE = "modelserve:refresh"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "sub", "aud", "iss", "jti", "typ", "sid"]


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: uuid.UUID
    session_id: uuid.UUID
    token_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenCodec:
    """Signs and checks tokens with one key; built once from settings."""

    secret: bytes
    issuer: str
    access_ttl: timedelta
    refresh_ttl: timedelta
    leeway_s: int = 10

    def issue_access(self, *, user_id: uuid.UUID, session_id: uuid.UUID) -> tuple[str, datetime]:
        return self._issue("access", ACCESS_AUDIENCE, self.access_ttl, user_id, session_id, None)

    def issue_refresh(
        self, *, user_id: uuid.UUID, session_id: uuid.UUID, token_id: uuid.UUID
    ) -> tuple[str, datetime]:
        return self._issue(
            "refresh", REFRESH_AUDIENCE, self.refresh_ttl, user_id, session_id, token_id
        )

    def _issue(
        self,
        typ: str,
        audience: str,
        ttl: timedelta,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        token_id: uuid.UUID | None,
    ) -> tuple[str, datetime]:
        now = datetime.now(UTC).replace(microsecond=0)
        expires = now + ttl
        claims = {
            "iss": self.issuer,
            "aud": audience,
            "sub": str(user_id),
            "sid": str(session_id),
            "jti": str(token_id or uuid.uuid4()),
            "typ": typ,
            "iat": now,
            "nbf": now,
            "exp": expires,
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM), expires

    def decode_access(self, token: str) -> TokenClaims:
        return self._decode(token, "access", ACCESS_AUDIENCE)

    def decode_refresh(self, token: str) -> TokenClaims:
        return self._decode(token, "refresh", REFRESH_AUDIENCE)

    def _decode(self, token: str, typ: str, audience: str) -> TokenClaims:
        if not token or len(token) > 4096:
            raise Unauthenticated("Invalid token.")
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": REQUIRED_CLAIMS, "strict_aud": True},
            )
            if claims.get("typ") != typ:
                raise Unauthenticated("Invalid token.")
            return TokenClaims(
                subject=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                token_id=uuid.UUID(claims["jti"]),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("Token expired.") from None
        except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
            raise Unauthenticated("Invalid token.") from None
