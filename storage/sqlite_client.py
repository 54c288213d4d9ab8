"""Tortoise's SQLite client, with a transaction whose start is safe to cancel.

SQLite has one connection, guarded by one lock. Tortoise 1.1's transaction context takes that
lock, then awaits ``BEGIN`` on the connection's thread, and releases it only in ``__aexit__``.
A task cancelled during that await (a batch job stopped at shutdown, a request whose client
left) raises out of ``__aenter__``, so ``__aexit__`` never runs: the lock stays held and every
later query of the process waits for ever. Here a failed start rolls back whatever did begin
and releases the lock. Named as the engine in :func:`storage.db.tortoise_config`.
"""

from __future__ import annotations

import contextlib

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections


class CancelSafeTransactionContext(SqliteTransactionContext):
    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        token = None
        try:
            await self.ensure_connection()
            token = self.token = get_connections().set(self.connection_name, self.connection)
            await self.connection.begin()
        except BaseException:
            # BEGIN may still run on the connection's thread after the await was cancelled:
            # the rollback queues behind it there, so no transaction is left open.
            if self.connection._connection is not None:
                with contextlib.suppress(Exception):
                    await self.connection._connection.rollback()
            if token is not None:
                get_connections().reset(token)
            self._trxlock.release()
            raise
        return self.connection


class CancelSafeSqliteClient(SqliteClient):
    def _in_transaction(self) -> CancelSafeTransactionContext:
        return CancelSafeTransactionContext(SqliteTransactionWrapper(self), self._lock)


client_class = CancelSafeSqliteClient
