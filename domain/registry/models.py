"""The model catalogue: finding, listing, creating, updating and deleting models."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain import webhooks
from domain.accounts import Caller
from domain.audit import AuditAction, AuditTarget, AuditTrail
from domain.errors import (
    FieldError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from domain.events import ModelEvent, ModelEventKind
from domain.registry import access
from domain.registry.access import Access
from domain.registry.base import RegistryBase, utc_now, webhook_model
from domain.registry.rules import (
    ModelNameTaken,
    check_model_fields,
)
from domain.teams import at_least, role_in_team
from storage import tables

log = logging.getLogger("modelserve.registry")


@dataclass(frozen=True, slots=True)
class ModelFilter:
    name_contains: str | None = None
    owner: str | None = None


class Catalogue(RegistryBase):
    """Models: lookups, loaders' batch lookups, create, update, delete."""

    async def get_model(self, *, caller: Caller, model_id: uuid.UUID) -> tables.Model | None:
        found = await access.find_model(caller, model_id=model_id)
        return found.model if found else None

    async def get_model_by_name(
        self, *, caller: Caller, owner: str, name: str
    ) -> tables.Model | None:
        found = await access.find_model(caller, owner=owner, name=name)
        return found.model if found else None

    async def list_models(
        self,
        *,
        caller: Caller,
        filter: ModelFilter,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[tables.Model]:
        """Visible models, newest first, keyset-paginated."""
        query = tables.Model.filter(access.visible(caller))
        if filter.name_contains:
            query = query.filter(name__icontains=filter.name_contains)
        if filter.owner:
            query = query.filter(namespace=filter.owner.strip().lower())
        if after is not None:
            created, last_id = after
            query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
        return await query.distinct().order_by("-created_at", "-id").limit(limit)

    async def list_model_versions(
        self, *, caller: Caller, limit: int
    ) -> list[tuple[tables.Model, list[tables.ModelVersion]]]:
        """Visible models, newest first, each with its versions (newest first)."""
        models = await self.list_models(
            caller=caller, filter=ModelFilter(), limit=limit, after=None
        )
        versions = await self.get_versions_by_model_ids(model_ids=[m.id for m in models])
        return list(zip(models, versions, strict=True))

    async def get_version(
        self, *, caller: Caller, version_id: uuid.UUID
    ) -> tables.ModelVersion | None:
        version = await tables.ModelVersion.get_or_none(id=version_id).select_related("model")
        if version is None:
            return None
        if await access.access_to(caller, version.model) is None:
            return None
        return version

    async def get_versions_by_ids(
        self, *, ids: list[uuid.UUID]
    ) -> list[tables.ModelVersion | None]:
        found = {v.id: v for v in await tables.ModelVersion.filter(id__in=ids)}
        return [found.get(i) for i in ids]

    async def get_versions_by_model_ids(
        self, *, model_ids: list[uuid.UUID]
    ) -> list[list[tables.ModelVersion]]:
        return await _grouped(tables.ModelVersion, model_ids, "-number")

    async def get_aliases_by_model_ids(
        self, *, model_ids: list[uuid.UUID]
    ) -> list[list[tables.Alias]]:
        return await _grouped(tables.Alias, model_ids, "name")

    async def get_shares_by_model_ids(
        self, *, model_ids: list[uuid.UUID]
    ) -> list[list[tables.Share]]:
        return await _grouped(tables.Share, model_ids, "created_at")

    async def get_alias_events_by_model_ids(
        self, *, model_ids: list[uuid.UUID]
    ) -> list[list[tables.AliasEvent]]:
        return await _grouped(tables.AliasEvent, model_ids, "-created_at")

    async def get_models_by_ids(self, *, ids: list[uuid.UUID]) -> list[tables.Model | None]:
        found = {m.id: m for m in await tables.Model.filter(id__in=ids)}
        return [found.get(i) for i in ids]

    async def create_model(
        self,
        *,
        caller: Caller,
        name: str,
        description: str,
        tags: list[str],
        team: str | None = None,
    ) -> tables.Model:
        """A personal model (``username/name``), or a team's (``team/name``) when ``team`` is
        given: that needs the maintainer role in the team (NotFound for a team the caller is
        not in, as for one that does not exist)."""
        errors = check_model_fields(name=name, description=description, tags=tags)
        if errors:
            raise ValidationFailed(errors)
        team_id = None
        if team is not None:
            found = await tables.Team.get_or_none(name=team.strip().lower())
            role = await role_in_team(user_id=caller.user_id, team_id=found.id) if found else None
            if found is None or (role is None and not caller.is_admin):
                raise NotFound("Team")
            if not caller.is_admin and not at_least(role, tables.TeamRole.MAINTAINER):
                raise Forbidden("You need the maintainer role in this team.")
            namespace, team_id = found.name, found.id
        else:
            namespace = (await tables.User.get(id=caller.user_id)).username
        if await tables.Model.exists(namespace=namespace, name=name, deleted_at=None):
            raise ModelNameTaken(name)
        try:
            return await tables.Model.create(
                owner_id=caller.user_id,
                team_id=team_id,
                namespace=namespace,
                name=name,
                description=description,
                tags=tags,
            )
        except IntegrityError:
            # A deleted model still holds the name until it is purged, or we lost a race.
            raise ModelNameTaken(name) from None

    async def update_model(
        self,
        *,
        caller: Caller,
        model_id: uuid.UUID,
        name: str | None,
        description: str | None,
        tags: list[str] | None,
        log_policy: tables.LogPolicy | None = None,
        prediction_cache_ttl_s: int | None = None,
        clear_prediction_cache: bool = False,
    ) -> tables.Model:
        model, level = await access.require_model(caller, model_id, needed=Access.MAINTAINER)
        errors = check_model_fields(name=name, description=description, tags=tags)
        if prediction_cache_ttl_s is not None and not 1 <= prediction_cache_ttl_s <= 86400:
            errors.append(
                FieldError(
                    ("input", "predictionCacheTtlS"), "Between 1 and 86400 seconds.", "range"
                )
            )
        if errors:
            raise ValidationFailed(errors)
        serving_changed = False
        if log_policy is not None and log_policy != model.log_policy:
            model.log_policy = log_policy
            serving_changed = True
        if prediction_cache_ttl_s is not None or clear_prediction_cache:
            model.prediction_cache_ttl_s = (
                None if clear_prediction_cache else prediction_cache_ttl_s
            )
            serving_changed = True
        if name is not None and name != model.name:
            if level < Access.OWNER:
                raise Forbidden("Only the owner can rename a model.")
            if await tables.Model.exists(namespace=model.namespace, name=name):
                raise ModelNameTaken(name)
            model.name = name
        if description is not None:
            model.description = description
        if tags is not None:
            model.tags = tags
        await model.save()
        if serving_changed:
            await self._event(ModelEvent(ModelEventKind.MODEL_UPDATED, model.id, caller.user_id))
        return model

    async def delete_model(self, *, caller: Caller, model_id: uuid.UUID) -> None:
        """Soft delete: the model disappears at once; its artifacts go with ``purge_deleted``."""
        model, _ = await access.require_model(caller, model_id, needed=Access.OWNER)
        named = webhook_model(model)
        # Free the name for reuse: a deleted model keeps a name no one can type.
        model.name = f"{model.name[:27]}~deleted~{uuid.uuid4().hex}"
        model.deleted_at = utc_now()
        async with in_transaction():
            await model.save(update_fields=["name", "deleted_at", "updated_at"])
            await AuditTrail.record(
                AuditAction.MODEL_DELETED, actor=caller, target=AuditTarget.model(model)
            )
            await webhooks.record(
                webhooks.EventType.MODEL_DELETED,
                model_id=model.id,
                data={"model": named, "actorId": str(caller.user_id)},
            )
        await self._event(ModelEvent(ModelEventKind.MODEL_DELETED, model.id, caller.user_id))


async def _grouped(table: Any, model_ids: list[uuid.UUID], order: str) -> list[list[Any]]:
    """Rows of ``table`` for each model id, in ``order``: one query for any number of models."""
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in await table.filter(model_id__in=model_ids).order_by(order):
        grouped[row.model_id].append(row)
    return [grouped.get(i, []) for i in model_ids]
