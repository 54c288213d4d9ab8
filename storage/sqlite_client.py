"""Tortoise's SQLite client, with transactions that take the write lock when they begin and
whose start is safe to cancel.

Tortoise begins a deferred transaction: it reads from a snapshot and asks for the write lock
only at its first write. If another process (a second server, a worker sharing the file) wrote
in between, SQLite cannot move the snapshot and refuses at once with "database is locked",
without waiting its busy timeout: a mutation that reads, then writes, failed whenever a
neighbour wrote at the same moment. ``BEGIN IMMEDIATE`` takes the write lock at the start,
waiting for it within the busy timeout, so such transactions queue instead of failing.

SQLite has one connection, guarded by one lock. Tortoise 1.1's transaction context takes that
lock, then awaits ``BEGIN`` on the connection's thread, and releases it only in ``__aexit__``.
A task cancelled during that await (a batch job stopped at shutdown, a request whose client
left) raises out of ``__aenter__``, so ``__aexit__`` never runs: the lock stays held and every
later query of the process waits for ever. Here a failed start rolls back whatever did begin
and releases the lock. Named as the engine in :func:`storage.db.tortoise_config`.
"""

from __future__ import annotations

import contextlib
import sqlite3

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


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
        return CancelSafeTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = CancelSafeSqliteClient
