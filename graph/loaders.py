"""Per-request DataLoaders; each batch function is one domain call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from domain.runtime import Services
from storage import tables


@dataclass
class Loaders:
    user_by_id: DataLoader[uuid.UUID, tables.User | None]

    @classmethod
    def build(cls, services: Services) -> Loaders:
        async def users(ids: list[uuid.UUID]) -> list[tables.User | None]:
            return await services.accounts.get_users_by_ids(ids=ids)

        return cls(user_by_id=DataLoader(load_fn=users))
