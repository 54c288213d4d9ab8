"""An optional cache of predictions per row, for models that turn it on.

Keys are the version, the runtime and a SHA-256 of the row's float64 bytes (of its JSON for
rows with strings), so only identical inputs to the same deterministic model share an answer.
Entries live in Redis when configured (shared by replicas), else in a bounded in-process LRU;
either way they expire after the model's TTL. A Redis failure only means a miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from typing import Any

import numpy as np

log = logging.getLogger("modelserve.inference")

Answer = tuple[Any, list[float] | None]


def row_keys(prefix: str, rows: np.ndarray) -> list[str]:
    if rows.dtype == object:
        # Rows with strings: an object array's bytes are pointers, so hash the values instead.
        encoded = [json.dumps(row.tolist(), default=repr).encode() for row in rows]
        return [f"{prefix}:{hashlib.sha256(data).hexdigest()}" for data in encoded]
    return [f"{prefix}:{hashlib.sha256(row.tobytes()).hexdigest()}" for row in rows]


class PredictionCache:
    def __init__(self, *, redis: Any | None = None, max_entries: int = 100_000) -> None:
        self._redis = redis
        self._max_entries = max_entries
        self._local: OrderedDict[str, tuple[float, Answer]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def get_many(self, keys: list[str]) -> list[Answer | None]:
        if self._redis is not None:
            try:
                raw = await self._redis.mget([f"modelserve:prediction:{k}" for k in keys])
                found = [None if r is None else tuple(json.loads(r)) for r in raw]
            except Exception as exc:
                log.warning("prediction cache unavailable: %s", exc)
                found = [None] * len(keys)
        else:
            now = time.monotonic()
            found = []
            for key in keys:
                entry = self._local.get(key)
                if entry is None or entry[0] < now:
                    found.append(None)
                else:
                    self._local.move_to_end(key)
                    found.append(entry[1])
        hits = sum(f is not None for f in found)
        self.hits += hits
        self.misses += len(keys) - hits
        return found  # type: ignore[return-value]

    async def set_many(self, items: dict[str, Answer], ttl_s: int) -> None:
        if self._redis is not None:
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for key, answer in items.items():
                        pipe.set(f"modelserve:prediction:{key}", json.dumps(answer), ex=ttl_s)
                    await pipe.execute()
            except Exception as exc:
                log.warning("prediction cache unavailable: %s", exc)
            return
        expires = time.monotonic() + ttl_s
        for key, answer in items.items():
            self._local[key] = (expires, answer)
            self._local.move_to_end(key)
        while len(self._local) > self._max_entries:
            self._local.popitem(last=False)
