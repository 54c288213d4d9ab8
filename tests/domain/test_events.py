"""The event catalogue and the emitter: messages, local handlers first, other replicas' events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from domain.events import (
    REGISTRY_CHANNEL,
    AccountEvent,
    AccountEventKind,
    Emitter,
    ModelEvent,
    ModelEventKind,
    SessionsChanged,
    model_channel,
)
from storage.pubsub import InProcessPubSub

MODEL, USER, VERSION = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

EVENTS = [
    ModelEvent(ModelEventKind.VERSION_CREATED, MODEL, USER, version_id=VERSION, number=3),
    ModelEvent(ModelEventKind.ALIAS_MOVED, MODEL, USER, alias="production", to_version_id=VERSION),
    ModelEvent(ModelEventKind.MODEL_SHARED, MODEL, USER, user_id=uuid.uuid4(), level="viewer"),
    ModelEvent(ModelEventKind.MODEL_DELETED, MODEL),
    AccountEvent(
        AccountEventKind.SESSION_REVOKED,
        USER,
        USER,
        reason="logout",
        session_ids=(uuid.uuid4(), uuid.uuid4()),
    ),
    AccountEvent(AccountEventKind.LOGIN, USER, USER, ip="10.0.0.1", user_agent="curl"),
    SessionsChanged(session_ids=(uuid.uuid4(),)),
    SessionsChanged(user_id=USER, actor_id=uuid.uuid4()),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_every_event_survives_its_message(event):
    assert type(event).from_message(event.to_message()) == event


async def test_local_handlers_run_before_the_event_is_published():
    # Given an emitter whose handler records what the channel had seen when it ran
    pubsub = InProcessPubSub()
    emitter = Emitter(pubsub)
    subscribed = asyncio.Event()
    stream = pubsub.subscribe(model_channel(MODEL), subscribed=subscribed)
    first = asyncio.ensure_future(anext(stream))
    await subscribed.wait()
    order: list[str] = []
    emitter.on(ModelEvent, lambda e: order.append(f"handler saw published={first.done()}"))

    # When a model event is emitted
    event = ModelEvent(ModelEventKind.MODEL_UPDATED, MODEL, USER)
    await emitter.emit(event)

    # Then the handler ran first, and subscribers get the event's message
    assert order == ["handler saw published=False"]
    assert ModelEvent.from_message(await first) == event
    await stream.aclose()


async def test_other_replicas_events_reach_the_handlers_and_ours_do_not_twice():
    # Given two emitters (two replicas) on one pub/sub, each listening
    pubsub = InProcessPubSub()
    here, there = Emitter(pubsub), Emitter(pubsub)
    seen: dict[str, list[ModelEventKind]] = {"here": [], "there": []}
    saw = {"here": asyncio.Event(), "there": asyncio.Event()}

    def recorder(name: str) -> Callable[[ModelEvent], None]:
        def record(event: ModelEvent) -> None:
            seen[name].append(event.kind)
            saw[name].set()

        return record

    here.on(ModelEvent, recorder("here"))
    there.on(ModelEvent, recorder("there"))
    own: list[ModelEventKind] = []
    there.on(ModelEvent, lambda e: own.append(e.kind), remote=False)
    here.start()
    there.start()
    try:
        await asyncio.wait_for(asyncio.gather(here.ready.wait(), there.ready.wait()), 5)

        # When each replica emits, one after the other
        await here.emit(ModelEvent(ModelEventKind.MODEL_UNSHARED, MODEL, USER, user_id=USER))
        await asyncio.wait_for(saw["there"].wait(), 5)
        saw["here"].clear()
        await there.emit(ModelEvent(ModelEventKind.MODEL_UPDATED, MODEL, USER))
        # Its message reaches `here` after `here`'s own (one queue, in order).
        await asyncio.wait_for(saw["here"].wait(), 5)

        # Then each handler saw each event once, its own included
        both = [ModelEventKind.MODEL_UNSHARED, ModelEventKind.MODEL_UPDATED]
        assert seen == {"here": both, "there": both}
        assert own == [ModelEventKind.MODEL_UPDATED]  # a local-only handler: its replica's own
    finally:
        await here.close()
        await there.close()


async def test_a_failing_handler_fails_neither_the_change_nor_the_others(caplog):
    emitter = Emitter(InProcessPubSub())
    calls: list[str] = []

    def broken(event: ModelEvent) -> None:
        raise RuntimeError("boom")

    async def fine(event: ModelEvent) -> None:
        calls.append("fine")

    emitter.on(ModelEvent, broken)
    emitter.on(ModelEvent, fine)
    await emitter.emit(ModelEvent(ModelEventKind.MODEL_UPDATED, MODEL))
    assert calls == ["fine"]
    assert "handler of ModelEvent failed" in caplog.text


def test_model_events_go_to_the_model_and_to_every_replica():
    event = ModelEvent(ModelEventKind.VERSION_ARCHIVED, MODEL, version_id=VERSION)
    assert event.channels == (f"model:{MODEL}", REGISTRY_CHANNEL)
