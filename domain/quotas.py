"""Rate limits and quotas on predictions and uploads, in units a request spends.

Budget: a prediction request costs ``1 + rows // rows_per_unit`` units (1 for up to 99 rows with
the default 100, 11 for a 1,000-row batch, 101 for 10,000 rows); an upload costs 1 upload. A
prediction that explains itself (``explain``) costs ``explain_cost_multiplier`` times as much (10
by default): TreeSHAP does far more work per row than the trees' own walk. A cost over a whole
limit spends the whole limit, so a large request waits for an empty window instead of being
refused for ever.

Three limits, each a moving window (``domain.ratelimit``), in process memory for the embedded
default and in Redis shared by every replica otherwise:

- the caller's prediction units per minute and uploads per hour, counted per API key when the
  caller is a key and per user for a session (so one user's keys and sessions never spend each
  other's budget, nor anyone else's). An administrator may override both for one user.
- a model's quota: units per minute and per day that every caller of the model spends together,
  set by the model's maintainers (or an administrator); none by default.

The caller's limit is charged before the model reference is even resolved, the model's quota
once it is; both before any row is validated or the model runs, so a refused request costs no
work. A request the model's quota refuses has still spent the caller's units (and a request the
per-day quota refuses, the per-minute quota's), since a moving window cannot give hits back.

Limits and quotas are read from the database and kept for ``SETTINGS_TTL_S``: a change applies at
once on the replica that made it, and within that time on the others.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from domain import webhooks
from domain.accounts import Caller
from domain.audit import AuditAction, AuditTarget, AuditTrail
from domain.errors import FieldError, Forbidden, NotFound, RateLimited, ValidationFailed
from domain.ratelimit import Rate, RateLimiter, Window
from domain.registry import access
from domain.registry.access import Access
from domain.singleflight import SingleFlight
from storage import tables

log = logging.getLogger("modelserve.quotas")

SETTINGS_TTL_S = 1.0
MAX_CACHED = 10_000
MINUTE = 60
HOUR = 3600
DAY = 86_400
# A moving window keeps one entry per unit spent, so the bounds cap its memory (and Redis's).
MAX_UNITS_PER_MINUTE = 100_000
MAX_UNITS_PER_DAY = 1_000_000
MAX_UPLOADS_PER_HOUR = 10_000

PREDICTIONS = "predictions"
UPLOADS = "uploads"
MODEL_PER_MINUTE = "model_per_minute"
MODEL_PER_DAY = "model_per_day"


@dataclass(frozen=True, slots=True)
class QuotaPolicy:
    """The defaults, from settings."""

    prediction_units_per_minute: int
    prediction_rows_per_unit: int
    uploads_per_hour: int
    explain_cost_multiplier: int = 10


@dataclass(frozen=True, slots=True)
class Usage:
    """A caller's own windows."""

    predictions: Window
    uploads: Window
    rows_per_unit: int
    explain_cost_multiplier: int


@dataclass(frozen=True, slots=True)
class ModelQuota:
    """A model's quota, with its windows when asked for them."""

    model_id: uuid.UUID
    per_minute: int | None
    per_day: int | None


@dataclass(frozen=True, slots=True)
class UserLimits:
    """One user's limits: the override (None when unset) and what applies."""

    user_id: uuid.UUID
    prediction_units_per_minute: int | None
    uploads_per_hour: int | None
    effective_prediction_units_per_minute: int
    effective_uploads_per_hour: int


def caller_key(caller: Caller) -> tuple[str, str]:
    """Whose budget a request spends: its API key's, else its user's."""
    if caller.via_key and caller.key_id is not None:
        return ("key", str(caller.key_id))
    return ("user", str(caller.user_id))


class _Cached:
    """Rows by id for ``SETTINGS_TTL_S``; ``None`` (no row) is kept too.

    Concurrent misses of one id share one query (single-flight): when an entry expires under
    load, every request in flight misses together, and at c64 their identical queries queued
    on the database once a second. A read that a change (``drop``) overtook is used once and
    not kept, nor joined by later callers.
    """

    def __init__(self) -> None:
        self._rows: dict[uuid.UUID, tuple[Any, float]] = {}
        self._flights = SingleFlight()
        self._generation = 0

    async def load(self, key: uuid.UUID, fetch: Callable[[], Awaitable[Any]]) -> Any:
        hit = self._rows.get(key)
        if hit is not None and hit[1] >= time.monotonic():
            return hit[0]
        generation = self._generation
        value = await self._flights.do((key, generation), fetch)
        if generation == self._generation:
            if len(self._rows) >= MAX_CACHED:
                self._rows.clear()
            self._rows[key] = (value, time.monotonic() + SETTINGS_TTL_S)
        return value

    def drop(self, key: uuid.UUID) -> None:
        self._generation += 1
        self._rows.pop(key, None)

    def clear(self) -> None:
        self._generation += 1
        self._rows.clear()


class Quotas:
    """The quota service; one per process, sharing the process's limiter."""

    def __init__(self, *, limiter: RateLimiter, policy: QuotaPolicy) -> None:
        self.limiter = limiter
        self.policy = policy
        self._user_limits = _Cached()
        self._model_quotas = _Cached()
        # quota.exceeded goes out once per subject and window: the windows already announced.
        self._announced: set[str] = set()

    def clear_cache(self) -> None:
        self._user_limits.clear()
        self._model_quotas.clear()
        self._announced.clear()

    async def _exceeded(
        self,
        refusal: RateLimited,
        rate: Rate,
        *,
        caller: Caller | None = None,
        model_id: uuid.UUID | None = None,
    ) -> None:
        """Announce ``quota.exceeded`` (webhooks) the first time a window refuses a subject.

        The window is the fixed interval of the limit's length the refusal falls in; a second
        replica refusing in the same window finds the delivery rows' dedupe key taken. A failure
        here is logged and never changes the refusal.
        """
        if model_id is not None:
            subject, subject_id = "model", str(model_id)
        else:
            assert caller is not None
            subject, subject_id = caller_key(caller)
        window = int(time.time() // rate.seconds)
        key = f"quota:{subject}:{subject_id}:{refusal.limited_by}:{rate.seconds}:{window}"
        if key in self._announced:
            return
        if len(self._announced) >= MAX_CACHED:
            self._announced.clear()
        self._announced.add(key)
        data = {
            "subject": {"type": subject, "id": subject_id},
            "limitedBy": refusal.limited_by,
            "limit": rate.amount,
            "windowSeconds": rate.seconds,
            "windowStart": datetime.fromtimestamp(window * rate.seconds, UTC).isoformat(),
            "retryAfter": refusal.retry_after,
        }
        try:
            await webhooks.record(
                webhooks.EventType.QUOTA_EXCEEDED,
                model_id=model_id,
                user_id=caller.user_id if caller is not None else None,
                data=data,
                dedupe_key=key,
            )
        except Exception:
            self._announced.discard(key)
            log.warning("could not record quota.exceeded for %s %s", subject, subject_id)

    def prediction_cost(self, rows: int, *, explain: bool = False) -> int:
        """Units a prediction request of ``rows`` rows costs (explained: times the multiplier)."""
        cost = 1 + max(0, rows) // self.policy.prediction_rows_per_unit
        return cost * self.policy.explain_cost_multiplier if explain else cost

    # -- charging ------------------------------------------------------------------------

    async def charge_caller(self, *, caller: Caller, rows: int, explain: bool = False) -> None:
        """Spend a prediction's units from the caller's budget; RateLimited when it is spent."""
        rate = (await self._rates(caller.user_id))[0]
        cost = self.prediction_cost(rows, explain=explain)
        key = caller_key(caller)
        try:
            await self.limiter.charge(rate, PREDICTIONS, *key, cost=cost, name=PREDICTIONS)
        except RateLimited as refusal:
            await self._exceeded(refusal, rate, caller=caller)
            raise

    async def charge_model(self, *, model_id: uuid.UUID, rows: int, explain: bool = False) -> None:
        """Spend a prediction's units from the model's quota, when it has one."""
        quota = await self._model_quota(model_id)
        if quota is None:
            return
        cost = self.prediction_cost(rows, explain=explain)
        minute, day = _model_rates(quota)
        for rate, name in ((minute, MODEL_PER_MINUTE), (day, MODEL_PER_DAY)):
            if rate is None:
                continue
            try:
                await self.limiter.charge(rate, "model", str(model_id), cost=cost, name=name)
            except RateLimited as refusal:
                await self._exceeded(refusal, rate, model_id=model_id)
                raise

    async def charge_upload(self, *, caller: Caller) -> None:
        """Spend one upload from the caller's budget; RateLimited when it is spent."""
        rate = (await self._rates(caller.user_id))[1]
        await self.limiter.charge(rate, UPLOADS, *caller_key(caller), name=UPLOADS)

    async def refusals(
        self, *, caller: Caller, rows: list[int], explain: list[bool] | None = None
    ) -> list[RateLimited | None]:
        """Which of several predictions, in order, the caller's budget has no room for now.

        Nothing is charged: a document of several predictions asks first, so that when some
        would be refused none runs (each is still charged as it runs, exactly). ``explain``
        says, per prediction, whether it explains itself (and so weighs more).
        """
        rate = (await self._rates(caller.user_id))[0]
        window = await self.limiter.window(rate, PREDICTIONS, *caller_key(caller))
        spent = 0
        refused: list[RateLimited | None] = []
        explained = explain or [False] * len(rows)
        for count, heavy in zip(rows, explained, strict=True):
            spent += min(self.prediction_cost(count, explain=heavy), rate.amount)
            if spent <= window.remaining:
                refused.append(None)
                continue
            refusal = RateLimited(
                max(1, window.resets_in_s or rate.seconds),
                f"Rate limit reached ({PREDICTIONS}: {rate.amount} per {rate.seconds} s).",
                limit=rate.amount,
                remaining=window.remaining,
                limited_by=PREDICTIONS,
            )
            await self._exceeded(refusal, rate, caller=caller)
            refused.append(refusal)
        return refused

    async def model_refusals(
        self,
        *,
        predictions: list[tuple[uuid.UUID | None, int]],
        explain: list[bool] | None = None,
    ) -> list[RateLimited | None]:
        """Which of several predictions (model id, rows), in order, their models' quotas have
        no room for now; like ``refusals``, nothing is charged. None ids are not checked."""
        explained = explain or [False] * len(predictions)
        spent: dict[tuple[uuid.UUID, str], int] = {}
        windows: dict[uuid.UUID, tuple[ModelQuota, Window | None, Window | None] | None] = {}
        refused: list[RateLimited | None] = []
        for (model_id, rows), heavy in zip(predictions, explained, strict=True):
            if model_id is not None and model_id not in windows:
                quota = await self._model_quota(model_id)
                windows[model_id] = (
                    (quota, *await self.model_windows(quota=quota)) if quota else None
                )
            found = windows.get(model_id) if model_id is not None else None
            refusal = None
            if found is not None and model_id is not None:
                quota, *bounds = found
                rates = _model_rates(quota)
                for name, rate, window in zip(
                    (MODEL_PER_MINUTE, MODEL_PER_DAY), rates, bounds, strict=True
                ):
                    if rate is None or window is None:
                        continue
                    total = spent.get((model_id, name), 0) + min(
                        self.prediction_cost(rows, explain=heavy), rate.amount
                    )
                    spent[(model_id, name)] = total
                    if total > window.remaining and refusal is None:
                        refusal = RateLimited(
                            max(1, window.resets_in_s or rate.seconds),
                            f"Rate limit reached ({name}: {rate.amount} per {rate.seconds} s).",
                            limit=rate.amount,
                            remaining=window.remaining,
                            limited_by=name,
                        )
                        await self._exceeded(refusal, rate, model_id=model_id)
            refused.append(refusal)
        return refused

    # -- reading -------------------------------------------------------------------------

    async def usage(self, *, caller: Caller) -> Usage:
        """The caller's own prediction and upload windows."""
        predictions, uploads = await self._rates(caller.user_id)
        key = caller_key(caller)
        return Usage(
            predictions=await self.limiter.window(predictions, PREDICTIONS, *key),
            uploads=await self.limiter.window(uploads, UPLOADS, *key),
            rows_per_unit=self.policy.prediction_rows_per_unit,
            explain_cost_multiplier=self.policy.explain_cost_multiplier,
        )

    async def get_model_quotas_by_ids(self, *, ids: list[uuid.UUID]) -> list[ModelQuota | None]:
        rows = {q.model_id: q for q in await tables.ModelQuota.filter(model_id__in=ids)}
        return [_quota_of(rows[i]) if i in rows else None for i in ids]

    async def model_windows(self, *, quota: ModelQuota) -> tuple[Window | None, Window | None]:
        """The per-minute and per-day windows of a model's quota (None where unbounded)."""
        minute, day = _model_rates(quota)
        key = ("model", str(quota.model_id))
        return (
            await self.limiter.window(minute, *key) if minute is not None else None,
            await self.limiter.window(day, *key) if day is not None else None,
        )

    # -- setting -------------------------------------------------------------------------

    async def set_model_quota(
        self,
        *,
        caller: Caller,
        model_id: uuid.UUID,
        per_minute: int | None,
        per_day: int | None,
    ) -> tuple[tables.Model, Access]:
        """Set (or, with both bounds None, clear) a model's quota; maintainers and admins.

        Raises:
            NotFound: the caller cannot see the model.
            Forbidden: the caller may see it but not maintain it.
            ValidationFailed: a bound out of range.
        """
        model, level = await access.require_model(caller, model_id, needed=Access.MAINTAINER)
        errors = [
            *_bound(("input", "perMinute"), per_minute, MAX_UNITS_PER_MINUTE),
            *_bound(("input", "perDay"), per_day, MAX_UNITS_PER_DAY),
        ]
        if errors:
            raise ValidationFailed(errors)
        await _store(
            tables.ModelQuota,
            {"model_id": model_id},
            {"per_minute": per_minute, "per_day": per_day},
            by=caller.user_id,
        )
        await AuditTrail.record(
            AuditAction.QUOTA_CHANGED,
            actor=caller,
            target=AuditTarget.model(model),
            detail={"perMinute": per_minute, "perDay": per_day},
        )
        self._model_quotas.drop(model_id)
        return model, level

    async def set_user_limits(
        self,
        *,
        caller: Caller,
        user_id: uuid.UUID,
        prediction_units_per_minute: int | None,
        uploads_per_hour: int | None,
    ) -> UserLimits:
        """Override (or, with None, restore the default of) one user's limits; admins only.

        Raises:
            Forbidden: the caller is not an administrator.
            NotFound: no such user.
            ValidationFailed: a limit out of range.
        """
        if not caller.is_admin:
            raise Forbidden("Administrators only.")
        if not await tables.User.exists(id=user_id):
            raise NotFound("User")
        errors = [
            *_bound(
                ("input", "predictionUnitsPerMinute"),
                prediction_units_per_minute,
                MAX_UNITS_PER_MINUTE,
            ),
            *_bound(("input", "uploadsPerHour"), uploads_per_hour, MAX_UPLOADS_PER_HOUR),
        ]
        if errors:
            raise ValidationFailed(errors)
        await _store(
            tables.UserLimits,
            {"user_id": user_id},
            {
                "prediction_units_per_minute": prediction_units_per_minute,
                "uploads_per_hour": uploads_per_hour,
            },
            by=caller.user_id,
        )
        await AuditTrail.record(
            AuditAction.QUOTA_CHANGED,
            actor=caller,
            target=AuditTarget.user_id(user_id),
            detail={
                "predictionUnitsPerMinute": prediction_units_per_minute,
                "uploadsPerHour": uploads_per_hour,
            },
        )
        self._user_limits.drop(user_id)
        limits = await self.get_user_limits(user_id=user_id)
        if limits is None:  # deleted meanwhile
            raise NotFound("User")
        return limits

    async def get_user_limits(self, *, user_id: uuid.UUID) -> UserLimits | None:
        """One user's limits; None when there is no such user."""
        if not await tables.User.exists(id=user_id):
            return None
        row = await tables.UserLimits.get_or_none(user_id=user_id)
        predictions = row.prediction_units_per_minute if row else None
        uploads = row.uploads_per_hour if row else None
        return UserLimits(
            user_id=user_id,
            prediction_units_per_minute=predictions,
            uploads_per_hour=uploads,
            effective_prediction_units_per_minute=predictions
            or self.policy.prediction_units_per_minute,
            effective_uploads_per_hour=uploads or self.policy.uploads_per_hour,
        )

    # -- internals -----------------------------------------------------------------------

    async def _rates(self, user_id: uuid.UUID) -> tuple[Rate, Rate]:
        row = await self._user_limits.load(
            user_id, lambda: tables.UserLimits.get_or_none(user_id=user_id)
        )
        predictions = (row and row.prediction_units_per_minute) or (
            self.policy.prediction_units_per_minute
        )
        uploads = (row and row.uploads_per_hour) or self.policy.uploads_per_hour
        # Keyed by window, not amount: an override applies to what was already spent.
        return (
            Rate(predictions, MINUTE, keyed_by_amount=False),
            Rate(uploads, HOUR, keyed_by_amount=False),
        )

    async def _model_quota(self, model_id: uuid.UUID) -> ModelQuota | None:
        async def fetch() -> ModelQuota | None:
            row = await tables.ModelQuota.get_or_none(model_id=model_id)
            return _quota_of(row) if row is not None else None

        return await self._model_quotas.load(model_id, fetch)


async def _store(
    table: Any, key: dict[str, uuid.UUID], limits: dict[str, int | None], *, by: uuid.UUID
) -> None:
    """Write the row at ``key``; with every limit None, delete it (back to the defaults).

    An update, else a creation; a concurrent creation turns into an update.
    """
    if all(value is None for value in limits.values()):
        await table.filter(**key).delete()
        return
    values = {**limits, "updated_by_id": by, "updated_at": datetime.now(UTC)}
    if await table.filter(**key).update(**values):
        return
    try:
        await table.create(**key, **values)
    except IntegrityError:
        await table.filter(**key).update(**values)


def _quota_of(row: tables.ModelQuota) -> ModelQuota:
    return ModelQuota(model_id=row.model_id, per_minute=row.per_minute, per_day=row.per_day)


def _model_rates(quota: ModelQuota) -> tuple[Rate | None, Rate | None]:
    minute = Rate(quota.per_minute, MINUTE, keyed_by_amount=False) if quota.per_minute else None
    day = Rate(quota.per_day, DAY, keyed_by_amount=False) if quota.per_day else None
    return minute, day


def _bound(path: tuple[str, ...], value: int | None, most: int) -> list[FieldError]:
    if value is None or 1 <= value <= most:
        return []
    return [FieldError(path, f"Must be between 1 and {most}, or null.", "out_of_range")]
