"""Publish/subscribe of small JSON events: in-process, or over Redis so every replica hears all.

Each subscriber owns a bounded queue. A subscriber that falls ``max_queue`` events behind is
dropped (its iterator raises ``SubscriberTooSlow``) so one slow reader never blocks publishers or
the other subscribers. The Redis backend keeps one pub/sub connection per process and fans out
to the local queues, rather than one Redis connection per websocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

import orjson

from storage.redis_guard import RedisCircuit

log = logging.getLogger("modelserve.pubsub")

_CLOSED = object()
QUIET_S = 0.5
PUBLISH_TIMEOUT_S = 2.0
QUIET_PREFIXES = ("predictions:",)


class SubscriberTooSlow(Exception):
    """The subscriber's queue overflowed; it was dropped."""


class PubSubUnavailable(Exception):
    """The shared pub/sub backend went away; subscribers should reconnect."""


class PubSub(Protocol):
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...
    def subscribe(
        self, channel: str, *, subscribed: asyncio.Event | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Messages of ``channel``; ``subscribed`` is set once none published later is missed."""
        ...

    async def ping(self) -> None: ...
    async def close(self) -> None: ...
    @property
    def subscriber_count(self) -> int: ...


class _Subscriber:
    __slots__ = ("failure", "queue")

    def __init__(self, max_queue: int) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=max_queue)
        self.failure: Exception | None = None

    def offer(self, message: Any) -> bool:
        try:
            self.queue.put_nowait(message)
            return True
        except asyncio.QueueFull:
            return False

    def fail(self, error: Exception) -> None:
        self.failure = error
        # Make room so the waiting reader wakes up and sees the failure.
        while not self.offer(_CLOSED):
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()


class _Fanout:
    """Local channel → subscriber registry shared by both backends."""

    def __init__(self, max_queue: int) -> None:
        self._max_queue = max_queue
        self._channels: dict[str, set[_Subscriber]] = defaultdict(set)

    @property
    def subscriber_count(self) -> int:
        return sum(len(subs) for subs in self._channels.values())

    def deliver(self, channel: str, message: dict[str, Any]) -> None:
        for sub in list(self._channels.get(channel, ())):
            if not sub.offer(message):
                log.warning("dropping slow subscriber on %s", channel)
                self._channels[channel].discard(sub)
                sub.fail(SubscriberTooSlow("subscriber fell behind and was dropped"))

    def has_subscribers(self, channel: str) -> bool:
        return bool(self._channels.get(channel))

    def fail_all(self, error: Exception) -> None:
        for subs in self._channels.values():
            for sub in subs:
                sub.fail(error)
        self._channels.clear()

    def add(self, channel: str) -> _Subscriber:
        sub = _Subscriber(self._max_queue)
        self._channels[channel].add(sub)
        return sub

    def remove(self, channel: str, sub: _Subscriber) -> bool:
        """Forget ``sub``; True when ``channel`` has no local subscriber left."""
        subs = self._channels.get(channel)
        if subs is None:
            return True
        subs.discard(sub)
        if not subs:
            del self._channels[channel]
            return True
        return False

    def channels(self) -> list[str]:
        return list(self._channels)


async def _drain(sub: _Subscriber) -> AsyncIterator[dict[str, Any]]:
    while True:
        message = await sub.queue.get()
        if message is _CLOSED:
            assert sub.failure is not None
            raise sub.failure
        yield message


class InProcessPubSub:
    """The embedded default: events reach subscribers of this process only."""

    def __init__(self, *, max_queue: int = 256) -> None:
        self._fanout = _Fanout(max_queue)

    @property
    def subscriber_count(self) -> int:
        return self._fanout.subscriber_count

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        if not self._fanout.has_subscribers(channel):
            return
        # Round-trip through JSON so both backends hand subscribers the same shapes.
        self._fanout.deliver(channel, orjson.loads(orjson.dumps(message, default=str)))

    async def subscribe(
        self, channel: str, *, subscribed: asyncio.Event | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        sub = self._fanout.add(channel)
        if subscribed is not None:
            subscribed.set()
        try:
            async for message in _drain(sub):
                yield message
        finally:
            self._fanout.remove(channel, sub)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._fanout.fail_all(PubSubUnavailable("server shutting down"))


class RedisPubSub:
    """Redis pub/sub shared by replicas; one listener task per process fans out locally."""

    def __init__(
        self,
        url: str,
        *,
        max_queue: int = 256,
        prefix: str = "modelserve:",
        circuit: RedisCircuit | None = None,
    ) -> None:
        import redis.asyncio as redis

        # Publishing and pinging go through the process's circuit; the listener's reads block.
        self._circuit = circuit or RedisCircuit(timeout_s=PUBLISH_TIMEOUT_S, retry_s=1.0)

        self._redis = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=None, health_check_interval=15
        )
        self._prefix = prefix
        self._fanout = _Fanout(max_queue)
        self._pubsub = None
        self._listener: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._quiet: dict[str, float] = {}

    @property
    def subscriber_count(self) -> int:
        return self._fanout.subscriber_count

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        # A high-volume channel nobody listened to a moment ago is skipped for QUIET_S: a
        # busy model's every prediction would otherwise be serialised and sent to no one. A
        # new subscriber to such a channel sees events from at most QUIET_S after it joined.
        quiet_until = self._quiet.get(channel)
        if quiet_until is not None and quiet_until > time.monotonic():
            return
        # The shared client has no read timeout (pub/sub reads block); a publisher must not
        # hang on a Redis that stopped answering.
        data = orjson.dumps(message, default=str)
        receivers = await self._circuit.call(
            lambda: self._redis.publish(self._prefix + channel, data)
        )
        if receivers or not channel.startswith(QUIET_PREFIXES):
            self._quiet.pop(channel, None)
        else:
            if len(self._quiet) > 10_000:
                self._quiet.clear()
            self._quiet[channel] = time.monotonic() + QUIET_S

    async def subscribe(
        self, channel: str, *, subscribed: asyncio.Event | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        sub = self._fanout.add(channel)
        try:
            await self._ensure_listening(channel)
        except Exception as exc:
            self._fanout.remove(channel, sub)
            raise PubSubUnavailable("event stream unavailable") from exc
        if subscribed is not None:
            subscribed.set()
        try:
            async for message in _drain(sub):
                yield message
        finally:
            if self._fanout.remove(channel, sub) and self._pubsub is not None:
                with contextlib.suppress(Exception):
                    await self._pubsub.unsubscribe(self._prefix + channel)

    async def _ensure_listening(self, channel: str) -> None:
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            # Subscribe before the listener reads, so no message published after
            # `subscribe` returns is missed.
            await self._pubsub.subscribe(self._prefix + channel)
            if self._listener is None or self._listener.done():
                self._listener = asyncio.create_task(self._listen(), name="pubsub-listener")

    async def _listen(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        try:
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is None or message.get("type") != "message":
                    continue
                channel = message["channel"].decode()[len(self._prefix) :]
                try:
                    payload = orjson.loads(message["data"])
                except (ValueError, TypeError):
                    log.warning("ignoring malformed event on %s", channel)
                    continue
                self._fanout.deliver(channel, payload)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("redis pub/sub listener stopped: %s", exc)
            self._fanout.fail_all(PubSubUnavailable("event stream interrupted; resubscribe"))
            async with self._lock:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                self._pubsub = None

    async def ping(self) -> None:
        await self._circuit.call(self._redis.ping)

    async def close(self) -> None:
        self._fanout.fail_all(PubSubUnavailable("server shutting down"))
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(BaseException):
                await self._listener
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        await self._redis.aclose()


def pubsub_from_url(
    redis_url: str | None, *, max_queue: int = 256, circuit: RedisCircuit | None = None
) -> PubSub:
    if redis_url:
        return RedisPubSub(redis_url, max_queue=max_queue, circuit=circuit)
    return InProcessPubSub(max_queue=max_queue)
