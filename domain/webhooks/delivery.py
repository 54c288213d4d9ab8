"""Delivering outbox rows: claim, send (pinned, signed, capped), settle, retry or give up.

At least once: a row is claimed with a lease (``lease_until``, ``lease_token``) before it is
sent and settled after; a worker that dies between the two leaves the lease to expire, and the
next drain sends the row again with the same ``webhook-id``. Two workers never hold one row at
once: on PostgreSQL the claim is ``SELECT ... FOR UPDATE SKIP LOCKED`` in a transaction that
sets the lease; on SQLite, whose writers are serialised, a compare-and-set ``UPDATE`` of a free
lease. Settling is guarded by the token, so a worker whose lease was taken over records nothing.

Retries back off exponentially with equal jitter (half the delay fixed, half random), honour a
``Retry-After`` on 429 and 503, and stop after ``webhook_max_attempts``. ``410 Gone``, or
``webhook_disable_after_failures`` failed attempts in a row, disables the endpoint (an audit
entry and an account event for whoever registered it); its pending deliveries then fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from tortoise import connections
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from domain.audit import AuditAction, AuditTarget, AuditTrail
from domain.audit.trail import TargetType
from domain.events import AccountEvent, AccountEventKind, Emitter
from domain.webhooks import signing, ssrf
from storage import tables

if TYPE_CHECKING:
    from settings import Settings

log = logging.getLogger("modelserve.webhooks")

CLAIM_BATCH = 50
USER_AGENT = "ModelServe-Webhooks/1"
MAX_ERROR_CHARS = 300


class LeaseLost(Exception):
    """Another worker took the row over (our lease expired): record nothing."""


@dataclass(frozen=True, slots=True)
class Outcome:
    succeeded: bool
    status_code: int | None
    latency_ms: float
    error: str | None = None
    retry_after_s: float | None = None
    gone: bool = False  # 410: the receiver asks never to be called again
    started_at: datetime | None = None


def backoff_s(
    attempts: int, *, base_s: float, max_s: float, rng: random.Random | None = None
) -> float:
    """The wait after ``attempts`` failed attempts: ``base * 2**(attempts-1)``, capped, of which
    the second half is random (so delays grow and retries of many rows spread out)."""
    delay = min(max_s, base_s * 2 ** max(0, attempts - 1))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


def endpoint_target(endpoint: tables.WebhookEndpoint) -> AuditTarget:
    return AuditTarget(TargetType.WEBHOOK, str(endpoint.id), endpoint.url[:128], endpoint.model_id)


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    """Drains the outbox; every worker process runs one."""

    def __init__(self, *, settings: Settings, emitter: Emitter) -> None:
        self.settings = settings
        self.emitter = emitter

    # -- claiming -----------------------------------------------------------------------

    async def _claim(self, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Claim up to ``limit`` due rows: (delivery id, lease token) pairs."""
        now = _now()
        until = now + timedelta(seconds=self.settings.webhook_lease_s)
        free = Q(lease_until=None) | Q(lease_until__lt=now)
        due = tables.WebhookDelivery.filter(
            free, status=tables.DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        token = uuid.uuid4()
        if connections.get("default").capabilities.dialect == "postgres":
            async with in_transaction():
                # Whole rows: Tortoise drops FOR UPDATE from a ``values_list`` query.
                locked = (
                    await due.order_by("next_attempt_at")
                    .limit(limit)
                    .select_for_update(skip_locked=True)
                )
                rows = [row.id for row in locked]
                if rows:
                    await tables.WebhookDelivery.filter(free, id__in=rows).update(
                        lease_until=until, lease_token=token
                    )
            return [(row, token) for row in rows]
        claimed = []
        for row in await due.order_by("next_attempt_at").limit(limit).values_list("id", flat=True):
            # Compare-and-set: only one writer finds the lease still free.
            if await tables.WebhookDelivery.filter(free, id=row).update(
                lease_until=until, lease_token=token
            ):
                claimed.append((row, token))
        return claimed

    async def drain(self) -> int:
        """Send every due delivery once (concurrently, bounded); how many were attempted."""
        attempted = 0
        slots = asyncio.Semaphore(self.settings.webhook_concurrency)

        async def one(delivery_id: uuid.UUID, token: uuid.UUID) -> None:
            async with slots:
                await self.deliver(delivery_id, token)

        while True:
            claimed = await self._claim(CLAIM_BATCH)
            if not claimed:
                return attempted
            results = await asyncio.gather(*(one(d, t) for d, t in claimed), return_exceptions=True)
            for result in results:
                if isinstance(result, Exception):
                    log.warning("a webhook delivery failed to settle", exc_info=result)
            attempted += len(claimed)
            if len(claimed) < CLAIM_BATCH:
                return attempted

    # -- one attempt --------------------------------------------------------------------

    async def deliver(self, delivery_id: uuid.UUID, token: uuid.UUID) -> None:
        delivery = await tables.WebhookDelivery.get_or_none(id=delivery_id, lease_token=token)
        if delivery is None:
            return
        endpoint = await tables.WebhookEndpoint.get(id=delivery.endpoint_id)
        if not endpoint.enabled:
            await tables.WebhookDelivery.filter(id=delivery.id, lease_token=token).update(
                status=tables.DeliveryStatus.FAILED,
                lease_until=None,
                lease_token=None,
                next_attempt_at=None,
                last_error="the endpoint is disabled",
                completed_at=_now(),
            )
            return
        started_at = _now()
        outcome = await self.send(endpoint, delivery)
        outcome = dataclasses.replace(outcome, started_at=started_at)
        await self._settle(delivery, endpoint, token, outcome)

    def _secrets(self, endpoint: tables.WebhookEndpoint) -> list[str]:
        found = [endpoint.secret]
        until = endpoint.previous_secret_until
        if endpoint.previous_secret and until is not None and until > _now():
            found.append(endpoint.previous_secret)
        return found

    async def send(
        self, endpoint: tables.WebhookEndpoint, delivery: tables.WebhookDelivery
    ) -> Outcome:
        """One POST to the endpoint's checked, pinned address; never raises."""
        started = time.perf_counter()

        def elapsed() -> float:
            return round((time.perf_counter() - started) * 1000, 3)

        try:
            async with asyncio.timeout(self.settings.webhook_timeout_s):
                target = await ssrf.check(
                    endpoint.url, allow_loopback=self.settings.webhook_allow_loopback
                )
                return await self._post(target, endpoint, delivery, elapsed)
        except ssrf.AddressRefused as exc:
            return Outcome(False, None, elapsed(), f"refused: {exc.reason}")
        except TimeoutError:
            return Outcome(False, None, elapsed(), "timed out")
        except httpx.HTTPError as exc:
            return Outcome(False, None, elapsed(), f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
        except OSError as exc:
            return Outcome(False, None, elapsed(), f"{type(exc).__name__}"[:MAX_ERROR_CHARS])

    async def _post(self, target, endpoint, delivery, elapsed) -> Outcome:  # type: ignore[no-untyped-def]
        body = delivery.body
        sent_headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "host": target.host_header,
            **signing.headers(
                self._secrets(endpoint),
                message_id=delivery.message_id,
                timestamp=int(time.time()),
                body=body,
            ),
        }
        extensions = {"sni_hostname": target.host} if target.tls else {}
        # No proxies from the environment (they would defeat the pinning), no redirects.
        timeout = httpx.Timeout(self.settings.webhook_timeout_s)
        async with httpx.AsyncClient(
            follow_redirects=False, trust_env=False, timeout=timeout
        ) as http:
            request = http.build_request(
                "POST",
                target.url,
                content=body.encode(),
                headers=sent_headers,
                extensions=extensions,
            )
            response = await http.send(request, stream=True)
            try:
                read = 0
                cap = self.settings.webhook_max_response_bytes
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read >= cap:
                        break
            finally:
                await response.aclose()
        code = response.status_code
        if 200 <= code < 300:
            return Outcome(True, code, elapsed())
        error = f"HTTP {code}"
        if 300 <= code < 400:
            error += " (redirects are not followed)"
        return Outcome(
            False,
            code,
            elapsed(),
            error,
            retry_after_s=_retry_after(response) if code in (429, 503) else None,
            gone=code == 410,
        )

    # -- settling -----------------------------------------------------------------------

    async def _settle(
        self,
        delivery: tables.WebhookDelivery,
        endpoint: tables.WebhookEndpoint,
        token: uuid.UUID,
        outcome: Outcome,
    ) -> None:
        """Record the attempt, schedule the next one or finish, and count the streak."""
        s = self.settings
        number = delivery.attempts + 1
        now = _now()
        next_at: datetime | None = None
        if outcome.succeeded:
            status = tables.DeliveryStatus.SUCCEEDED
        elif outcome.gone or number >= s.webhook_max_attempts:
            status = tables.DeliveryStatus.FAILED
        else:
            status = tables.DeliveryStatus.PENDING
            wait = backoff_s(number, base_s=s.webhook_backoff_base_s, max_s=s.webhook_backoff_max_s)
            if outcome.retry_after_s is not None:
                wait = min(max(wait, outcome.retry_after_s), s.webhook_backoff_max_s)
            next_at = now + timedelta(seconds=wait)
        disable: str | None = None
        try:
            async with in_transaction():
                updated = await tables.WebhookDelivery.filter(
                    id=delivery.id, lease_token=token
                ).update(
                    attempts=number,
                    status=status,
                    next_attempt_at=next_at,
                    lease_until=None,
                    lease_token=None,
                    last_status_code=outcome.status_code,
                    last_latency_ms=outcome.latency_ms,
                    last_error=outcome.error,
                    completed_at=None if status is tables.DeliveryStatus.PENDING else now,
                )
                if not updated:
                    raise LeaseLost
                await tables.WebhookAttempt.create(
                    delivery_id=delivery.id,
                    number=number,
                    started_at=outcome.started_at or now,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    error=outcome.error,
                    succeeded=outcome.succeeded,
                    next_attempt_at=next_at,
                )
                if outcome.succeeded:
                    await tables.WebhookEndpoint.filter(id=endpoint.id).update(failure_streak=0)
                else:
                    await tables.WebhookEndpoint.filter(id=endpoint.id).update(
                        failure_streak=F("failure_streak") + 1
                    )
                    streak = (
                        await tables.WebhookEndpoint.filter(id=endpoint.id)
                        .first()
                        .values_list("failure_streak", flat=True)
                    )
                    if outcome.gone:
                        disable = "the receiver answered 410 Gone"
                    elif streak is not None and streak >= s.webhook_disable_after_failures:
                        disable = f"{streak} failed attempts in a row"
                    if disable is not None:
                        await self._disable(endpoint, disable)
        except LeaseLost:
            log.info("delivery %s was taken over by another worker", delivery.id)
            return
        if disable is not None:
            with contextlib.suppress(Exception):
                await self.emitter.emit(
                    AccountEvent(
                        AccountEventKind.WEBHOOK_DISABLED,
                        user_id=endpoint.created_by_id,
                        reason=f"webhook {endpoint.id} disabled: {disable}",
                    )
                )

    async def _disable(self, endpoint: tables.WebhookEndpoint, reason: str) -> None:
        """Inside the settling transaction: turn the endpoint off and fail what waits for it."""
        now = _now()
        changed = await tables.WebhookEndpoint.filter(id=endpoint.id, enabled=True).update(
            enabled=False, disabled_reason=reason, disabled_at=now
        )
        if not changed:
            return
        await tables.WebhookDelivery.filter(
            endpoint_id=endpoint.id, status=tables.DeliveryStatus.PENDING, lease_token=None
        ).update(
            status=tables.DeliveryStatus.FAILED,
            next_attempt_at=None,
            last_error="the endpoint is disabled",
            completed_at=now,
        )
        await AuditTrail.record(
            AuditAction.WEBHOOK_DISABLED,
            actor=None,
            target=endpoint_target(endpoint),
            detail={"reason": reason},
        )
        log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)
