"""storage/pg_client.py: a pooled connection goes back without a reset statement, and an open
transaction on it is still rolled back. PostgreSQL only: the embedded pass has no pool."""

from __future__ import annotations

import asyncpg
from tortoise import connections

from storage import pg_client
from tests.conftest import TEST_DATABASE_URL

if TEST_DATABASE_URL:

    def _dsn() -> str:
        return TEST_DATABASE_URL.replace("postgres://", "postgresql://", 1)

    async def test_the_apps_pool_resets_with_the_transaction_only_hook(app):
        pool = connections.get("default")._pool
        assert pool._pool._reset is pg_client.end_transactions_only

    async def test_a_connection_goes_back_without_a_statement():
        sent: list[str] = []
        pool = await asyncpg.create_pool(
            _dsn(), min_size=1, max_size=1, reset=pg_client.end_transactions_only
        )
        try:
            async with pool.acquire() as conn:
                assert await conn.fetchval("select 1") == 1
                conn.add_query_logger(lambda record: sent.append(record.query))
            # Released: asyncpg's default would have sent its reset query here
            assert sent == []
        finally:
            await pool.close()

    async def test_a_transaction_left_open_is_rolled_back_when_the_connection_goes_back():
        pool = await asyncpg.create_pool(
            _dsn(), min_size=1, max_size=1, reset=pg_client.end_transactions_only
        )
        try:
            async with pool.acquire() as conn:
                await conn.execute("BEGIN")
                await conn.execute("CREATE TEMP TABLE left_open (x int)")
            async with pool.acquire() as again:
                assert not again.is_in_transaction()
                # The table lived only in the rolled-back transaction
                assert await again.fetchval("select to_regclass('pg_temp.left_open')") is None
        finally:
            await pool.close()
