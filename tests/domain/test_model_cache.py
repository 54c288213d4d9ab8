"""The model cache: LRU by bytes and count, single-flight, Redis bytes cache and its outage."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from domain.inference.cache import ArtifactRef, ModelCache
from storage.artifacts import LocalArtifactStore
from tests.conftest import TEST_REDIS_URL


class Weights:
    """A stand-in model whose size is its array."""

    def __init__(self, data: bytes) -> None:
        self.coef_ = np.zeros(len(data), dtype=np.uint8)

    def predict(self, rows: Any) -> Any:
        return rows


@pytest.fixture
async def store(tmp_path):
    return LocalArtifactStore(tmp_path / "artifacts")


async def put(store: LocalArtifactStore, size: int) -> ArtifactRef:
    stored = await store.put_bytes(uuid.uuid4().bytes * (size // 16))
    return ArtifactRef(uuid.uuid4(), stored.key, "skops", "sklearn")


def cache_of(store, *, max_bytes: int = 1 << 30, max_models: int = 100, redis=None) -> ModelCache:
    loads: list[bytes] = []

    def load(data: bytes, fmt: str) -> Weights:
        loads.append(data)
        return Weights(data)

    cache = ModelCache(
        store=store,
        load=load,
        executor=ThreadPoolExecutor(2),
        max_bytes=max_bytes,
        max_models=max_models,
        redis=redis,
    )
    cache.loaded = loads  # type: ignore[attr-defined]
    return cache


async def test_least_recently_used_goes_first_when_bytes_run_out(store):
    cache = cache_of(store, max_bytes=25_000)
    a, b, c = [await put(store, 10_000) for _ in range(3)]
    await cache.get(a)
    await cache.get(b)
    await cache.get(a)  # a is now the most recently used
    await cache.get(c)  # 30 KB > 25 KB: b goes
    assert {m.version_id for m in cache.cached_versions()} == {a.version_id, c.version_id}
    assert cache.stats.evictions == 1
    assert cache.bytes <= 25_000
    assert (cache.stats.hits, cache.stats.misses) == (1, 3)


async def test_count_is_bounded_too(store):
    cache = cache_of(store, max_models=2)
    for _ in range(5):
        await cache.get(await put(store, 100))
    assert len(cache) == 2
    assert cache.stats.evictions == 3


async def test_concurrent_misses_load_once(store):
    cache = cache_of(store)
    ref = await put(store, 1000)
    results = await asyncio.gather(*(cache.get(ref) for _ in range(100)))
    assert len({id(r.model) for r in results}) == 1
    assert len(cache.loaded) == 1  # type: ignore[attr-defined]


async def test_drop_forgets_a_version(store):
    cache = cache_of(store)
    ref = await put(store, 1000)
    await cache.get(ref)
    assert cache.drop({ref.version_id}) == 1
    await cache.get(ref)
    assert cache.stats.loads == 2


class BrokenRedis:
    async def get(self, key: str) -> bytes:
        raise ConnectionError("redis is down")

    async def set(self, *args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis is down")


async def test_a_redis_outage_falls_back_to_the_store(store):
    cache = cache_of(store, redis=BrokenRedis())
    ref = await put(store, 1000)
    loaded = await cache.get(ref)
    assert loaded.model.coef_.size == 1000 // 16 * 16
    assert cache.stats.redis_errors == 2


if TEST_REDIS_URL:

    async def test_redis_shares_artifact_bytes_between_replicas(store):
        import redis.asyncio as redis

        client = redis.Redis.from_url(TEST_REDIS_URL)
        try:
            ref = await put(store, 1000)
            first = cache_of(store, redis=client)
            await first.get(ref)
            await store.delete(ref.key)  # the second replica cannot read the store
            second = cache_of(store, redis=client)
            await second.get(ref)
            assert second.stats.redis_hits == 1
        finally:
            await client.aclose()
