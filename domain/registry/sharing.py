"""Sharing a model with other users; every change is a ``ModelEvent`` so caches drop it."""

from __future__ import annotations

import logging
import uuid

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
from domain.registry.base import RegistryBase
from storage import tables

log = logging.getLogger("modelserve.registry")


class Sharing(RegistryBase):
    """Shares: who else may see, predict with or maintain a model."""

    async def share_model(
        self,
        *,
        caller: Caller,
        model_id: uuid.UUID,
        username: str,
        level: tables.ShareLevel,
    ) -> tables.Share:
        model = (await access.require_model(caller, model_id, needed=Access.MAINTAINER)).model
        user = await tables.User.get_or_none(username=username.strip().lower(), is_active=True)
        if user is None:
            raise NotFound("User")
        if user.id == caller.user_id:
            # A share of one's own would outlast the team role or share it was made with.
            raise ValidationFailed(
                [FieldError(("input", "username"), "You cannot share with yourself.", "self")]
            )
        if model.team_id is None and user.id == model.owner_id:
            raise ValidationFailed(
                [FieldError(("input", "username"), "The owner already has full access.", "owner")]
            )
        share, created = await tables.Share.get_or_create(
            model_id=model.id, user_id=user.id, defaults={"level": level}
        )
        if not created and share.level != level:
            share.level = level
            await share.save(update_fields=["level"])
        elif not created:
            return share
        await AuditTrail.record(
            AuditAction.MODEL_SHARED,
            actor=caller,
            target=AuditTarget.share(model, user=user),
            detail={"level": level.value},
        )
        await self._event(
            ModelEvent(
                ModelEventKind.MODEL_SHARED,
                model.id,
                caller.user_id,
                user_id=user.id,
                level=str(level),
            )
        )
        return share

    async def unshare_model(self, *, caller: Caller, model_id: uuid.UUID, username: str) -> bool:
        """Take a user's share away; every replica stops honouring it at once."""
        model = (await access.require_model(caller, model_id, needed=Access.MAINTAINER)).model
        user = await tables.User.get_or_none(username=username.strip().lower())
        if user is None:
            return False
        if not await tables.Share.filter(model_id=model.id, user_id=user.id).delete():
            return False
        await AuditTrail.record(
            AuditAction.MODEL_UNSHARED, actor=caller, target=AuditTarget.share(model, user=user)
        )
        await self._event(
            ModelEvent(ModelEventKind.MODEL_UNSHARED, model.id, caller.user_id, user_id=user.id)
        )
        return True
