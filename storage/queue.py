"""The queue that runs background work: taskiq, in-process or on a Redis stream.

``memory://`` (the embedded default) uses taskiq's ``InMemoryBroker``: a task runs as a task of
this event loop, scheduled work on timers of this process. ``redis://`` uses taskiq-redis's
stream broker: a task is an entry of one Redis stream read by a consumer group, acknowledged
(and deleted) only once it has run, so a worker that dies leaves it pending and another worker
claims it once its lease has run out. A live worker renews the leases of what it holds, so a
long task is never taken from a worker that is still running it.

Scheduled work runs once per deployment: time is cut into slots of the entry's interval
(aligned on the epoch, so every process agrees without talking), and the process that wins
the slot's lease (``SET NX`` in Redis, a dictionary in process) enqueues it as a task; the
others skip that slot. Running it as a task gives it the same at-least-once delivery.

This is the only module that imports taskiq. It knows the work it runs by shape only
(``TaskSpec``, ``ScheduleSpec``; ``domain/background.py`` declares them) and hands each body
the ``context`` it was started with.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage, AsyncBroker, InMemoryBroker
from taskiq.acks import AcknowledgeType
from taskiq.exceptions import SendTaskError
from taskiq.middlewares import SimpleRetryMiddleware
from taskiq.receiver import Receiver
from taskiq_redis import RedisStreamBroker

log = logging.getLogger("modelserve.queue")

# What a Redis that is down, paused or unreachable raises.
_OUTAGES = (TimeoutError, RedisTimeoutError, RedisConnectionError, OSError)
SCHEDULED_PREFIX = "scheduled:"
# The slot a scheduled run was claimed for (None for a run at a worker's start), as its body
# sees it: a run that starts late is still that slot's.
scheduled_slot: ContextVar[int | None] = ContextVar("scheduled_slot", default=None)


class TaskSpec(Protocol):
    name: str
    run: Callable[..., Awaitable[None]]
    max_attempts: int
    timeout_s: float | None


class ScheduleSpec(Protocol):
    name: str
    every_s: Callable[[Any], float]
    run: Callable[[Any], Awaitable[None]]
    at_start: bool


def _connection_options(config: QueueConfig) -> dict[str, Any]:
    # One retry on a fresh connection: a pooled one may have died with a restarted Redis.
    return {
        "socket_connect_timeout": config.deadline_s,
        "health_check_interval": 10,
        "retry": Retry(NoBackoff(), 1),
        "retry_on_error": [RedisConnectionError],
    }


class QueueUnavailable(Exception):
    """The queue's Redis failed or did not answer in time; the work was not enqueued."""


class UnknownTask(LookupError):
    """No task of that name is declared."""


@dataclass(frozen=True)
class QueueConfig:
    url: str  # memory:// or redis://...
    name: str = "modelserve"
    lease_s: float = 300.0
    max_deliveries: int = 5  # a task whose worker died this often is dropped
    deadline_s: float = 2.0  # what enqueuing may wait on Redis
    concurrency: int = 10
    grace_s: float = 30.0
    default_timeout_s: float | None = None

    @property
    def in_process(self) -> bool:
        return self.url.startswith("memory:")


# How long a stopping worker waits for cancelled tasks' own clean-up (a batch job handing back
# its lease) before it closes its pools.
CANCELLED_CLEAN_UP_S = 15.0

Observer = Callable[[str, str], None]  # (task name, "ok" | "failed" | "abandoned" | "gave_up")


class TaskQueue:
    """Enqueue tasks, run them (``work``) and schedule the periodic ones."""

    def __init__(
        self,
        config: QueueConfig,
        *,
        tasks: Mapping[str, TaskSpec],
        schedule: Mapping[str, ScheduleSpec],
        settings: Any,
        observe: Observer | None = None,
    ) -> None:
        self.config = config
        self._tasks = dict(tasks)
        self._schedule = dict(schedule)
        self._settings = settings
        self._observe = observe or (lambda _name, _outcome: None)
        self._context: Any = None
        self._timers: set[asyncio.Task[None]] = set()
        self._running: set[asyncio.Task[Any]] = set()  # task bodies running in this process
        self._memory_leases: dict[str, float] = {}
        self.broker: AsyncBroker
        if config.in_process:
            self.broker = InMemoryBroker(max_async_tasks=config.concurrency)
            self._redis: Redis | None = None
        else:
            self.broker = _LeasedStreamBroker(
                config.url,
                queue_name=f"{config.name}:tasks",
                consumer_group_name=f"{config.name}:workers",
                consumer_name=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
                lease_ms=int(config.lease_s * 1000),
                # A read blocks up to 2 s; past this a silent connection counts as lost.
                socket_timeout=10.0,
                max_deliveries=config.max_deliveries,
                on_drop=lambda name: self._observe(name, "gave_up"),
                **_connection_options(config),
            )
            self._redis = Redis.from_url(
                config.url, socket_timeout=5.0, **_connection_options(config)
            )
        # Retries for errors only: a task cancelled by a stopping worker is redelivered instead.
        self.broker.add_middlewares(
            SimpleRetryMiddleware(default_retry_label=True, types_of_exceptions=(Exception,))
        )
        for task in self._tasks.values():
            self._register(task.name, self._task_body(task), task.max_attempts, task.timeout_s)
        for entry in self._schedule.values():
            self._register(SCHEDULED_PREFIX + entry.name, self._scheduled_body(entry), 1, None)

    # -- sending ----------------------------------------------------------------------------

    async def send(self, name: str, kwargs: dict[str, Any]) -> None:
        """Hand task ``name`` to a worker; ``QueueUnavailable`` (within the deadline) if not."""
        if name not in self._tasks:
            raise UnknownTask(name)
        await self._kick(name, kwargs)

    async def _kick(self, name: str, kwargs: dict[str, Any]) -> None:
        found = self.broker.find_task(name)
        assert found is not None
        if self.config.in_process and self._context is None:
            raise QueueUnavailable("no worker runs in this process")
        try:
            async with asyncio.timeout(self.config.deadline_s):
                await found.kiq(**kwargs)
        except SendTaskError as exc:
            if not isinstance(exc.__cause__, _OUTAGES):  # e.g. arguments JSON cannot carry
                raise TypeError(f"task {name} cannot be sent: {exc.__cause__!r}") from exc
            raise QueueUnavailable(f"the queue is unavailable ({exc.__cause__!r})") from exc
        except _OUTAGES as exc:
            raise QueueUnavailable(f"the queue is unavailable ({type(exc).__name__})") from exc

    # -- working ----------------------------------------------------------------------------

    def attach(self, context: Any) -> None:
        """Give task bodies ``context`` (the process's services) and start the schedule."""
        self._context = context
        for entry in self._schedule.values():
            timer = asyncio.create_task(self._every(entry), name=f"schedule {entry.name}")
            self._timers.add(timer)
            timer.add_done_callback(self._timers.discard)

    async def work(self, stop: asyncio.Event) -> None:
        """Run tasks until ``stop`` is set, then let running ones finish within the grace period.

        In process (``memory://``) tasks already run as they are sent; this only waits.
        Otherwise a task still running when the grace period ends is left unacknowledged and
        goes to another worker once its lease runs out.
        """
        if self.config.in_process:
            await stop.wait()
            await self._stop_timers()
            await self._drain_in_process()
            return
        assert isinstance(self.broker, _LeasedStreamBroker)
        self.broker.is_worker_process = True
        # The consumer group is declared by the first read that misses it (_next_entries), so
        # a worker started while Redis is down waits for it instead of failing.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="taskiq") as executor:
            receiver = Receiver(
                broker=self.broker,
                executor=executor,
                validate_params=False,
                max_async_tasks=self.config.concurrency,
                max_prefetch=0,
                ack_type=AcknowledgeType.WHEN_EXECUTED,
                wait_tasks_timeout=self.config.grace_s,
            )
            listening = asyncio.create_task(receiver.listen(stop), name="queue-receiver")
            leases = asyncio.create_task(self.broker.keep_leases(), name="queue-leases")
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({listening, stopping}, return_when=asyncio.FIRST_COMPLETED)
            log.info("worker stopping: no new tasks, %.0f s for running ones", self.config.grace_s)
            await self._stop_timers()
            if not listening.done():
                try:
                    # The receiver stops fetching, then waits up to grace_s for running tasks.
                    await asyncio.wait_for(listening, self.config.grace_s + 5)
                except TimeoutError:
                    log.warning("tasks still running after the grace period; left to others")
            # Whatever still runs is abandoned: never acknowledged (taskiq would acknowledge a
            # cancelled task as run), so its lease runs out and another worker takes it. It is
            # cancelled here, while the database is still open, so that its own clean-up (a
            # batch job hands back its lease) runs before the process closes its pools.
            self.broker.abandoned = True
            await self._cancel_running()
            stopping.cancel()
            leases.cancel()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.config.deadline_s * 2):
                    await self.broker.hand_back()
            failed = listening.exception() if listening.done() else None
            if failed is not None and not stop.is_set():
                raise RuntimeError("the queue's receiver stopped") from failed

    async def _cancel_running(self) -> None:
        running = set(self._running)
        if not running:
            return
        log.warning("%d task(s) still running after the grace period; left to others", len(running))
        for task in running:
            task.cancel()
        # Their clean-up may wait on a database busy rolling back the cancelled query.
        _done, stuck = await asyncio.wait(running, timeout=CANCELLED_CLEAN_UP_S)
        if stuck:
            log.warning("%d cancelled task(s) still cleaning up; their leases run out", len(stuck))

    async def _drain_in_process(self) -> None:
        running = getattr(self.broker, "_running_tasks", set())
        if running:
            _done, pending = await asyncio.wait(set(running), timeout=self.config.grace_s)
            for task in pending:
                task.cancel()

    async def _stop_timers(self) -> None:
        # Cancelled again until they end: a cancel that lands as a deadline expires comes out
        # of ``asyncio.timeout`` as a TimeoutError, which a timer takes for an outage.
        while self._timers:
            for timer in list(self._timers):
                timer.cancel()
            await asyncio.wait(list(self._timers), timeout=1.0)

    def _register(
        self, name: str, body: Callable[..., Awaitable[None]], attempts: int, timeout: float | None
    ) -> None:
        labels: dict[str, Any] = {"max_retries": max(attempts, 1)}
        timeout = timeout if timeout is not None else self.config.default_timeout_s
        if timeout is not None:
            labels["timeout"] = timeout
        self.broker.register_task(body, task_name=name, **labels)

    def _task_body(self, task: TaskSpec) -> Callable[..., Awaitable[None]]:
        async def body(**kwargs: Any) -> None:
            await self._observed(task.name, task.run(self._context, **kwargs))

        return body

    def _scheduled_body(self, entry: ScheduleSpec) -> Callable[..., Awaitable[None]]:
        async def body(slot: int | None = None) -> None:
            token = scheduled_slot.set(slot)
            try:
                await self._observed(entry.name, entry.run(self._context))
            finally:
                scheduled_slot.reset(token)

        return body

    async def _observed(self, name: str, work: Awaitable[None]) -> None:
        current = asyncio.current_task()
        if current is not None:
            self._running.add(current)
        try:
            await work
        except asyncio.CancelledError:
            if not getattr(self.broker, "abandoned", False):
                raise
            # Given up by a stopping worker: unacknowledged, it runs again elsewhere.
            self._observe(name, "abandoned")
            log.info("background work %s handed back at shutdown", name)
            return
        except Exception:
            self._observe(name, "failed")
            log.warning("background work %s failed", name, exc_info=True)
            raise
        finally:
            self._running.discard(current)  # type: ignore[arg-type]
        self._observe(name, "ok")

    # -- scheduling -------------------------------------------------------------------------

    async def _every(self, entry: ScheduleSpec) -> None:
        if entry.at_start:
            # Once per start of this process, unleased: it is for what a crash left behind,
            # which a run before the crash in the same slot could not have seen.
            try:
                await self._kick(SCHEDULED_PREFIX + entry.name, {})
            except QueueUnavailable:
                _raise_if_cancelling()
                log.warning("could not schedule %s at start", entry.name, exc_info=True)
        while True:
            every = float(entry.every_s(self._settings))
            # Sleep to the next slot boundary (every process wakes for the same slot).
            await asyncio.sleep(every - (time.time() % every) + 0.01)
            slot = math.floor(time.time() / every)
            try:
                if await self._claim(entry.name, slot, every):
                    await self._kick(SCHEDULED_PREFIX + entry.name, {"slot": slot})
            except asyncio.CancelledError:
                raise
            except Exception:
                _raise_if_cancelling()
                log.warning("could not schedule %s; next slot", entry.name, exc_info=True)

    async def _claim(self, name: str, slot: int, every: float) -> bool:
        """Whether this process won ``name``'s lease for ``slot`` (each slot has one winner)."""
        key = f"{self.config.name}:schedule:{name}:{slot}"
        ttl_ms = max(int(every * 2000), 1000)
        if self._redis is None:
            now = time.monotonic()
            self._memory_leases = {k: t for k, t in self._memory_leases.items() if t > now}
            if key in self._memory_leases:
                return False
            self._memory_leases[key] = now + ttl_ms / 1000
            return True
        try:
            async with asyncio.timeout(self.config.deadline_s):
                return bool(await self._redis.set(key, os.getpid(), nx=True, px=ttl_ms))
        except _OUTAGES as exc:
            raise QueueUnavailable(f"the queue is unavailable ({type(exc).__name__})") from exc

    # -- looking ----------------------------------------------------------------------------

    async def depth(self) -> tuple[int, int]:
        """(waiting, running) tasks; in process, (0, running here)."""
        if self._redis is None:
            return 0, len(getattr(self.broker, "_running_tasks", ()))
        broker = self.broker
        assert isinstance(broker, _LeasedStreamBroker)
        async with asyncio.timeout(self.config.deadline_s):
            length = int(await self._redis.xlen(broker.queue_name))
            try:
                pending = await self._redis.xpending(broker.queue_name, broker.consumer_group_name)
            except ResponseError:  # no worker has declared the group yet
                pending = None
        running = int(pending["pending"]) if pending else 0
        return max(length - running, 0), running

    async def ping(self) -> None:
        """Raise if the queue cannot be reached."""
        if self._redis is None:
            return
        try:
            async with asyncio.timeout(self.config.deadline_s):
                await self._redis.ping()
        except _OUTAGES as exc:
            raise QueueUnavailable(f"the queue is unavailable ({type(exc).__name__})") from exc

    async def close(self) -> None:
        await self._stop_timers()
        if self.config.in_process:
            await self._drain_in_process()
        with contextlib.suppress(Exception):
            await self.broker.shutdown()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()


class _LeasedStreamBroker(RedisStreamBroker):
    """taskiq-redis's stream broker with leases that expire only when their worker is gone.

    Three changes to its ``listen``: pending entries are reclaimed on every pass, also when no
    new entry arrived (1.2.4 reclaims only after a read that returned something, so a dead
    worker's task waited for the next enqueue), without the lock a killed worker could leave
    held (XAUTOCLAIM's idle time already makes each claim exclusive); the entries this worker
    holds have their idle time reset every third of the lease, so a long task keeps its lease;
    and a lost consumer group (Redis restarted without persistence) is declared again.
    An acknowledged entry is deleted with its acknowledgement, so the stream's length is the
    number of tasks waiting or running.
    """

    def __init__(
        self,
        url: str,
        *,
        lease_ms: int,
        max_deliveries: int,
        on_drop: Callable[[str], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(
            url,
            consumer_id="0",  # a group declared after entries were added still gets them
            idle_timeout=lease_ms,
            xread_block=min(2000, max(lease_ms // 3, 100)),
            xread_count=1,  # take one at a time, so idle workers share the work
            unacknowledged_batch_size=1,  # the same for tasks whose lease ran out
            **kwargs,
        )
        self._held: set[bytes] = set()
        self._max_deliveries = max_deliveries
        self._reclaimed_at = 0.0
        self._on_drop = on_drop
        self.abandoned = False  # set when a stopping worker gives up what still runs

    def _ack_generator(self, id: str, queue_name: str) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            if self.abandoned:
                return
            async with (
                Redis(connection_pool=self.connection_pool) as conn,
                conn.pipeline(transaction=True) as pipe,
            ):
                pipe.xack(queue_name, self.consumer_group_name, id)
                pipe.xdel(queue_name, id)
                await pipe.execute()
            self._held.discard(id)  # type: ignore[arg-type]

        return ack

    def _delivery(self, msg_id: bytes, fields: dict[bytes, bytes]) -> AckableMessage:
        self._held.add(msg_id)
        return AckableMessage(
            data=fields[b"data"], ack=self._ack_generator(id=msg_id, queue_name=self.queue_name)
        )  # type: ignore[arg-type]

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:  # type: ignore[override]
        failing = False
        async with Redis(connection_pool=self.connection_pool) as conn:
            while True:
                try:
                    entries = await self._next_entries(conn)
                except _OUTAGES as exc:
                    # Keep listening through an outage (the receiver and its running tasks
                    # stay); one line per outage.
                    if not failing:
                        log.warning("the queue's Redis is unavailable, retrying: %r", exc)
                    failing = True
                    await asyncio.sleep(1.0)
                    continue
                if failing:
                    log.info("the queue's Redis answers again")
                    failing = False
                for msg_id, fields in entries:
                    yield self._delivery(msg_id, fields)

    async def _next_entries(self, conn: Redis) -> list[tuple[bytes, dict[bytes, bytes]]]:
        """New entries for this consumer, and (when idle, or every quarter lease) those whose
        lease ran out, claimed here."""
        try:
            fetched = await conn.xreadgroup(
                self.consumer_group_name,
                self.consumer_name,
                {self.queue_name: ">"},
                block=self.block,
                count=self.count,
            )
            entries = [entry for _stream, found in fetched or [] for entry in found]
            now = time.monotonic()
            if not entries or now - self._reclaimed_at > self.idle_timeout / 4000:
                self._reclaimed_at = now
                entries += await self._reclaim(conn)
        except ResponseError as exc:
            # Redis lost the stream or its group (restarted without its data, or the key was
            # deleted under a blocked read: "NOGROUP", "UNBLOCKED the stream key no longer
            # exists"): declare it again.
            if "NOGROUP" not in str(exc) and "no longer exists" not in str(exc):
                raise
            await self._declare_consumer_group()
            return []
        return entries

    async def _reclaim(self, conn: Redis) -> list[tuple[bytes, dict[bytes, bytes]]]:
        claimed = await conn.xautoclaim(
            self.queue_name,
            self.consumer_group_name,
            self.consumer_name,
            min_idle_time=self.idle_timeout,
            start_id="0-0",
            count=self.unacknowledged_batch_size,
        )
        taken = []
        for msg_id, fields in claimed[1]:
            if not fields:  # an entry deleted meanwhile comes back empty
                continue
            if await self._too_often(conn, msg_id, fields):
                continue
            log.warning("the lease of task %s ran out; it runs again here", _describe(fields))
            taken.append((msg_id, fields))
        return taken

    async def _too_often(self, conn: Redis, msg_id: bytes, fields: dict[bytes, bytes]) -> bool:
        """Drop (and say so) an entry whose workers died ``max_deliveries`` times running it."""
        found = await conn.xpending_range(
            self.queue_name, self.consumer_group_name, min=msg_id, max=msg_id, count=1
        )
        deliveries = int(found[0]["times_delivered"]) if found else 0
        if deliveries <= self._max_deliveries:
            return False
        try:
            name = self.formatter.loads(message=fields[b"data"]).task_name
        except Exception:
            name = "unreadable"
        log.error("task %s dropped: its worker died %d times running it", name, deliveries - 1)
        self._held.add(msg_id)
        await self._ack_generator(id=msg_id, queue_name=self.queue_name)()  # type: ignore[arg-type]
        self._on_drop(name)
        return True

    async def hand_back(self) -> None:
        """Requeue, for any worker, entries delivered here that no task ever started.

        A read cancelled by the stop may still have been served (Redis delivered an entry to
        the blocked read); such entries would otherwise wait for their lease. Called when
        stopping, after closing the connections (which ends any blocked read).
        """
        await self.connection_pool.disconnect()
        async with Redis(connection_pool=self.connection_pool) as conn:
            for msg_id in await self._pending_here(conn):
                if msg_id in self._held:
                    continue  # started here: its lease decides
                for _id, fields in await conn.xrange(self.queue_name, msg_id, msg_id):
                    async with conn.pipeline(transaction=True) as pipe:
                        pipe.xadd(self.queue_name, fields)
                        pipe.xack(self.queue_name, self.consumer_group_name, msg_id)
                        pipe.xdel(self.queue_name, msg_id)
                        await pipe.execute()

    async def _pending_here(self, conn: Redis) -> list[bytes]:
        """Ids of the entries Redis counts as delivered to this consumer and not acknowledged."""
        found = await conn.xpending_range(
            self.queue_name,
            self.consumer_group_name,
            min="-",
            max="+",
            count=len(self._held) + 1000,
            consumername=self.consumer_name,
        )
        return [pending["message_id"] for pending in found]

    async def keep_leases(self) -> None:
        """While this worker lives, reset the idle time of the entries it holds."""
        every = self.idle_timeout / 3000
        while True:
            await asyncio.sleep(every)
            if not self._held:
                continue
            with contextlib.suppress(Exception):
                async with Redis(connection_pool=self.connection_pool) as conn:
                    ids = [i for i in await self._pending_here(conn) if i in self._held]
                    if ids:
                        await conn.xclaim(
                            self.queue_name,
                            self.consumer_group_name,
                            self.consumer_name,
                            min_idle_time=0,
                            message_ids=ids,
                            justid=True,
                        )


def _raise_if_cancelling() -> None:
    """Re-raise a cancel that reached us as another error (see ``_stop_timers``)."""
    current = asyncio.current_task()
    if current is not None and current.cancelling():
        raise asyncio.CancelledError


def _describe(fields: dict[bytes, bytes]) -> str:
    """A stream entry's task for a log line: its name and arguments (``jobs.run job_id=...``)."""
    try:
        message = json.loads(fields[b"data"])
        arguments = " ".join(f"{k}={v}" for k, v in (message.get("kwargs") or {}).items())
        return f"{message.get('task_name', '?')} {arguments}".strip()
    except (KeyError, TypeError, ValueError, AttributeError):
        return "(unreadable entry)"
