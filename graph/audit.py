"""The audit log in the schema: entries, the administrators' log, a model's own entries."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON

from domain import audit
from domain.audit.log import AuditFilter
from domain.errors import FieldError, ValidationFailed
from graph.context import Info, IsAdmin, IsAuthenticated
from graph.enums import described_enum
from graph.pagination import (
    AFTER,
    Connection,
    Edge,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_size,
)
from storage import tables

AuditAction = described_enum(
    audit.AuditAction,
    name="AuditAction",
    description="What an audit entry records.",
    values={
        "LOGIN_SUCCEEDED": "A user logged in.",
        "LOGIN_FAILED": "A login was refused (wrong password, unknown email, deactivated user).",
        "LOGOUT": "A user ended a session.",
        "PASSWORD_CHANGED": "A user changed their password.",  # nosec B105 - a description
        "SESSIONS_REVOKED": "An administrator (or a refresh-token reuse) ended a user's sessions.",
        "ROLE_CHANGED": "An administrator changed a user's role.",
        "USER_DEACTIVATED": "An administrator deactivated a user.",
        "USER_REACTIVATED": "An administrator reactivated a user.",
        "KEY_CREATED": "An API key was created.",
        "KEY_REVOKED": "An API key was revoked.",
        "MODEL_SHARED": "A model was shared with a user, or a share's level changed.",
        "MODEL_UNSHARED": "A user's access to a model was taken away.",
        "ALIAS_SET": "An alias was created.",
        "ALIAS_MOVED": "An alias moved to another version.",
        "ALIAS_REMOVED": "An alias was removed.",
        "ALIAS_TRAFFIC_SET": "An alias's traffic policy (split, shadows) was set or cleared.",
        "VERSION_ARCHIVED": "A version was archived.",
        "MODEL_DELETED": "A model was deleted.",
        "QUOTA_CHANGED": "A model's quota or a user's limits changed.",
        "TEAM_CREATED": "A team was created.",
        "TEAM_DELETED": "A team was deleted.",
        "TEAM_MEMBER_ADDED": "A user joined a team (or was invited to).",
        "TEAM_MEMBER_REMOVED": "A member left or was removed from a team.",
        "TEAM_ROLE_CHANGED": "A member's role in a team changed.",
        "WEBHOOK_CREATED": "A webhook endpoint was created.",
        "WEBHOOK_UPDATED": "A webhook endpoint was changed.",
        "WEBHOOK_DELETED": "A webhook endpoint was deleted.",
        "WEBHOOK_SECRET_ROTATED": "A webhook endpoint's signing secret was rotated.",  # nosec B105 - a description
        "WEBHOOK_DISABLED": "A webhook endpoint was disabled after failing too long.",
    },
)
AuditTargetType = described_enum(
    audit.TargetType,
    name="AuditTargetType",
    description="What kind of thing an entry is about.",
    values={
        "USER": "A user account.",
        "MODEL": "A model.",
        "VERSION": "A model version.",
        "ALIAS": "An alias of a model (its id is the alias's name).",
        "SHARE": "A model's share with a user.",
        "API_KEY": "An API key.",
        "TEAM": "A team or its membership.",
        "QUOTA": "A model's quota or a user's limits.",
        "WEBHOOK": "A webhook endpoint.",
    },
)


class RecordOrigin(SchemaExtension):
    """Every audit entry an operation records carries its client address and request id."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if context is None:
            yield
            return
        with audit.request_origin(address=context.client_ip, request_id=context.request_id):
            yield


@strawberry.type(description="Who made a change.")
class AuditActor:
    id: strawberry.ID = strawberry.field(description="The user's id.")
    username: str | None = strawberry.field(description="As it was at the time.")
    method: str | None = strawberry.field(description="How they authenticated: session, api_key.")
    credential_id: strawberry.ID | None = strawberry.field(
        description="The id of the session or API key used."
    )


@strawberry.type(description="What a change was made to.")
class AuditEntryTarget:
    type: AuditTargetType = strawberry.field(description="Its kind.")  # type: ignore[valid-type]
    id: str | None = strawberry.field(
        description="A user's, model's, version's or key's id; an alias's name."
    )
    label: str | None = strawberry.field(
        description="A readable name (username, model name, v3, alias), as it was at the time."
    )


@strawberry.type(description="One security-relevant change, recorded when it was made.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    action: AuditAction = strawberry.field(description="What was done.")  # type: ignore[valid-type]
    created_at: datetime = strawberry.field(description="When the change was made (UTC).")
    actor: AuditActor | None = strawberry.field(
        description="Null for an anonymous attempt (a failed login) or the server itself."
    )
    target: AuditEntryTarget = strawberry.field(description="What it was made to.")
    model_id: strawberry.ID | None = strawberry.field(
        description="The model the change concerns, if any (it may since have been deleted)."
    )
    address: str | None = strawberry.field(
        description="The client address; shown to administrators, and to you on your own entries."
    )
    request_id: str | None = strawberry.field(description="The `X-Request-ID` of the request.")
    detail: JSON = strawberry.field(description="Facts of the change: from/to values, counts.")

    @classmethod
    def from_table(cls, entry: tables.AuditEntry, *, show_address: bool) -> AuditEntry:
        actor = None
        if entry.actor_id is not None:
            actor = AuditActor(
                id=strawberry.ID(str(entry.actor_id)),
                username=entry.actor_label,
                method=entry.actor_method,
                credential_id=_id_or_none(entry.actor_credential_id),
            )
        return cls(
            id=strawberry.ID(str(entry.id)),
            action=audit.AuditAction(entry.action),
            created_at=entry.created_at,
            actor=actor,
            target=AuditEntryTarget(
                type=audit.TargetType(entry.target_type),
                id=entry.target_id,
                label=entry.target_label,
            ),
            model_id=_id_or_none(entry.model_id),
            address=entry.address if show_address else None,
            request_id=entry.request_id,
            detail=entry.detail,
        )


@strawberry.input(description="Entries matching every field given.")
class AuditLogFilter:
    action: AuditAction | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only this action."
    )
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only changes by this user."
    )
    target_type: AuditTargetType | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only changes to this kind of thing."
    )
    target_id: str | None = strawberry.field(default=None, description="At most 64 characters.")
    model_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only changes concerning this model."
    )
    since: datetime | None = strawberry.field(default=None, description="Inclusive.")
    until: datetime | None = strawberry.field(default=None, description="Exclusive.")

    def to_domain(self) -> AuditFilter:
        errors: list[FieldError] = []
        actor_id = _uuid_field(self.actor_id, "actorId", errors)
        model_id = _uuid_field(self.model_id, "modelId", errors)
        if self.target_id is not None and len(self.target_id) > 64:
            errors.append(FieldError(("filter", "targetId"), "At most 64 characters.", "too_long"))
        if errors:
            raise ValidationFailed(errors)
        return AuditFilter(
            action=self.action,
            actor_id=actor_id,
            target_type=self.target_type,
            target_id=self.target_id,
            model_id=model_id,
            since=self.since,
            until=self.until,
        )


def _uuid_field(raw: str | None, name: str, errors: list[FieldError]) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        errors.append(FieldError(("filter", name), "Not an id from this API.", "invalid_id"))
        return None


def _id_or_none(value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None


async def _connection(
    info: Info, rows: list[tables.AuditEntry], size: int
) -> Connection[AuditEntry]:
    caller = await info.context.require_caller()
    may_see = info.context.services.audit.may_see_address
    edges = [
        Edge(
            cursor=encode_cursor(e.created_at, e.id),
            node=AuditEntry.from_table(e, show_address=may_see(caller, e)),
        )
        for e in rows[:size]
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None
        ),
    )


FirstArg = Annotated[int | None, strawberry.argument(description="1..100, default 20.")]
AfterArg = Annotated[str | None, strawberry.argument(description=AFTER)]


async def model_audit_log(
    root: Any, info: Info, first: FirstArg = None, after: AfterArg = None
) -> Connection[AuditEntry]:
    """``Model.auditLog``: the model's entries, for its owner, maintainers and administrators."""
    size = page_size(first)
    rows = await info.context.services.audit.list_model_entries(
        caller=await info.context.require_caller(),
        model_id=root.model_id,
        limit=size + 1,
        after=decode_cursor(after),
    )
    return await _connection(info, rows, size)


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Every audit entry, newest first (administrators only).",
        permission_classes=[IsAdmin],
    )
    async def audit_log(
        self,
        info: Info,
        filter: Annotated[
            AuditLogFilter | None, strawberry.argument(description="Only entries matching it.")
        ] = None,
        first: FirstArg = None,
        after: AfterArg = None,
    ) -> Connection[AuditEntry]:
        size = page_size(first)
        rows = await info.context.services.audit.list_entries(
            caller=await info.context.require_caller(),
            filter=filter.to_domain() if filter else AuditFilter(),
            limit=size + 1,
            after=decode_cursor(after),
        )
        return await _connection(info, rows, size)

    @strawberry.field(
        description="An audit entry by id; null unless you are an administrator or manage "
        "the model it concerns.",
        permission_classes=[IsAuthenticated],
    )
    async def audit_entry(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The entry's id.")],
    ) -> AuditEntry | None:
        try:
            entry_id = uuid.UUID(id)
        except ValueError:
            return None
        caller = await info.context.require_caller()
        trail = info.context.services.audit
        entry = await trail.get_entry(caller=caller, entry_id=entry_id)
        if entry is None:
            return None
        return AuditEntry.from_table(entry, show_address=trail.may_see_address(caller, entry))
