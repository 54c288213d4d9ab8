"""Loaded models: a bounded in-process LRU over a Redis cache of artifact bytes.

A miss reads the serving bytes from Redis (shared by replicas) or the artifact store, loads them
off the event loop, and keeps the result in an LRU bounded by estimated bytes and by count.
Loads are single-flight: concurrent first requests for one version wait for one load.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from storage.artifacts import ArtifactStore

log = logging.getLogger("modelserve.inference")

Loader = Callable[[bytes, str], Any]


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """Which bytes to load for a version, and how."""

    version_id: uuid.UUID
    key: str
    format: str
    runtime: str  # "sklearn" or "onnx"


@dataclass(slots=True)
class LoadedModel:
    version_id: uuid.UUID
    runtime: str
    model: Any
    size_bytes: int
    classes: list[Any] | None
    has_proba: bool


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    loads: int = 0
    evictions: int = 0
    redis_hits: int = 0
    redis_errors: int = 0
    listeners: list[Callable[[str, int], None]] = field(default_factory=list)

    def bump(self, name: str, amount: int = 1) -> None:
        setattr(self, name, getattr(self, name) + amount)
        for listener in self.listeners:
            listener(name, amount)


def estimate_size(obj: Any, raw_bytes: int) -> int:
    """Bytes a loaded model holds: numpy buffers found by walking attributes, at least the file."""
    seen: set[int] = set()
    total = 0
    stack = [obj]
    while stack and len(seen) < 200_000:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            total += item.nbytes
            if item.dtype == object:
                stack.extend(item.ravel().tolist())
            continue
        if isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
            continue
        if isinstance(item, dict):
            stack.extend(item.values())
            continue
        state = getattr(item, "__dict__", None)
        if state is not None:
            stack.extend(state.values())
        getstate = getattr(type(item), "__getstate__", None)
        if getstate is not None and type(item).__module__.startswith("sklearn.tree"):
            # Tree internals live in C structures; __getstate__ exposes them as arrays.
            try:
                stack.append(item.__getstate__())
            except Exception:  # noqa: S112 # nosec B112 - an estimate may skip what it cannot read
                continue
        total += sys.getsizeof(item, 64)
    return max(total, raw_bytes)


class ModelCache:
    def __init__(
        self,
        *,
        store: ArtifactStore,
        load: Loader,
        executor: Executor,
        max_bytes: int,
        max_models: int,
        redis: Any | None = None,
        redis_max_bytes: int = 64 << 20,
        redis_ttl_s: int = 86400,
    ) -> None:
        self.store = store
        self._load = load
        self._executor = executor
        self.max_bytes = max_bytes
        self.max_models = max_models
        self._redis = redis
        self._redis_max_bytes = redis_max_bytes
        self._redis_ttl_s = redis_ttl_s
        self._entries: OrderedDict[tuple[uuid.UUID, str], LoadedModel] = OrderedDict()
        self._loading: dict[tuple[uuid.UUID, str], asyncio.Task[LoadedModel]] = {}
        self.bytes = 0
        self.stats = CacheStats()
        self.on_evict: list[Callable[[uuid.UUID, str], None]] = []

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, ref: ArtifactRef) -> LoadedModel:
        key = (ref.version_id, ref.runtime)
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            self.stats.bump("hits")
            return entry
        self.stats.bump("misses")
        task = self._loading.get(key)
        if task is None:
            # The load runs in its own task: a caller that gives up (timeout, disconnect)
            # does not abort it for the others waiting on it.
            task = asyncio.create_task(self._load_and_insert(key, ref), name=f"load {key[0]}")
            self._loading[key] = task
            task.add_done_callback(lambda t, key=key: self._load_done(key, t))
        return await asyncio.shield(task)

    def _load_done(self, key: tuple[uuid.UUID, str], task: asyncio.Task[LoadedModel]) -> None:
        self._loading.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here, so a load nobody awaits any more is not "lost"

    async def _load_and_insert(self, key: tuple[uuid.UUID, str], ref: ArtifactRef) -> LoadedModel:
        loaded = await self._load_entry(ref)
        self._insert(key, loaded)
        return loaded

    async def _load_entry(self, ref: ArtifactRef) -> LoadedModel:
        data = await self._fetch_bytes(ref.key)
        loop = asyncio.get_running_loop()
        model = await loop.run_in_executor(self._executor, self._load, data, ref.format)
        size = await loop.run_in_executor(self._executor, estimate_size, model, len(data))
        self.stats.bump("loads")
        classes = getattr(model, "classes_", None)
        return LoadedModel(
            version_id=ref.version_id,
            runtime=ref.runtime,
            model=model,
            size_bytes=size,
            classes=None if classes is None else np.asarray(classes).tolist(),
            has_proba=callable(getattr(model, "predict_proba", None)),
        )

    async def _fetch_bytes(self, key: str) -> bytes:
        redis_key = f"modelserve:artifact:{key}"
        if self._redis is not None:
            try:
                cached = await self._redis.get(redis_key)
                if cached is not None:
                    self.stats.bump("redis_hits")
                    return bytes(cached)
            except Exception as exc:
                self.stats.bump("redis_errors")
                log.warning("redis artifact cache unavailable: %s", exc)
        data = await self.store.get_bytes(key)
        if self._redis is not None and len(data) <= self._redis_max_bytes:
            try:
                # Keys are content hashes, so a cached copy can never be stale.
                await self._redis.set(redis_key, data, ex=self._redis_ttl_s)
            except Exception as exc:
                self.stats.bump("redis_errors")
                log.warning("redis artifact cache unavailable: %s", exc)
        return data

    def _insert(self, key: tuple[uuid.UUID, str], loaded: LoadedModel) -> None:
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.bytes -= previous.size_bytes
        self._entries[key] = loaded
        self.bytes += loaded.size_bytes
        while len(self._entries) > 1 and (
            self.bytes > self.max_bytes or len(self._entries) > self.max_models
        ):
            (version_id, runtime), evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size_bytes
            self.stats.bump("evictions")
            for listener in self.on_evict:
                listener(version_id, runtime)

    def drop(self, version_ids: set[uuid.UUID]) -> int:
        """Forget loaded models of these versions; the next request loads them afresh."""
        dropped = 0
        for key in [k for k in self._entries if k[0] in version_ids]:
            self.bytes -= self._entries.pop(key).size_bytes
            dropped += 1
        return dropped

    def cached_versions(self) -> list[LoadedModel]:
        return list(self._entries.values())
