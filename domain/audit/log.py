"""Reading the audit log: every entry for administrators, a model's own for who manages it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from domain.accounts.caller import Caller
from domain.audit.trail import AuditAction, TargetType
from domain.errors import Forbidden, NotFound
from domain.registry import access
from domain.registry.access import Access
from storage import tables

Cursor = tuple[datetime, uuid.UUID]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Every field given must match; ``since`` is inclusive, ``until`` exclusive."""

    action: AuditAction | None = None
    actor_id: uuid.UUID | None = None
    target_type: TargetType | None = None
    target_id: str | None = None
    model_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditLog:
    """Queries over the log; who may read a model's entries is the access rule's answer."""

    async def list_entries(
        self, *, caller: Caller, filter: AuditFilter, limit: int, after: Cursor | None
    ) -> list[tables.AuditEntry]:
        """Entries newest first, keyset-paginated; administrators only."""
        if not caller.is_admin:
            raise Forbidden("Administrators only.")
        query = tables.AuditEntry.all()
        if caller.model_ids is not None:
            # An administrator's key restricted to some models reads only their entries.
            query = query.filter(model_id__in=list(caller.model_ids))
        if filter.action is not None:
            query = query.filter(action=filter.action.value)
        if filter.actor_id is not None:
            query = query.filter(actor_id=filter.actor_id)
        if filter.target_type is not None:
            query = query.filter(target_type=filter.target_type.value)
        if filter.target_id is not None:
            query = query.filter(target_id=filter.target_id)
        if filter.model_id is not None:
            query = query.filter(model_id=filter.model_id)
        if filter.since is not None:
            query = query.filter(created_at__gte=filter.since)
        if filter.until is not None:
            query = query.filter(created_at__lt=filter.until)
        return await _page(query, limit, after)

    async def list_model_entries(
        self, *, caller: Caller, model_id: uuid.UUID, limit: int, after: Cursor | None
    ) -> list[tables.AuditEntry]:
        """A model's entries, newest first, for its owner, maintainers and administrators.

        Raises:
            NotFound: the caller cannot see the model.
            Forbidden: the caller may see it but not manage it.
        """
        await self._require_manager(caller, model_id)
        return await _page(tables.AuditEntry.filter(model_id=model_id), limit, after)

    async def get_entry(self, *, caller: Caller, entry_id: uuid.UUID) -> tables.AuditEntry | None:
        """One entry, or None when it does not exist or the caller may not read it."""
        entry = await tables.AuditEntry.get_or_none(id=entry_id)
        if entry is None or not await self.may_read(caller, entry):
            return None
        return entry

    async def may_read(self, caller: Caller, entry: tables.AuditEntry) -> bool:
        """Administrators read every entry; others a model's, when they own or manage it.

        The owner recorded at the time keeps reading a model's entries after it is deleted.
        """
        if caller.is_admin:
            return True
        if entry.model_id is None or not caller.may_reach(entry.model_id):
            return False
        if entry.model_owner_id == caller.user_id:
            return True
        try:
            await self._require_manager(caller, entry.model_id)
        except (NotFound, Forbidden):
            return False
        return True

    @staticmethod
    def may_see_address(caller: Caller, entry: tables.AuditEntry) -> bool:
        """An address is personal data: administrators see all, others only their own."""
        return caller.is_admin or entry.actor_id == caller.user_id

    async def _require_manager(self, caller: Caller, model_id: uuid.UUID) -> None:
        found = await access.find_model(caller, model_id=model_id)
        if found is None:
            raise NotFound("Model")
        if found.access < Access.MAINTAINER:
            raise Forbidden("Only the owner and maintainers can read a model's audit log.")


async def _page(
    query: QuerySet[tables.AuditEntry], limit: int, after: Cursor | None
) -> list[tables.AuditEntry]:
    if after is not None:
        created, last_id = after
        query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
    return await query.order_by("-created_at", "-id").limit(limit)
