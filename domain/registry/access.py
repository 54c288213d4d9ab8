"""What a caller may do with a model: the one place the rule is written.

A model the caller may not see is ``NotFound``, exactly like an id that does not exist, and
listings leave it out. A caller sees a model when it is live, reachable by the caller (an API
key restricted to other models reaches none of this one) and the caller is an administrator,
its owner, or holds a grant on it: a share, or a role in the team that owns it. Everything that
asks about access (the registry, inference, analytics, live streams) comes here; a cache of
grants (inference keeps one) caches what ``grants_for`` loads and still decides with ``decide``.

Grants are shares (a level on one model) and team roles (on every model the team owns); a
team's model has no personal owner, so its creator keeps only what their role gives them.
To add a grant kind, extend ``Grant``, load it in ``grants_for`` and filter it in ``visible``;
``decide`` takes the best grant.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from tortoise.expressions import Q

from domain.accounts import Caller
from domain.errors import Forbidden, NotFound
from storage import tables


class Access(IntEnum):
    """What a caller may do with a model; each level includes the ones below it."""

    VIEWER = 1
    PREDICTOR = 2
    MAINTAINER = 3
    OWNER = 4


SHARE_ACCESS = {
    tables.ShareLevel.VIEWER: Access.VIEWER,
    tables.ShareLevel.PREDICTOR: Access.PREDICTOR,
    tables.ShareLevel.MAINTAINER: Access.MAINTAINER,
}
TEAM_ACCESS = {
    tables.TeamRole.VIEWER: Access.VIEWER,
    tables.TeamRole.PREDICTOR: Access.PREDICTOR,
    tables.TeamRole.MAINTAINER: Access.MAINTAINER,
    tables.TeamRole.ADMIN: Access.OWNER,
}


@dataclass(frozen=True, slots=True)
class Grant:
    """What one user was granted on one model besides ownership: a share, and a role in the
    team that owns the model. The better of the two counts."""

    share: tables.ShareLevel | None = None
    team_role: tables.TeamRole | None = None

    @property
    def access(self) -> Access | None:
        levels = []
        if self.share is not None:
            levels.append(SHARE_ACCESS[self.share])
        if self.team_role is not None:
            levels.append(TEAM_ACCESS[self.team_role])
        return max(levels) if levels else None


NO_GRANT = Grant()


class ModelKey(NamedTuple):
    """What ``grants_for`` needs of a model (a ``tables.Model`` has both)."""

    id: uuid.UUID
    team_id: uuid.UUID | None


class ModelAccess(NamedTuple):
    model: tables.Model
    access: Access


def owns(caller: Caller, *, owner_id: uuid.UUID, team_id: uuid.UUID | None) -> bool:
    """A personal model belongs to its owner; a team's model to no one person (its creator
    keeps only what their role in the team gives them)."""
    return team_id is None and owner_id == caller.user_id


def decide(
    caller: Caller,
    *,
    model_id: uuid.UUID,
    owner_id: uuid.UUID,
    team_id: uuid.UUID | None = None,
    grant: Grant,
    deleted: bool = False,
) -> Access | None:
    """The caller's access to a model, or None when the model must be invisible to it."""
    if deleted or not caller.may_reach(model_id):
        return None
    if caller.is_admin or owns(caller, owner_id=owner_id, team_id=team_id):
        return Access.OWNER
    return grant.access


async def grants_for(
    caller: Caller, models: Sequence[tables.Model | ModelKey]
) -> dict[uuid.UUID, Grant]:
    """The caller's grants on these models, with at most two queries; models without one are
    absent."""
    if not models:
        return {}
    shares = {
        share.model_id: tables.ShareLevel(share.level)
        for share in await tables.Share.filter(
            user_id=caller.user_id, model_id__in=[m.id for m in models]
        )
    }
    team_ids = {m.team_id for m in models if m.team_id is not None}
    roles: dict[uuid.UUID, tables.TeamRole] = {}
    if team_ids:
        roles = {
            member.team_id: tables.TeamRole(member.role)
            for member in await tables.TeamMember.filter(
                user_id=caller.user_id, team_id__in=list(team_ids), joined_at__not_isnull=True
            )
        }
    grants: dict[uuid.UUID, Grant] = {}
    for model in models:
        grant = Grant(
            share=shares.get(model.id),
            team_role=roles.get(model.team_id) if model.team_id is not None else None,
        )
        if grant != NO_GRANT:
            grants[model.id] = grant
    return grants


async def access_to(caller: Caller, model: tables.Model) -> Access | None:
    """The caller's access to ``model``; None when it may not see it."""
    [level] = await access_levels(caller, [model])
    return level


async def access_levels(caller: Caller, models: Sequence[tables.Model]) -> list[Access | None]:
    """``access_to`` for many models, with at most one query."""
    # Administrators and owners need no grant: skip the query when no model needs one.
    ask = [
        m
        for m in models
        if not caller.is_admin and not owns(caller, owner_id=m.owner_id, team_id=m.team_id)
    ]
    grants = await grants_for(caller, ask)
    return [
        decide(
            caller,
            model_id=m.id,
            owner_id=m.owner_id,
            team_id=m.team_id,
            grant=grants.get(m.id, NO_GRANT),
            deleted=m.deleted_at is not None,
        )
        for m in models
    ]


async def find_model(
    caller: Caller,
    *,
    model_id: uuid.UUID | None = None,
    owner: str | None = None,
    name: str | None = None,
) -> ModelAccess | None:
    """A live model by id, or by namespace (owner's username or team name) and name, with
    the caller's access to it.

    None when there is no such model or the caller may not see it.
    """
    if model_id is not None:
        model = await tables.Model.get_or_none(id=model_id, deleted_at=None)
    elif owner is not None and name is not None:
        model = await tables.Model.get_or_none(
            namespace=owner.strip().lower(), name=name, deleted_at=None
        )
    else:
        raise ValueError("find_model needs model_id, or owner and name")
    if model is None:
        return None
    level = await access_to(caller, model)
    return ModelAccess(model, level) if level is not None else None


async def require_model(
    caller: Caller,
    model_id: uuid.UUID,
    *,
    needed: Access = Access.VIEWER,
    hidden_as: str = "Model",
) -> ModelAccess:
    """The model and the caller's access, when that access is at least ``needed``.

    Raises:
        NotFound: no such model, or the caller may not see it (worded as for ``hidden_as``).
        Forbidden: the caller sees the model but has less than ``needed``.
    """
    found = await find_model(caller, model_id=model_id)
    if found is None:
        raise NotFound(hidden_as)
    check(found.access, needed)
    return found


def check(access: Access | None, needed: Access, *, hidden_as: str = "Model") -> Access:
    """``access`` when it is at least ``needed``; NotFound when None, Forbidden when less."""
    if access is None:
        raise NotFound(hidden_as)
    if access < needed:
        raise Forbidden(f"You need {needed.name.lower()} access to this model.")
    return access


def visible(caller: Caller) -> Q:
    """The models a listing may show this caller (use with ``.distinct()``: shares join)."""
    query = Q(deleted_at=None)
    if not caller.is_admin:
        query &= (
            Q(owner_id=caller.user_id, team_id=None)
            | Q(shares__user_id=caller.user_id)
            | Q(team__members__user_id=caller.user_id, team__members__joined_at__not_isnull=True)
        )
    if caller.model_ids is not None:
        query &= Q(id__in=list(caller.model_ids))
    return query
