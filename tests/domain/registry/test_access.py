"""The access rule: owners, administrators, shares, and keys restricted to some models."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import pytest

from domain import analytics
from domain.accounts import Caller
from domain.errors import DomainError, Forbidden, NotFound
from domain.registry import access
from domain.registry.access import Access
from domain.registry.service import ModelFilter
from storage import tables


async def a_user(role: tables.Role = tables.Role.USER) -> tables.User:
    return await tables.User.create(
        email=f"{uuid.uuid4().hex}@example.com",
        username=uuid.uuid4().hex[:12],
        password_hash="x",
        role=role,
    )


async def refused(call: Awaitable[object]) -> tuple[type[DomainError], str]:
    """The domain error ``call`` raises, as (class, message)."""
    try:
        await call
    except DomainError as exc:
        return type(exc), exc.message
    raise AssertionError("not refused")


def caller_of(user: tables.User) -> Caller:
    return Caller.for_session(
        user_id=user.id,
        email=user.email,
        role=tables.Role(user.role),
        session_id=uuid.uuid4(),
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )


@pytest.fixture
async def world(app):
    ada, bob, root = await a_user(), await a_user(), await a_user(tables.Role.ADMIN)
    iris = await tables.Model.create(owner=ada, namespace=ada.username, name="iris")
    wine = await tables.Model.create(owner=ada, namespace=ada.username, name="wine")
    await tables.Share.create(model=iris, user=bob, level=tables.ShareLevel.PREDICTOR)
    return {"ada": ada, "bob": bob, "root": root, "iris": iris, "wine": wine}


async def test_owner_admin_and_share_levels(world):
    models = [world["iris"], world["wine"]]
    assert await access.access_levels(caller_of(world["ada"]), models) == [Access.OWNER] * 2
    assert await access.access_levels(caller_of(world["root"]), models) == [Access.OWNER] * 2
    assert await access.access_levels(caller_of(world["bob"]), models) == [Access.PREDICTOR, None]


async def test_require_model_hides_what_it_does_not_grant(world):
    bob, iris, wine = caller_of(world["bob"]), world["iris"].id, world["wine"].id
    assert (await access.require_model(bob, iris, needed=Access.PREDICTOR)).access is (
        Access.PREDICTOR
    )
    assert await refused(access.require_model(bob, iris, needed=Access.MAINTAINER)) == (
        Forbidden,
        "You need maintainer access to this model.",
    )
    assert await refused(access.require_model(bob, wine)) == (NotFound, "Model not found.")
    assert await refused(access.require_model(bob, wine, hidden_as="Model version")) == (
        NotFound,
        "Model version not found.",
    )


async def test_a_key_restricted_to_one_model_sees_no_other(app, world):
    # Given ada's key reaching iris only
    key = dataclasses.replace(caller_of(world["ada"]), model_ids=frozenset({world["iris"].id}))
    wine = world["wine"].id

    # Then wine is invisible to it everywhere: access, lookups, listings, analytics
    assert await access.access_levels(key, [world["iris"], world["wine"]]) == [Access.OWNER, None]
    assert await access.find_model(key, owner=world["ada"].username, name="wine") is None
    assert await access.find_model(key, model_id=wine) is None
    assert await refused(access.require_model(key, wine)) == (NotFound, "Model not found.")
    listed = await app.state.services.registry.list_models(
        caller=key, filter=ModelFilter(), limit=10, after=None
    )
    assert [m.name for m in listed] == ["iris"]
    now = datetime.now(UTC)
    hour = analytics.model_analytics(
        caller=key, model_id=wine, since=now - timedelta(hours=1), until=now
    )
    assert await refused(hour) == (NotFound, "Model not found.")

    # And an administrator's key restricted the same way is held to it too
    root_key = dataclasses.replace(
        caller_of(world["root"]), model_ids=frozenset({world["iris"].id})
    )
    assert await access.access_to(root_key, world["wine"]) is None


async def test_deleted_models_are_invisible_even_to_their_owner(world):
    world["wine"].deleted_at = datetime.now(UTC)
    await world["wine"].save()
    assert await access.access_to(caller_of(world["ada"]), world["wine"]) is None
    assert await access.find_model(caller_of(world["ada"]), model_id=world["wine"].id) is None
