"""Per-request DataLoaders; each batch function is one domain call."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader

from domain.quotas import ModelQuota
from domain.runtime import Services
from storage import tables


class Loaders:
    """The request's loaders, each made on first use (most requests need few or none)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    @classmethod
    def build(cls, services: Services) -> Loaders:
        return cls(services)

    @staticmethod
    def _loader(batch: Callable[..., Awaitable[list[Any]]], keyword: str) -> DataLoader:
        async def load(keys: list[uuid.UUID]) -> list[Any]:
            return await batch(**{keyword: keys})

        return DataLoader(load_fn=load)

    @cached_property
    def user_by_id(self) -> DataLoader[uuid.UUID, tables.User | None]:
        return self._loader(self._services.accounts.get_users_by_ids, "ids")

    @cached_property
    def version_by_id(self) -> DataLoader[uuid.UUID, tables.ModelVersion | None]:
        return self._loader(self._services.registry.get_versions_by_ids, "ids")

    @cached_property
    def versions_by_model_id(self) -> DataLoader[uuid.UUID, list[tables.ModelVersion]]:
        return self._loader(self._services.registry.get_versions_by_model_ids, "model_ids")

    @cached_property
    def aliases_by_model_id(self) -> DataLoader[uuid.UUID, list[tables.Alias]]:
        return self._loader(self._services.registry.get_aliases_by_model_ids, "model_ids")

    @cached_property
    def alias_events_by_model_id(self) -> DataLoader[uuid.UUID, list[tables.AliasEvent]]:
        return self._loader(self._services.registry.get_alias_events_by_model_ids, "model_ids")

    @cached_property
    def traffic_by_model_id(self) -> DataLoader[uuid.UUID, list[tables.TrafficRoute]]:
        return self._loader(self._services.registry.get_traffic_by_model_ids, "model_ids")

    @cached_property
    def shares_by_model_id(self) -> DataLoader[uuid.UUID, list[tables.Share]]:
        return self._loader(self._services.registry.get_shares_by_model_ids, "model_ids")

    @cached_property
    def quota_by_model_id(self) -> DataLoader[uuid.UUID, ModelQuota | None]:
        return self._loader(self._services.quotas.get_model_quotas_by_ids, "ids")


def forget(loader: DataLoader, key: object) -> None:
    """Drop ``key`` from a loader's cache after a mutation (a no-op when it was never loaded)."""
    with contextlib.suppress(KeyError):
        loader.clear(key)
