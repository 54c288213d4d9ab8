"""What a caller may do with a model: the one place the rule is written.

A model the caller may not see is ``NotFound``, exactly like an id that does not exist, and
listings leave it out. A caller sees a model when it is live, reachable by the caller (an API
key restricted to other models reaches none of this one) and the caller is an administrator,
its owner, or holds a grant on it: today a share, whose level gives the access. Everything that
asks about access (the registry, inference, analytics, live streams) comes here; a cache of
grants (inference keeps one) caches what ``grants_for`` loads and still decides with ``decide``.

To add a grant kind (team membership: a role on the model's owning team), extend ``Grant``,
load it in ``grants_for`` and filter it in ``visible``; ``decide`` takes the best grant.
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


@dataclass(frozen=True, slots=True)
class Grant:
    """What one user was granted on one model besides ownership."""

    share: tables.ShareLevel | None = None

    @property
    def access(self) -> Access | None:
        return SHARE_ACCESS[self.share] if self.share is not None else None


NO_GRANT = Grant()


class ModelAccess(NamedTuple):
    model: tables.Model
    access: Access


def decide(
    caller: Caller,
    *,
    model_id: uuid.UUID,
    owner_id: uuid.UUID,
    grant: Grant,
    deleted: bool = False,
) -> Access | None:
    """The caller's access to a model, or None when the model must be invisible to it."""
    if deleted or not caller.may_reach(model_id):
        return None
    if caller.is_admin or owner_id == caller.user_id:
        return Access.OWNER
    return grant.access


async def grants_for(caller: Caller, model_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Grant]:
    """The caller's grants on these models, with one query; models without one are absent."""
    if not model_ids:
        return {}
    return {
        share.model_id: Grant(share=tables.ShareLevel(share.level))
        for share in await tables.Share.filter(user_id=caller.user_id, model_id__in=model_ids)
    }


async def access_to(caller: Caller, model: tables.Model) -> Access | None:
    """The caller's access to ``model``; None when it may not see it."""
    [level] = await access_levels(caller, [model])
    return level


async def access_levels(caller: Caller, models: Sequence[tables.Model]) -> list[Access | None]:
    """``access_to`` for many models, with at most one query."""
    # Administrators and owners need no grant: skip the query when no model needs one.
    ask = [m.id for m in models if not caller.is_admin and m.owner_id != caller.user_id]
    grants = await grants_for(caller, ask)
    return [
        decide(
            caller,
            model_id=m.id,
            owner_id=m.owner_id,
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
    """A live model by id, or by owner username and name, with the caller's access to it.

    None when there is no such model or the caller may not see it.
    """
    if model_id is not None:
        model = await tables.Model.get_or_none(id=model_id, deleted_at=None)
    elif owner is not None and name is not None:
        model = await tables.Model.get_or_none(
            owner__username=owner.strip().lower(), name=name, deleted_at=None
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
        query &= Q(owner_id=caller.user_id) | Q(shares__user_id=caller.user_id)
    if caller.model_ids is not None:
        query &= Q(id__in=list(caller.model_ids))
    return query
