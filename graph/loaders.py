"""Per-request DataLoaders; each batch function is one domain call."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from domain.runtime import Services
from storage import tables


@dataclass
class Loaders:
    user_by_id: DataLoader[uuid.UUID, tables.User | None]
    version_by_id: DataLoader[uuid.UUID, tables.ModelVersion | None]
    versions_by_model_id: DataLoader[uuid.UUID, list[tables.ModelVersion]]
    aliases_by_model_id: DataLoader[uuid.UUID, list[tables.Alias]]
    alias_events_by_model_id: DataLoader[uuid.UUID, list[tables.AliasEvent]]
    shares_by_model_id: DataLoader[uuid.UUID, list[tables.Share]]

    @classmethod
    def build(cls, services: Services) -> Loaders:
        accounts = services.accounts
        registry = services.registry

        async def users(ids: list[uuid.UUID]) -> list[tables.User | None]:
            return await accounts.get_users_by_ids(ids=ids)

        async def versions(ids: list[uuid.UUID]) -> list[tables.ModelVersion | None]:
            return await registry.get_versions_by_ids(ids=ids)

        async def versions_of(ids: list[uuid.UUID]) -> list[list[tables.ModelVersion]]:
            return await registry.get_versions_by_model_ids(model_ids=ids)

        async def aliases_of(ids: list[uuid.UUID]) -> list[list[tables.Alias]]:
            return await registry.get_aliases_by_model_ids(model_ids=ids)

        async def alias_events_of(ids: list[uuid.UUID]) -> list[list[tables.AliasEvent]]:
            return await registry.get_alias_events_by_model_ids(model_ids=ids)

        async def shares_of(ids: list[uuid.UUID]) -> list[list[tables.Share]]:
            return await registry.get_shares_by_model_ids(model_ids=ids)

        return cls(
            user_by_id=DataLoader(load_fn=users),
            version_by_id=DataLoader(load_fn=versions),
            versions_by_model_id=DataLoader(load_fn=versions_of),
            aliases_by_model_id=DataLoader(load_fn=aliases_of),
            alias_events_by_model_id=DataLoader(load_fn=alias_events_of),
            shares_by_model_id=DataLoader(load_fn=shares_of),
        )


def forget(loader: DataLoader, key: object) -> None:
    """Drop ``key`` from a loader's cache after a mutation (a no-op when it was never loaded)."""
    with contextlib.suppress(KeyError):
        loader.clear(key)
