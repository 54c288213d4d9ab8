"""Bounded Redis calls: one deadline per request, and a circuit that opens on the first failure.

Redis only speeds things up or shares them between replicas (limits, events, caches); every caller
has a local fallback. So a Redis that stops answering must cost a request at most one timeout:
all Redis calls made for one HTTP request share one budget of waiting time (``request_budget``),
and the first call that times out or cannot connect opens the circuit, so that every call after
it, in any request, fails at once with ``RedisUnavailable`` instead of waiting. After
``retry_s`` one call is let through as a probe; its success closes the circuit.

The budget counts only time spent waiting on Redis, not the request's own work: an upload whose
intake takes seconds still publishes its event afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("modelserve.redis")

T = TypeVar("T")

# Seconds of Redis waiting left to the current request; a one-item list, so that the tasks a
# request starts (which copy the context) draw on the same budget.
_budget: ContextVar[list[float] | None] = ContextVar("redis_budget", default=None)
# What a Redis that is down, paused or unreachable raises (redis-py, limits, the socket).
_OUTAGES = (TimeoutError, RedisTimeoutError, RedisConnectionError, OSError)


class RedisUnavailable(Exception):
    """Redis failed, did not answer in time, or was skipped because it recently did."""


@contextlib.contextmanager
def request_budget(seconds: float) -> Iterator[None]:
    """Make the Redis calls inside share ``seconds`` of waiting between them."""
    token = _budget.set([seconds])
    try:
        yield
    finally:
        _budget.reset(token)


class RedisCircuit:
    """Guards every Redis call of the process; see the module docstring."""

    def __init__(
        self,
        *,
        timeout_s: float,
        retry_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self._clock = clock
        self._open = False
        self._next_probe = 0.0
        # Counters, for /readyz and the fault tests.
        self.attempts = 0
        self.failures = 0
        self.skipped = 0

    @property
    def is_open(self) -> bool:
        return self._open

    async def call(self, command: Callable[[], Awaitable[T]]) -> T:
        """Run ``command()`` within the deadline; ``RedisUnavailable`` if it fails or is skipped."""
        now = self._clock()
        if self._open:
            if now < self._next_probe:
                self.skipped += 1
                raise RedisUnavailable("Redis is unavailable (circuit open)")
            # This call is the probe; the others keep failing fast while it runs.
            self._next_probe = now + self.retry_s
        budget = _budget.get()
        timeout = self.timeout_s if budget is None else min(self.timeout_s, budget[0])
        if timeout <= 0:
            self.skipped += 1
            raise RedisUnavailable("the request's time for Redis is spent")
        self.attempts += 1
        started = self._clock()
        try:
            async with asyncio.timeout(timeout):
                result = await command()
        except _OUTAGES as exc:
            self.failures += 1
            # One line per failed call: at most one per ``retry_s`` while Redis stays down.
            log.warning("redis call failed, skipping Redis for %.1f s: %r", self.retry_s, exc)
            self._open = True
            self._next_probe = self._clock() + self.retry_s
            raise RedisUnavailable(f"Redis is unavailable ({type(exc).__name__})") from exc
        finally:
            if budget is not None:
                budget[0] -= self._clock() - started
        if self._open:
            log.info("redis is answering again")
            self._open = False
        return result


class GuardedRedis:
    """A redis-py asyncio client whose commands go through a ``RedisCircuit``."""

    _COMMANDS = frozenset({"get", "set", "mget", "delete", "exists", "expire", "ping"})

    def __init__(self, client: Any, circuit: RedisCircuit) -> None:
        self._client = client
        self._circuit = circuit

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name not in self._COMMANDS:
            return attr

        async def guarded(*args: Any, **kwargs: Any) -> Any:
            return await self._circuit.call(lambda: attr(*args, **kwargs))

        return guarded

    def pipeline(self, *args: Any, **kwargs: Any) -> _GuardedPipeline:
        return _GuardedPipeline(self._client.pipeline(*args, **kwargs), self._circuit)


class _GuardedPipeline:
    """A pipeline whose ``execute`` (the one round trip) goes through the circuit."""

    def __init__(self, pipeline: Any, circuit: RedisCircuit) -> None:
        self._pipeline = pipeline
        self._circuit = circuit

    async def __aenter__(self) -> _GuardedPipeline:
        await self._pipeline.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._pipeline.__aexit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipeline, name)

    async def execute(self) -> Any:
        return await self._circuit.call(self._pipeline.execute)
