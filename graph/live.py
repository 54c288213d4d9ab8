"""Guarded event streams for subscriptions.

Every stream is authorised when it starts and re-checked while it runs (at most once a second,
on events): it ends with close code 4403 when the access token (or key) expires, the session is
logged out, the API key is revoked or the caller loses access, and with 1011 (reconnect) when
the event backend goes away or the subscriber falls too far behind. A logout, a key revocation
or a deactivation ends it at once, quiet or not: a watcher follows the revocations every
replica publishes on the sessions channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from domain.accounts import Caller
from domain.events import SESSIONS_CHANNEL, AccountEventKind, ModelEventKind, SessionsChanged
from graph.context import Info
from storage.pubsub import PubSubUnavailable, SubscriberTooSlow

RECHECK_S = 1.0
# Events after which the caller's right to the stream is checked again without waiting.
RECHECK_AT_ONCE = frozenset(
    {
        AccountEventKind.SESSION_REVOKED,
        ModelEventKind.MODEL_UNSHARED,
        ModelEventKind.TEAM_ACCESS_CHANGED,
    }
)

Check = Callable[[Caller], Awaitable[bool]]


async def guarded(
    info: Info,
    channel: str,
    still_allowed: Check | None = None,
    *,
    subscribed: asyncio.Event | None = None,
) -> AsyncGenerator[dict[str, Any], None]:
    """Messages of ``channel`` for as long as the caller may receive them; ``subscribed`` is
    set once none published later is missed."""
    context = info.context
    caller = await context.require_caller()
    services = context.services
    watchdog = None
    if caller.expires_at is not None:
        remaining = (caller.expires_at - datetime.now(UTC)).total_seconds()
        watchdog = asyncio.create_task(_close_at_expiry(info, remaining))
    listening, watching = asyncio.Event(), asyncio.Event()
    revocations = asyncio.create_task(_close_on_revocation(info, caller, watching))
    stream = services.pubsub.subscribe(channel, subscribed=listening)
    confirmed = asyncio.create_task(
        _confirm(info, caller, still_allowed, (listening, watching), subscribed)
    )
    checked = time.monotonic()
    try:
        async for message in stream:
            if message.get("kind") == ModelEventKind.MODEL_DELETED:
                # The last word on this model: deliver it, then end this stream only.
                yield message
                return
            if time.monotonic() - checked >= RECHECK_S or message.get("kind") in RECHECK_AT_ONCE:
                checked = time.monotonic()
                if not await services.accounts.is_live(caller):
                    await context.close_connection(4403, "Session ended")
                    return
                if still_allowed is not None and not await still_allowed(caller):
                    await context.close_connection(4403, "Access revoked")
                    return
            yield message
    except (PubSubUnavailable, SubscriberTooSlow) as exc:
        # 1011 tells the client to reconnect and resubscribe.
        await context.close_connection(1011, str(exc)[:100])
    finally:
        if watchdog is not None:
            watchdog.cancel()
        confirmed.cancel()
        revocations.cancel()
        with contextlib.suppress(Exception):
            await stream.aclose()


async def _close_at_expiry(info: Info, seconds: float) -> None:
    """A stream authorised by an access token (or an expiring key) ends when it expires."""
    await asyncio.sleep(max(0.0, seconds))
    await info.context.close_connection(4403, "Token expired")


async def _confirm(
    info: Info,
    caller: Caller,
    still_allowed: Check | None,
    listeners: tuple[asyncio.Event, ...],
    subscribed: asyncio.Event | None,
) -> None:
    """Once the stream and the revocation watcher both listen, check the caller again: a
    logout, revocation or unsharing published while they were subscribing reached neither."""
    for listener in listeners:
        await listener.wait()
    try:
        live = await info.context.services.accounts.is_live(caller)
        allowed = live and (still_allowed is None or await still_allowed(caller))
    except Exception:
        return  # the database did not answer: the checks on the stream's events decide
    if not live:
        await info.context.close_connection(4403, "Session ended")
    elif not allowed:
        await info.context.close_connection(4403, "Access revoked")
    elif subscribed is not None:
        subscribed.set()


async def _close_on_revocation(info: Info, caller: Caller, watching: asyncio.Event) -> None:
    """End the stream as soon as its session or key is revoked or its user deactivated."""
    pubsub = info.context.services.pubsub
    with contextlib.suppress(PubSubUnavailable, SubscriberTooSlow):
        async for message in pubsub.subscribe(SESSIONS_CHANNEL, subscribed=watching):
            changed = SessionsChanged.from_message(message)
            if (
                (caller.session_id is not None and caller.session_id in changed.session_ids)
                or (caller.key_id is not None and caller.key_id in changed.key_ids)
                or changed.user_id == caller.user_id
            ):
                await info.context.close_connection(4403, "Session ended")
                return
