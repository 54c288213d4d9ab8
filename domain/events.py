"""The event catalogue, and the one emitter every change goes out through.

Each event is a frozen dataclass with one ``to_message`` (the JSON it travels as) and one
``from_message``, and names the channels it is published on. ``Emitter.emit`` runs this
process's handlers first (cache invalidation: nothing local may serve a stale answer once the
change returns), then publishes for other replicas and live streams. The emitter also listens on
the shared channels and hands other replicas' events to the same handlers, so a handler
registered with ``on`` sees every change, wherever it was made.

    ModelEvent      model:<id> and registry   a version, alias, share or the model changed
    AccountEvent    account:<user id>         a login, a revoked session, a password change
    SessionsChanged sessions                  cached callers to forget (revoked, user changed)
    DriftEvent      model:<id> and drift      a version's inputs drifted from its reference
    JobEvent        job:<id>                  a batch job started, progressed or ended

Events carry the acting user's id (``actor_id``) when there is one.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from storage.pubsub import PubSub

log = logging.getLogger("modelserve.events")

REGISTRY_CHANNEL = "registry"
SESSIONS_CHANNEL = "sessions"
DRIFT_CHANNEL = "drift"
# A replica whose stream broke waits this long before subscribing again.
RESUBSCRIBE_S = 1.0


def model_channel(model_id: uuid.UUID) -> str:
    return f"model:{model_id}"


def account_channel(user_id: uuid.UUID) -> str:
    return f"account:{user_id}"


def job_channel(job_id: uuid.UUID) -> str:
    return f"job:{job_id}"


def _now() -> datetime:
    return datetime.now(UTC)


def _id(raw: Any) -> uuid.UUID | None:
    return uuid.UUID(raw) if raw else None


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


class ModelEventKind(StrEnum):
    VERSION_CREATED = "VERSION_CREATED"
    VERSION_ARCHIVED = "VERSION_ARCHIVED"
    VERSION_RESTORED = "VERSION_RESTORED"
    VERSION_RUNTIME_CHANGED = "VERSION_RUNTIME_CHANGED"
    ALIAS_MOVED = "ALIAS_MOVED"  # set, moved, or removed (``to_version_id`` None)
    ALIAS_TRAFFIC_CHANGED = "ALIAS_TRAFFIC_CHANGED"  # ``alias``'s split or shadows changed
    MODEL_UPDATED = "MODEL_UPDATED"
    MODEL_DELETED = "MODEL_DELETED"
    MODEL_SHARED = "MODEL_SHARED"  # a user's share was given or changed (``user_id``, ``level``)
    MODEL_UNSHARED = "MODEL_UNSHARED"  # a user's share was taken away (``user_id``)
    # The owning team's membership changed (``user_id`` joined, left or changed role).
    TEAM_ACCESS_CHANGED = "TEAM_ACCESS_CHANGED"


@dataclass(frozen=True, slots=True)
class ModelEvent:
    kind: ModelEventKind
    model_id: uuid.UUID
    actor_id: uuid.UUID | None = None
    version_id: uuid.UUID | None = None
    number: int | None = None
    alias: str | None = None
    from_version_id: uuid.UUID | None = None
    to_version_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    level: str | None = None
    at: datetime = field(default_factory=_now)

    @property
    def channels(self) -> tuple[str, ...]:
        return (model_channel(self.model_id), REGISTRY_CHANNEL)

    def to_message(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "modelId": str(self.model_id),
            "at": self.at.isoformat(),
            "actorId": _str(self.actor_id),
            "versionId": _str(self.version_id),
            "number": self.number,
            "alias": self.alias,
            "fromVersionId": _str(self.from_version_id),
            "toVersionId": _str(self.to_version_id),
            "userId": _str(self.user_id),
            "level": self.level,
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> ModelEvent:
        return cls(
            kind=ModelEventKind(message["kind"]),
            model_id=uuid.UUID(message["modelId"]),
            at=datetime.fromisoformat(message["at"]),
            actor_id=_id(message.get("actorId")),
            version_id=_id(message.get("versionId")),
            number=message.get("number"),
            alias=message.get("alias"),
            from_version_id=_id(message.get("fromVersionId")),
            to_version_id=_id(message.get("toVersionId")),
            user_id=_id(message.get("userId")),
            level=message.get("level"),
        )


class AccountEventKind(StrEnum):
    LOGIN = "LOGIN"
    SESSION_REVOKED = "SESSION_REVOKED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"  # noqa: S105 # nosec B105 - an event name
    API_KEY_CREATED = "API_KEY_CREATED"
    API_KEY_REVOKED = "API_KEY_REVOKED"
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"  # an endpoint you registered failed too long


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """A security-relevant event on ``user_id``'s account."""

    kind: AccountEventKind
    user_id: uuid.UUID
    actor_id: uuid.UUID | None = None
    ip: str | None = None
    user_agent: str | None = None
    reason: str | None = None
    session_ids: tuple[uuid.UUID, ...] = ()
    at: datetime = field(default_factory=_now)

    @property
    def channels(self) -> tuple[str, ...]:
        return (account_channel(self.user_id),)

    def to_message(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "userId": str(self.user_id),
            "at": self.at.isoformat(),
            "actorId": _str(self.actor_id),
            "ip": self.ip,
            "userAgent": self.user_agent,
            "reason": self.reason,
            "sessions": [str(s) for s in self.session_ids],
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> AccountEvent:
        return cls(
            kind=AccountEventKind(message["kind"]),
            user_id=uuid.UUID(message["userId"]),
            at=datetime.fromisoformat(message["at"]),
            actor_id=_id(message.get("actorId")),
            ip=message.get("ip"),
            user_agent=message.get("userAgent"),
            reason=message.get("reason"),
            session_ids=tuple(uuid.UUID(s) for s in message.get("sessions") or ()),
        )


@dataclass(frozen=True, slots=True)
class SessionsChanged:
    """Cached callers every replica must forget: these sessions and API keys, and every one
    of ``user_id``."""

    session_ids: tuple[uuid.UUID, ...] = ()
    user_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    key_ids: tuple[uuid.UUID, ...] = ()

    @property
    def channels(self) -> tuple[str, ...]:
        return (SESSIONS_CHANNEL,)

    def to_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"actorId": _str(self.actor_id)}
        if self.session_ids:
            message["sessions"] = [str(s) for s in self.session_ids]
        if self.user_id is not None:
            message["user"] = str(self.user_id)
        if self.key_ids:
            message["keys"] = [str(k) for k in self.key_ids]
        return message

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> SessionsChanged:
        return cls(
            session_ids=tuple(uuid.UUID(s) for s in message.get("sessions") or ()),
            user_id=_id(message.get("user")),
            actor_id=_id(message.get("actorId")),
            key_ids=tuple(uuid.UUID(k) for k in message.get("keys") or ()),
        )


DRIFT_DETECTED = "DRIFT_DETECTED"


@dataclass(frozen=True, slots=True)
class DriftEvent:
    """The scheduled check found a version's logged inputs (or predictions) drifted from its
    reference profile: once per episode, when drift is first seen. ``features`` names what
    drifted (``prediction`` for the prediction distribution)."""

    model_id: uuid.UUID
    version_id: uuid.UUID
    number: int
    features: tuple[str, ...]
    rows: int
    since: datetime
    until: datetime
    at: datetime = field(default_factory=_now)

    @property
    def channels(self) -> tuple[str, ...]:
        return (model_channel(self.model_id), DRIFT_CHANNEL)

    def to_message(self) -> dict[str, Any]:
        return {
            "kind": DRIFT_DETECTED,
            "modelId": str(self.model_id),
            "at": self.at.isoformat(),
            "versionId": str(self.version_id),
            "number": self.number,
            "features": list(self.features),
            "rows": self.rows,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> DriftEvent:
        if message.get("kind") != DRIFT_DETECTED:
            raise ValueError("not a drift event")
        return cls(
            model_id=uuid.UUID(message["modelId"]),
            version_id=uuid.UUID(message["versionId"]),
            number=int(message["number"]),
            features=tuple(str(f) for f in message.get("features") or ()),
            rows=int(message["rows"]),
            since=datetime.fromisoformat(message["since"]),
            until=datetime.fromisoformat(message["until"]),
            at=datetime.fromisoformat(message["at"]),
        )


class JobEventKind(StrEnum):
    STARTED = "STARTED"  # a worker took the job (again, after a retry)
    PROGRESS = "PROGRESS"  # a chunk was committed
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class JobEvent:
    """A batch job's progress or end, with its figures at that moment."""

    kind: JobEventKind
    job_id: uuid.UUID
    user_id: uuid.UUID
    model_id: uuid.UUID
    status: str
    rows_done: int = 0
    rows_failed: int = 0
    bytes_done: int = 0
    input_bytes: int = 0
    error: str | None = None
    started_at: datetime | None = None
    at: datetime = field(default_factory=_now)

    @property
    def channels(self) -> tuple[str, ...]:
        return (job_channel(self.job_id),)

    @property
    def ended(self) -> bool:
        return self.kind in {JobEventKind.COMPLETED, JobEventKind.FAILED, JobEventKind.CANCELLED}

    def to_message(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "jobId": str(self.job_id),
            "userId": str(self.user_id),
            "modelId": str(self.model_id),
            "status": self.status,
            "rowsDone": self.rows_done,
            "rowsFailed": self.rows_failed,
            "bytesDone": self.bytes_done,
            "inputBytes": self.input_bytes,
            "error": self.error,
            "startedAt": self.started_at.isoformat() if self.started_at else None,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> JobEvent:
        started = message.get("startedAt")
        return cls(
            kind=JobEventKind(message["kind"]),
            job_id=uuid.UUID(message["jobId"]),
            user_id=uuid.UUID(message["userId"]),
            model_id=uuid.UUID(message["modelId"]),
            status=message["status"],
            rows_done=int(message.get("rowsDone") or 0),
            rows_failed=int(message.get("rowsFailed") or 0),
            bytes_done=int(message.get("bytesDone") or 0),
            input_bytes=int(message.get("inputBytes") or 0),
            error=message.get("error"),
            started_at=datetime.fromisoformat(started) if started else None,
            at=datetime.fromisoformat(message["at"]),
        )


def model_message(message: dict[str, Any]) -> ModelEvent | DriftEvent:
    """An event from a ``model:<id>`` channel, which carries both kinds."""
    if message.get("kind") == DRIFT_DETECTED:
        return DriftEvent.from_message(message)
    return ModelEvent.from_message(message)


Event = ModelEvent | AccountEvent | SessionsChanged | DriftEvent | JobEvent
E = TypeVar("E", ModelEvent, AccountEvent, SessionsChanged, DriftEvent, JobEvent)
Handler = Callable[[E], Awaitable[None] | None]

# The shared channels whose events this replica's handlers also take from other replicas.
RemoteEvent = type[ModelEvent] | type[SessionsChanged] | type[DriftEvent]
REMOTE: dict[str, RemoteEvent] = {
    REGISTRY_CHANNEL: ModelEvent,
    SESSIONS_CHANNEL: SessionsChanged,
    DRIFT_CHANNEL: DriftEvent,
}


class Emitter:
    """Runs local handlers, then publishes; listens for other replicas' events (``start``).

    A handler's failure is logged and never fails the change that emitted the event; nor does
    a pub/sub outage (other replicas' caches then expire on their own short TTLs).
    """

    def __init__(self, pubsub: PubSub) -> None:
        self.pubsub = pubsub
        # (handler, whether it also takes other replicas' events)
        self._handlers: dict[type, list[tuple[Callable[[Any], Any], bool]]] = defaultdict(list)
        self._on_gap: list[Callable[[], None]] = []
        # Our own messages come back over pub/sub; their local handlers already ran.
        self._origin = uuid.uuid4().hex
        self._listening: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = asyncio.Event()

    def on(self, event_type: type[E], handler: Handler[E], *, remote: bool = True) -> None:
        """Call ``handler`` with every ``event_type`` event emitted here and, unless ``remote``
        is False, every one another replica emitted (a cache wants both; a durable record such
        as an audit row wants only its own replica's, so that each change is written once)."""
        self._handlers[event_type].append((handler, remote))

    def on_gap(self, handler: Callable[[], None]) -> None:
        """Call ``handler`` when other replicas' events may have been missed (stream broke)."""
        self._on_gap.append(handler)

    async def emit(self, event: Event) -> None:
        await self._dispatch(event, remote=False)
        message = {**event.to_message(), "origin": self._origin}
        for channel in event.channels:
            try:
                await self.pubsub.publish(channel, message)
            except Exception:
                log.warning("could not publish %s", type(event).__name__, exc_info=True)
                return

    async def _dispatch(self, event: Event, *, remote: bool) -> None:
        for handler, takes_remote in self._handlers.get(type(event), ()):
            if remote and not takes_remote:
                continue
            try:
                outcome = handler(event)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                log.exception("handler of %s failed", type(event).__name__)

    # -- other replicas -------------------------------------------------------------------

    def start(self) -> None:
        """Listen on the shared channels; ``ready`` is set once every one is subscribed."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._listen(channel, kind), name=f"events-{channel}")
                for channel, kind in REMOTE.items()
            ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        self._tasks = []

    async def _listen(self, channel: str, kind: RemoteEvent) -> None:
        while True:
            subscribed = asyncio.Event()
            waiter = asyncio.create_task(self._mark_ready(channel, subscribed))
            try:
                async for message in self.pubsub.subscribe(channel, subscribed=subscribed):
                    if message.get("origin") == self._origin:
                        continue
                    try:
                        event = kind.from_message(message)
                    except (KeyError, TypeError, ValueError):
                        log.warning("ignoring a malformed event on %s", channel)
                        continue
                    await self._dispatch(event, remote=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event stream %s interrupted (%s); caches flushed", channel, exc)
                for handler in self._on_gap:
                    handler()
                await asyncio.sleep(RESUBSCRIBE_S)
            finally:
                waiter.cancel()
                self._listening.discard(channel)
                self.ready.clear()

    async def _mark_ready(self, channel: str, subscribed: asyncio.Event) -> None:
        await subscribed.wait()
        self._listening.add(channel)
        if self._listening == set(REMOTE):
            self.ready.set()
