"""Tortoise's asyncpg client, with a deadline on taking a connection from the pool (F5) and no
reset query when one goes back.

Tortoise awaits ``pool.acquire()`` without a timeout, so a request queued behind an exhausted
pool (a burst larger than the pool, a transaction holding every connection) would wait for as
long as that lasts. Here every acquire waits at most ``acquire_timeout`` seconds, then fails with
:class:`PoolExhausted`, which the API answers as UNAVAILABLE with Retry-After, like an outage.
Named as the engine in :func:`storage.db.tortoise_config`.

Tortoise takes a pooled connection for every query outside a transaction, and asyncpg resets a
returned connection with a statement of its own (advisory unlocks, ``CLOSE ALL``, ``UNLISTEN
*``, ``RESET ALL``): a second round trip for each query. Pooled connections here never take
session state (the migrator's advisory lock has a connection of its own), so only what asyncpg
does before any reset hook stays: an open transaction is rolled back.

Tortoise's transaction takes a pooled connection, then awaits ``BEGIN``; a task cancelled during
that await never reaches ``__aexit__``, so the connection never went back to the pool. Here a
failed start gives it back (storage/sqlite_client.py has the same fault with SQLite's lock).
"""

from __future__ import annotations

from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionalDBClient, TransactionContextPooled
from tortoise.connection import get_connections
from tortoise.exceptions import DBConnectionError

DEFAULT_ACQUIRE_TIMEOUT_S = 5.0


class PoolExhausted(DBConnectionError):
    """No pooled connection came free within the acquire deadline."""


class _DeadlinePool:
    """An asyncpg pool whose ``acquire`` has a deadline; everything else is the pool's."""

    def __init__(self, pool: asyncpg.Pool, deadline_s: float) -> None:
        self._pool = pool
        self._deadline_s = deadline_s

    async def acquire(self) -> asyncpg.Connection:
        try:
            return await self._pool.acquire(timeout=self._deadline_s)
        except TimeoutError:
            raise PoolExhausted(
                f"no database connection came free within {self._deadline_s:g} s "
                f"(pool of {self._pool.get_max_size()})"
            ) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


async def end_transactions_only(_connection: asyncpg.Connection) -> None:
    """The pool's reset: nothing beyond asyncpg's own rollback of an open transaction."""


class CancelSafeTransactionContext(TransactionContextPooled):
    async def __aenter__(self) -> TransactionalDBClient:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        token = None
        try:
            token = self.token = get_connections().set(self.connection_name, self.client)
            await self.client.begin()
        except BaseException:
            if token is not None:
                get_connections().reset(token)
            # asyncpg rolls back (or, mid-query, closes) a connection as it goes back.
            await pool.release(self.client._connection)
            raise
        return self.client


class DeadlineAsyncpgClient(AsyncpgDBClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.acquire_timeout = float(kwargs.pop("acquire_timeout", DEFAULT_ACQUIRE_TIMEOUT_S))
        super().__init__(*args, **kwargs)

    async def create_pool(self, **kwargs: Any) -> Any:
        kwargs.setdefault("reset", end_transactions_only)
        return _DeadlinePool(await super().create_pool(**kwargs), self.acquire_timeout)

    def _in_transaction(self) -> CancelSafeTransactionContext:
        return CancelSafeTransactionContext(TransactionWrapper(self), self._pool_init_lock)


client_class = DeadlineAsyncpgClient
