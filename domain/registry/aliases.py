"""Aliases: promoting and rolling back by pointing a name at a ready version."""

from __future__ import annotations

import logging
import uuid

from tortoise.transactions import in_transaction

from domain.accounts import Caller
from domain.audit import AuditAction, AuditTarget, AuditTrail
from domain.errors import (
    FieldError,
    NotFound,
    ValidationFailed,
)
from domain.events import ModelEvent, ModelEventKind
from domain.registry import access
from domain.registry.access import Access
from domain.registry.base import RegistryBase, record_alias_change
from domain.registry.rules import (
    ALIAS_RE,
    VersionNotReady,
)
from domain.registry.traffic import EMPTY, clear_policy
from storage import tables

log = logging.getLogger("modelserve.registry")


class Aliases(RegistryBase):
    """Aliases: names pointing at ready versions, with their history."""

    async def set_alias(
        self,
        *,
        caller: Caller,
        model_id: uuid.UUID,
        alias: str,
        version_id: uuid.UUID,
        reason: str = "",
    ) -> tables.Alias:
        """Point ``alias`` at a ready version of the model (promote or roll back); a move
        clears the alias's traffic policy, so the version answers every caller."""
        model = (await access.require_model(caller, model_id, needed=Access.MAINTAINER)).model
        errors: list[FieldError] = []
        if not ALIAS_RE.match(alias):
            errors.append(
                FieldError(
                    ("input", "alias"),
                    "Use 1-64 of a-z, 0-9, '_' or '-', starting with a letter.",
                    "invalid_alias",
                )
            )
        if len(reason) > 500:
            errors.append(FieldError(("input", "reason"), "At most 500 characters.", "too_long"))
        if errors:
            raise ValidationFailed(errors)
        version = await tables.ModelVersion.get_or_none(id=version_id, model_id=model.id)
        if version is None:
            raise NotFound("Model version")
        if version.status != tables.VersionStatus.READY:
            raise VersionNotReady(str(version.status))
        async with in_transaction():
            current = await tables.Alias.get_or_none(model_id=model.id, name=alias)
            previous = current.version_id if current else None
            if current is None:
                current = await tables.Alias.create(
                    model_id=model.id,
                    name=alias,
                    version_id=version.id,
                    updated_by_id=caller.user_id,
                )
            elif previous != version.id:
                current.version_id = version.id
                current.updated_by_id = caller.user_id
                await current.save()
            if previous != version.id:
                cleared = await clear_policy(model.id, alias)
                await tables.AliasEvent.create(
                    model_id=model.id,
                    alias=alias,
                    from_version_id=previous,
                    to_version_id=version.id,
                    actor_id=caller.user_id,
                    reason=reason,
                    traffic=EMPTY if cleared else None,
                )
                detail = {"fromVersionId": previous, "toVersionId": version.id, "reason": reason}
                await AuditTrail.record(
                    AuditAction.ALIAS_MOVED if previous else AuditAction.ALIAS_SET,
                    actor=caller,
                    target=AuditTarget.alias(model, alias),
                    detail={**detail, "trafficCleared": True} if cleared else detail,
                )
                await record_alias_change(
                    model,
                    alias=alias,
                    from_version_id=previous,
                    to_version_id=version.id,
                    caller=caller,
                    reason=reason,
                )
        if previous != version.id:
            await self._event(
                ModelEvent(
                    ModelEventKind.ALIAS_MOVED,
                    model.id,
                    caller.user_id,
                    alias=alias,
                    from_version_id=previous,
                    to_version_id=version.id,
                )
            )
        return current

    async def remove_alias(
        self, *, caller: Caller, model_id: uuid.UUID, alias: str, reason: str = ""
    ) -> bool:
        model = (await access.require_model(caller, model_id, needed=Access.MAINTAINER)).model
        current = await tables.Alias.get_or_none(model_id=model.id, name=alias)
        if current is None:
            return False
        async with in_transaction():
            await tables.AliasEvent.create(
                model_id=model.id,
                alias=alias,
                from_version_id=current.version_id,
                to_version_id=None,
                actor_id=caller.user_id,
                reason=reason[:500],
            )
            await current.delete()
            await clear_policy(model.id, alias)
            await AuditTrail.record(
                AuditAction.ALIAS_REMOVED,
                actor=caller,
                target=AuditTarget.alias(model, alias),
                detail={"fromVersionId": current.version_id, "reason": reason[:500]},
            )
            await record_alias_change(
                model,
                alias=alias,
                from_version_id=current.version_id,
                to_version_id=None,
                caller=caller,
                reason=reason[:500],
            )
        await self._event(
            ModelEvent(
                ModelEventKind.ALIAS_MOVED,
                model.id,
                caller.user_id,
                alias=alias,
                from_version_id=current.version_id,
            )
        )
        return True
