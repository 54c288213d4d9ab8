"""Writing the audit log: the action catalogue, who and what an entry names, and ``record``.

Where a request came from (its address and request id) is set once per GraphQL operation by the
graph layer (``request_origin``), so domain code records an action without passing it around.

Failure policy: building a row never fails the action it records. A label too long is cut, a
detail that is not JSON is stored as text, and any other slip in assembling the row is logged and
a row without the detail is written instead. Writing the row is a database write like the change's
own: where the change runs in a transaction, ``record`` is called inside it (Tortoise's
``in_transaction`` reaches every query in the block), so the change and its row commit or roll
back together; elsewhere the row is written right after the change, and a database failure
surfaces as an error of the request just as the change's own would have.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from storage import tables

if TYPE_CHECKING:
    # Only a type: accounts imports this module to record its own actions.
    from domain.accounts.caller import Caller

log = logging.getLogger("modelserve.audit")

MAX_DETAIL_CHARS = 4000


class AuditAction(StrEnum):
    """Every action the audit log knows; the graph exposes the same names."""

    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 # nosec B105 - an action name
    SESSIONS_REVOKED = "sessions_revoked"
    ROLE_CHANGED = "role_changed"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    KEY_CREATED = "key_created"
    KEY_REVOKED = "key_revoked"
    MODEL_SHARED = "model_shared"
    MODEL_UNSHARED = "model_unshared"
    ALIAS_SET = "alias_set"
    ALIAS_MOVED = "alias_moved"
    ALIAS_REMOVED = "alias_removed"
    ALIAS_TRAFFIC_SET = "alias_traffic_set"
    VERSION_ARCHIVED = "version_archived"
    MODEL_DELETED = "model_deleted"
    QUOTA_CHANGED = "quota_changed"
    TEAM_CREATED = "team_created"
    TEAM_DELETED = "team_deleted"
    TEAM_MEMBER_ADDED = "team_member_added"
    TEAM_MEMBER_REMOVED = "team_member_removed"
    TEAM_ROLE_CHANGED = "team_role_changed"
    WEBHOOK_CREATED = "webhook_created"
    WEBHOOK_UPDATED = "webhook_updated"
    WEBHOOK_DELETED = "webhook_deleted"
    WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated"  # noqa: S105 # nosec B105 - an action name
    WEBHOOK_DISABLED = "webhook_disabled"


class TargetType(StrEnum):
    USER = "user"
    MODEL = "model"
    VERSION = "version"
    ALIAS = "alias"
    SHARE = "share"
    API_KEY = "api_key"
    TEAM = "team"
    QUOTA = "quota"
    WEBHOOK = "webhook"


@dataclass(frozen=True, slots=True)
class RequestOrigin:
    address: str | None
    request_id: str | None


_origin: ContextVar[RequestOrigin | None] = ContextVar("audit_origin", default=None)


@contextlib.contextmanager
def request_origin(*, address: str | None, request_id: str | None) -> Iterator[None]:
    """Make every entry recorded inside the block carry this address and request id."""
    token = _origin.set(RequestOrigin(address=address, request_id=request_id))
    try:
        yield
    finally:
        # A subscription's stream may be closed from another task than the one that opened it.
        try:
            _origin.reset(token)
        except ValueError:
            _origin.set(None)


def current_origin() -> RequestOrigin | None:
    return _origin.get()


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted, when it is not (yet) a ``Caller``: a login that just started its session."""

    id: uuid.UUID
    label: str | None = None
    method: str | None = None
    credential_id: uuid.UUID | None = None

    @classmethod
    def of(cls, caller: Caller) -> Actor:
        return cls(
            id=caller.user_id,
            method=caller.method.value,
            credential_id=caller.key_id if caller.via_key else caller.session_id,
        )

    @classmethod
    def session_of(cls, user: tables.User, session_id: uuid.UUID) -> Actor:
        return cls(id=user.id, label=user.username, method="session", credential_id=session_id)


@dataclass(frozen=True, slots=True)
class AuditTarget:
    """What an entry is about. ``model_id`` (and its owner) is set for a model's own entries."""

    type: TargetType
    id: str | None = None
    label: str | None = None
    model_id: uuid.UUID | None = None
    model_owner_id: uuid.UUID | None = None

    @classmethod
    def user(cls, user: tables.User) -> AuditTarget:
        return cls(TargetType.USER, str(user.id), user.username)

    @classmethod
    def user_id(cls, user_id: uuid.UUID, label: str | None = None) -> AuditTarget:
        return cls(TargetType.USER, str(user_id), label)

    @classmethod
    def model(cls, model: tables.Model) -> AuditTarget:
        # A deleted model's name carries a "~deleted~<hex>" suffix; the log keeps the name.
        name = model.name.partition("~deleted~")[0]
        return cls(TargetType.MODEL, str(model.id), name, model.id, _personal_owner(model))

    @classmethod
    def version(cls, version: tables.ModelVersion) -> AuditTarget:
        """The owner is looked up by ``record`` (a version row does not carry it)."""
        return cls(TargetType.VERSION, str(version.id), f"v{version.number}", version.model_id)

    @classmethod
    def alias(cls, model: tables.Model, name: str) -> AuditTarget:
        return cls(TargetType.ALIAS, name, name, model.id, _personal_owner(model))

    @classmethod
    def share(
        cls, model: tables.Model, *, user: tables.User | None = None, username: str | None = None
    ) -> AuditTarget:
        """A share of ``model``, named by its grantee (the row or just the username given)."""
        return cls(
            TargetType.SHARE,
            str(user.id) if user else None,
            user.username if user else username,
            model.id,
            _personal_owner(model),
        )


def _personal_owner(model: tables.Model) -> uuid.UUID | None:
    """Who reads a model's entries as its owner: a personal model's owner; a team's model has
    none (its members read them through their role, and lose them with it)."""
    return model.owner_id if model.team_id is None else None


class AuditTrail:
    """Appends entries; there is no update and no delete (a row is evidence)."""

    @staticmethod
    async def record(
        action: AuditAction,
        *,
        actor: Caller | Actor | None,
        target: AuditTarget,
        detail: Mapping[str, Any] | None = None,
    ) -> tables.AuditEntry:
        """Append one entry; call it inside the change's transaction when there is one.

        Args:
            action: what happened, from the catalogue.
            actor: who did it: the caller, an ``Actor`` (a login), or None (anonymous, system).
            target: what it was done to.
            detail: small JSON-able facts (from/to values, counts); never a secret.

        Raises:
            The database's own errors, as the change's own write would.
        """
        origin = _origin.get()
        try:
            fields = await _row(action, actor, target, detail, origin)
        except Exception:
            log.exception("could not assemble an audit entry for %s; writing it bare", action)
            fields = _bare(action, actor, target, origin)
        return await tables.AuditEntry.create(**fields)


async def _row(
    action: AuditAction,
    actor: Caller | Actor | None,
    target: AuditTarget,
    detail: Mapping[str, Any] | None,
    origin: RequestOrigin | None,
) -> dict[str, Any]:
    fields = _bare(action, actor, target, origin)
    if actor is not None and fields["actor_label"] is None:
        fields["actor_label"] = await _username(fields["actor_id"])
    if target.model_id is not None and target.model_owner_id is None:
        model = await tables.Model.get_or_none(id=target.model_id)
        fields["model_owner_id"] = _personal_owner(model) if model is not None else None
    fields["detail"] = _json_safe(detail or {})
    return fields


def _bare(
    action: AuditAction,
    actor: Caller | Actor | None,
    target: AuditTarget,
    origin: RequestOrigin | None,
) -> dict[str, Any]:
    if actor is not None and not isinstance(actor, Actor):
        actor = Actor.of(actor)
    return {
        "id": uuid.uuid4(),
        "created_at": datetime.now(UTC),
        "action": AuditAction(action).value,
        "actor_id": actor.id if actor else None,
        "actor_label": _cut(actor.label, 64) if actor else None,
        "actor_method": _cut(actor.method, 16) if actor else None,
        "actor_credential_id": actor.credential_id if actor else None,
        "target_type": TargetType(target.type).value,
        "target_id": _cut(target.id, 64),
        "target_label": _cut(target.label, 128),
        "model_id": target.model_id,
        "model_owner_id": target.model_owner_id,
        "address": _cut(origin.address, 64) if origin else None,
        "request_id": _cut(origin.request_id, 64) if origin else None,
        "detail": {},
    }


async def _username(user_id: uuid.UUID) -> str | None:
    return await tables.User.filter(id=user_id).first().values_list("username", flat=True)


def _cut(value: object, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]


def _json_safe(detail: Mapping[str, Any]) -> dict[str, Any]:
    """``detail`` as JSON would read it back; text in its place when it will not serialise."""
    text = json.dumps(dict(detail), default=str, ensure_ascii=False)
    if len(text) > MAX_DETAIL_CHARS:
        return {"truncated": text[:MAX_DETAIL_CHARS]}
    return json.loads(text)
