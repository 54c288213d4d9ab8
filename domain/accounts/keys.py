"""API keys: ``msk_<public id>_<secret>``, scoped, optionally restricted to models, revocable.

The public id finds the row; the secret is compared, in constant time, with an HMAC-SHA256 of
it keyed by a pepper derived from the server's secret key. Nothing in the database can be used
as a key, and checking one costs a hash, not a password hash. Every failure (malformed,
unknown id, wrong secret, revoked, expired, deactivated user) is the same ``Unauthenticated``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.accounts.caller import AuthMethod, Caller, Scope
from domain.errors import FieldError, Forbidden, NotFound, Unauthenticated, ValidationFailed
from storage import tables

PREFIX = "msk_"
_KEY_RE = re.compile(r"^msk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
MAX_NAME = 64
MAX_KEYS_PER_USER = 100
MAX_RESTRICTED_MODELS = 100
MAX_LIFETIME = timedelta(days=366)
# Last use is written at most this often per key (or when the address changes).
LAST_USED_EVERY = timedelta(minutes=1)
KEY_INVALID = "Invalid API key."
_SCOPE_VALUES = frozenset(s.value for s in Scope)


def looks_like_key(credential: str) -> bool:
    return credential.startswith(PREFIX)


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: tables.ApiKey
    plaintext: str


def _now() -> datetime:
    return datetime.now(UTC)


class ApiKeys:
    def __init__(self, *, secret: bytes) -> None:
        # A pepper of its own, so the stored hashes say nothing about the token-signing key.
        self._pepper = hmac.new(secret, b"modelserve api-key pepper v1", hashlib.sha256).digest()

    def _digest(self, secret: str) -> str:
        return hmac.new(self._pepper, secret.encode(), hashlib.sha256).hexdigest()

    async def create(
        self,
        *,
        caller: Caller,
        name: str,
        scopes: list[Scope],
        expires_at: datetime | None,
        model_ids: list[uuid.UUID] | None,
    ) -> CreatedKey:
        """A new key for the caller's own account; its plaintext is returned this once.

        A key is made with a session, or with a key that has the admin scope: a leaked
        predict key cannot mint itself successors. Only administrators may grant ``admin``.
        Model restrictions are checked by the caller of this method (the registry's access
        rule decides which models the caller may name).
        """
        if caller.via_key and not caller.is_admin:
            raise Forbidden("API keys are created with a signed-in session.")
        if caller.via_key and not set(scopes) <= caller.scopes:
            raise Forbidden("A key can only make keys with scopes it has itself.")
        if caller.model_ids is not None and (
            model_ids is None or not set(model_ids) <= caller.model_ids
        ):
            raise Forbidden(
                "A key restricted to some models can only make keys restricted to them."
            )
        errors: list[FieldError] = []
        name = name.strip()
        if not 1 <= len(name) <= MAX_NAME or not name.isprintable():
            errors.append(
                FieldError(("input", "name"), f"Use 1-{MAX_NAME} printable characters.", "invalid")
            )
        if not scopes:
            errors.append(FieldError(("input", "scopes"), "Give at least one scope.", "required"))
        if Scope.ADMIN in scopes and caller.role is not tables.Role.ADMIN:
            errors.append(
                FieldError(("input", "scopes"), "Only administrators grant admin.", "forbidden")
            )
        if expires_at is not None:
            if expires_at.tzinfo is None:
                expires_at = expires_at.replace(tzinfo=UTC)
            if expires_at <= _now():
                errors.append(
                    FieldError(("input", "expiresAt"), "Must be in the future.", "in_past")
                )
            elif expires_at > _now() + MAX_LIFETIME:
                errors.append(
                    FieldError(("input", "expiresAt"), "At most a year ahead.", "too_far")
                )
        if model_ids is not None and not 1 <= len(set(model_ids)) <= MAX_RESTRICTED_MODELS:
            errors.append(
                FieldError(
                    ("input", "models"),
                    f"Name 1-{MAX_RESTRICTED_MODELS} models, or leave it out.",
                    "out_of_range",
                )
            )
        if await tables.ApiKey.filter(user_id=caller.user_id, revoked_at=None).count() >= (
            MAX_KEYS_PER_USER
        ):
            errors.append(
                FieldError(
                    ("input",), f"At most {MAX_KEYS_PER_USER} live keys; revoke some.", "too_many"
                )
            )
        if errors:
            raise ValidationFailed(errors)
        public_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        key = await tables.ApiKey.create(
            public_id=public_id,
            user_id=caller.user_id,
            name=name,
            secret_hash=self._digest(secret),
            scopes=sorted({s.value for s in scopes}),
            model_ids=sorted({str(m) for m in model_ids}) if model_ids is not None else None,
            expires_at=expires_at,
        )
        return CreatedKey(key, f"{PREFIX}{public_id}_{secret}")

    async def verify(self, credential: str, *, ip: str | None) -> Caller:
        match = _KEY_RE.match(credential)
        if match is None:
            raise Unauthenticated(KEY_INVALID)
        public_id, secret = match.groups()
        key = (
            await tables.ApiKey.filter(public_id=public_id, user__is_active=True)
            .select_related("user")
            .first()
        )
        # Compared even for an unknown id, so neither answer is quicker.
        stored = key.secret_hash if key is not None else "0" * 64
        matches = hmac.compare_digest(stored, self._digest(secret))
        now = _now()
        if (
            key is None
            or not matches
            or key.revoked_at is not None
            or (key.expires_at is not None and key.expires_at <= now)
        ):
            raise Unauthenticated(KEY_INVALID)
        if (
            key.last_used_at is None
            or now - key.last_used_at >= LAST_USED_EVERY
            or key.last_used_ip != ip
        ):
            await tables.ApiKey.filter(id=key.id).update(last_used_at=now, last_used_ip=ip)
        user = key.user
        role = tables.Role(user.role)
        scopes = frozenset(Scope(s) for s in key.scopes if s in _SCOPE_VALUES)
        if role is not tables.Role.ADMIN:
            # An administrator's key loses its admin powers with its user's role.
            scopes -= {Scope.ADMIN}
        return Caller(
            user_id=user.id,
            email=user.email,
            role=role,
            method=AuthMethod.API_KEY,
            scopes=scopes,
            expires_at=key.expires_at,
            key_id=key.id,
            model_ids=(
                frozenset(uuid.UUID(m) for m in key.model_ids)
                if key.model_ids is not None
                else None
            ),
        )

    async def is_live(self, key_id: uuid.UUID) -> bool:
        key = await tables.ApiKey.get_or_none(id=key_id, user__is_active=True)
        return (
            key is not None
            and key.revoked_at is None
            and (key.expires_at is None or key.expires_at > _now())
        )

    async def list(self, *, user_id: uuid.UUID, include_revoked: bool) -> list[tables.ApiKey]:
        query = tables.ApiKey.filter(user_id=user_id)
        if not include_revoked:
            query = query.filter(revoked_at=None)
        return await query.order_by("-created_at", "-id")

    async def get(self, *, caller: Caller, key_id: uuid.UUID) -> tables.ApiKey:
        """The caller's own key (any key for an administrator); NotFound otherwise."""
        key = await tables.ApiKey.get_or_none(id=key_id)
        if key is None or (key.user_id != caller.user_id and not caller.is_admin):
            raise NotFound("API key")
        return key

    async def revoke(self, *, key: tables.ApiKey) -> bool:
        """Revoke ``key``; False when it already was."""
        updated = await tables.ApiKey.filter(id=key.id, revoked_at=None).update(revoked_at=_now())
        return updated > 0

    async def revoke_all(self, *, user_id: uuid.UUID) -> list[uuid.UUID]:
        ids = await tables.ApiKey.filter(user_id=user_id, revoked_at=None).values_list(
            "id", flat=True
        )
        if ids:
            await tables.ApiKey.filter(id__in=ids).update(revoked_at=_now())
        return list(ids)
