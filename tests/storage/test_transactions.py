"""A transaction cancelled as it begins leaves the database usable (storage/sqlite_client.py,
storage/pg_client.py). Before, on SQLite the connection's lock stayed held and every later
query of the process waited for ever (a worker stopped mid-job never exited); on PostgreSQL the
pooled connection never went back, so enough such cancels emptied the pool."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from storage.sqlite_client import CancelSafeSqliteClient
from tests.conftest import TEST_DATABASE_URL

# More than the pool holds (settings.database_pool_max), so one leaked connection each would
# leave the last query without one.
CANCELS = 12


async def test_a_transaction_cancelled_as_it_begins_leaves_the_database_usable(app, monkeypatch):
    client = connections.get("default")
    context = client._in_transaction()
    wrapper = type(getattr(context, "connection", None) or context.client)
    begin = wrapper.begin
    began = asyncio.Event()

    async def begin_then_wait(self):
        await begin(self)
        began.set()
        await asyncio.Event().wait()  # the cancel lands here, BEGIN already sent

    async def transaction() -> None:
        async with in_transaction() as tx:
            await tx.execute_query("select 1")

    monkeypatch.setattr(wrapper, "begin", begin_then_wait)
    for _ in range(CANCELS):
        began.clear()
        task = asyncio.create_task(transaction())
        await began.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    monkeypatch.setattr(wrapper, "begin", begin)

    # A hang guard, not a speed bound: before the fix this waited for ever (SQLite) or failed
    # with PoolExhausted after the acquire deadline (PostgreSQL).
    async with asyncio.timeout(60):
        assert (await client.execute_query("select 1 as one"))[1][0]["one"] == 1
        async with in_transaction() as tx:
            _count, rows = await tx.execute_query("select 2 as two")
        assert rows[0]["two"] == 2
    if TEST_DATABASE_URL:
        pool = client._pool
        assert pool.get_size() - pool.get_idle_size() <= 1


async def test_a_sqlite_transaction_that_reads_then_writes_waits_for_a_neighbours_write(tmp_path):
    """Two processes share the embedded database file (a second server, a worker). A
    transaction that read before the other wrote used to fail at its first write with "database
    is locked", at once; it now holds the write lock from its start and the other waits."""
    path = tmp_path / "shared.db"
    client = CancelSafeSqliteClient(file_path=str(path), connection_name="shared")
    await client.create_connection(with_db=True)
    await client.execute_script("create table t (n integer)")
    neighbour_wrote = threading.Event()

    def neighbour() -> None:  # another process's connection, waiting up to 30 s for the lock
        with contextlib.closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as other:
            other.execute("insert into t values (2)")
        neighbour_wrote.set()

    try:
        async with client._in_transaction() as tx:
            await tx.execute_query("select count(*) from t")
            thread = threading.Thread(target=neighbour)
            thread.start()
            # Long enough for an unhindered neighbour to have written (it did, before the fix).
            await asyncio.to_thread(neighbour_wrote.wait, 1.0)
            await tx.execute_insert("insert into t values (?)", [1])
        await asyncio.to_thread(thread.join, 60)
        assert neighbour_wrote.is_set()
        _count, rows = await client.execute_query("select n from t order by n")
        assert [row["n"] for row in rows] == [1, 2]
    finally:
        await client.close()
