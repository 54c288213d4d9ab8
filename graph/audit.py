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
from graph.pagination import Connection, Edge, PageInfo, decode_cursor, encode_cursor, page_size
from storage import tables

AuditAction = strawberry.enum(
    audit.AuditAction, name="AuditAction", description="What an audit entry records."
)
AuditTargetType = strawberry.enum(
    audit.TargetType, name="AuditTargetType", description="What kind of thing an entry is about."
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
    id: strawberry.ID
    username: str | None = strawberry.field(description="As it was at the time.")
    method: str | None = strawberry.field(description="How they authenticated: session, api_key.")
    credential_id: strawberry.ID | None = strawberry.field(
        description="The id of the session or API key used."
    )


@strawberry.type(description="What a change was made to.")
class AuditEntryTarget:
    type: AuditTargetType  # type: ignore[valid-type]
    id: str | None = strawberry.field(
        description="A user's, model's, version's or key's id; an alias's name."
    )
    label: str | None = strawberry.field(
        description="A readable name (username, model name, v3, alias), as it was at the time."
    )


@strawberry.type(description="One security-relevant change, recorded when it was made.")
class AuditEntry:
    id: strawberry.ID
    action: AuditAction  # type: ignore[valid-type]
    created_at: datetime
    actor: AuditActor | None = strawberry.field(
        description="Null for an anonymous attempt (a failed login) or the server itself."
    )
    target: AuditEntryTarget
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
    action: AuditAction | None = None  # type: ignore[valid-type]
    actor_id: strawberry.ID | None = None
    target_type: AuditTargetType | None = None  # type: ignore[valid-type]
    target_id: str | None = strawberry.field(default=None, description="At most 64 characters.")
    model_id: strawberry.ID | None = None
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


async def model_audit_log(
    root: Any, info: Info, first: FirstArg = None, after: str | None = None
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
        filter: AuditLogFilter | None = None,
        first: FirstArg = None,
        after: str | None = None,
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
    async def audit_entry(self, info: Info, id: strawberry.ID) -> AuditEntry | None:
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
