"""Pub/sub backends: delivery, isolation, and dropping a subscriber that falls behind."""

from __future__ import annotations

import asyncio
import time

import pytest

from storage.pubsub import InProcessPubSub, PubSubUnavailable, RedisPubSub, SubscriberTooSlow
from tests.conftest import TEST_REDIS_URL

BACKENDS = ["memory", "redis"] if TEST_REDIS_URL else ["memory"]


@pytest.fixture(params=BACKENDS)
async def pubsub(request):
    backend = (
        InProcessPubSub(max_queue=8)
        if request.param == "memory"
        else RedisPubSub(TEST_REDIS_URL, max_queue=8, prefix=f"test:{time.time_ns()}:")
    )
    yield backend
    await backend.close()


async def started(pubsub, channel: str):
    """A subscription whose first message is awaited in a task; returns (iterator, task)."""
    stream = pubsub.subscribe(channel)
    first = asyncio.create_task(anext(stream))
    for _ in range(100):
        if pubsub.subscriber_count:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # Redis: the SUBSCRIBE has reached the server
    return stream, first


async def test_messages_reach_subscribers_of_their_channel_only(pubsub):
    stream, first = await started(pubsub, "a")
    await pubsub.publish("b", {"n": 0})
    await pubsub.publish("a", {"n": 1})
    assert await asyncio.wait_for(first, 5) == {"n": 1}
    await stream.aclose()
    assert pubsub.subscriber_count == 0


async def test_a_slow_subscriber_is_dropped_without_blocking_others(pubsub):
    slow, slow_first = await started(pubsub, "events")
    fast, fast_first = await started(pubsub, "events")
    # The slow subscriber takes its first message (below, via slow_first) and then stops reading.
    received: list[dict] = []

    async def read_fast() -> None:
        received.append(await fast_first)
        async for message in fast:
            received.append(message)
            if len(received) == 50:
                return

    reader = asyncio.create_task(read_fast())
    # A publish that waited for the slow subscriber would never finish: the guard says so.
    async with asyncio.timeout(30):
        for n in range(50):
            await pubsub.publish("events", {"n": n})
            await asyncio.sleep(0.001)  # a reader that reads keeps up
    await asyncio.wait_for(reader, 10)
    assert received == [{"n": n} for n in range(50)]
    assert await slow_first == {"n": 0}
    assert pubsub.subscriber_count == 1  # only the fast one is still registered
    with pytest.raises(SubscriberTooSlow):
        while True:
            await asyncio.wait_for(anext(slow), 5)
    await fast.aclose()


async def test_close_ends_streams_with_an_error(pubsub):
    stream, first = await started(pubsub, "x")
    await pubsub.close()
    with pytest.raises(PubSubUnavailable):
        await asyncio.wait_for(first, 5)
    await stream.aclose()
