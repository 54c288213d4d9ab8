"""Password hashing with argon2id, off the event loop and with bounded concurrency."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


class PasswordHashing:
    """argon2id hashing in a small thread pool; at most ``concurrency`` hashes run at once.

    Each hash holds ``memory_kib`` of RAM, so the bound is what keeps a burst of logins from
    exhausting memory; waiting callers queue on the semaphore instead of piling up threads.
    """

    def __init__(
        self, *, time_cost: int, memory_kib: int, parallelism: int, concurrency: int
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy_hash: str | None = None

    async def _run(self, fn, *args):  # type: ignore[no-untyped-def]
        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def hash(self, password: str) -> str:
        return await self._run(self._hasher.hash, password)

    async def verify(self, stored_hash: str, password: str) -> bool:
        return await self._run(self._verify_sync, stored_hash, password)

    def _verify_sync(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    async def burn_time(self, password: str) -> None:
        """Verify against a throwaway hash, so an unknown account costs what a known one does."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("dummy-password-for-timing")
        await self.verify(self._dummy_hash, password)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
