"""Drift: reference profiles per version, reports over a window of the log, the scheduled check.

Who may do what, by the one access rule: anyone who sees a model (a viewer and up) reads its
profiles and drift reports; maintainers (owners and administrators too) make profiles and set
the thresholds. A version's profile comes from an uploaded reference CSV (spooled under a size
cap, parsed in the intake sandbox, its sampled rows predicted by the version itself for the
reference prediction distribution) or from the version's first N logged input rows with the
predictions the log holds for them. Statistics are in :mod:`domain.drift.stats`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiofiles.os
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain import webhooks
from domain.accounts import Caller
from domain.errors import (
    DomainError,
    ErrorCode,
    FieldError,
    ModelRejected,
    NotFound,
    ValidationFailed,
)
from domain.events import DriftEvent, Emitter
from domain.registry import access
from domain.registry.access import Access
from domain.registry.base import webhook_model
from domain.registry.intake import claims
from domain.registry.intake.sandbox import SandboxLimits, run_worker
from domain.registry.uploads import SPOOL_PREFIX
from domain.registry.uploads import spool as spool_upload
from storage import tables

from . import stats
from .stats import FeatureDrift, Thresholds

if TYPE_CHECKING:
    from domain.inference import Inference

log = logging.getLogger("modelserve.drift")

# The sandbox answers on a pipe capped at 4 MiB: a sample of at most this many cells fits.
MAX_SAMPLE_CELLS = 300_000
LOG_PAGE = 200
MAX_WINDOW_DAYS = 400


class ReferenceRejected(DomainError):
    """An uploaded reference dataset could not be read; ``reason`` says how it failed."""

    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class NotEnoughData(DomainError):
    """Too few logged rows for what was asked."""

    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, rows: int, needed: int) -> None:
        super().__init__(
            f"The version has {rows} logged input row(s); a profile from the log needs {needed}."
        )
        self.rows = rows
        self.needed = needed


def _rejected(exc: ModelRejected, timeout_s: float) -> ReferenceRejected:
    """The sandbox's refusal, worded for a reference dataset rather than a model."""
    if exc.reason == "invalid_example":
        return ReferenceRejected("invalid_csv", exc.message)
    if exc.reason == "load_timeout":
        return ReferenceRejected("timeout", f"Reading the reference took over {timeout_s:g} s.")
    if exc.reason == "load_memory":
        return ReferenceRejected("memory", "Reading the reference exceeded the memory limit.")
    return ReferenceRejected("failed", exc.message)


@dataclass(frozen=True, slots=True)
class DriftLimits:
    bins: int
    sample_rows: int
    reference_max_bytes: int
    profile_log_rows: int
    window_max_rows: int
    check_window_s: float
    timeout_s: float
    memory_limit_mb: int


@dataclass(frozen=True, slots=True)
class DriftReport:
    model_id: uuid.UUID
    version_id: uuid.UUID
    number: int
    profile: tables.DriftProfile
    since: datetime
    until: datetime
    rows: int
    thresholds: Thresholds
    features: list[FeatureDrift]
    prediction: FeatureDrift | None

    @property
    def enough_data(self) -> bool:
        return self.rows >= self.thresholds.min_rows

    @property
    def drifted_features(self) -> list[str]:
        drifted = [f.name for f in self.features if f.drifted]
        if self.prediction is not None and self.prediction.drifted:
            drifted.append(stats.PREDICTION)
        return drifted

    @property
    def drifted(self) -> bool:
        return self.enough_data and bool(self.drifted_features)


def columns_of(signature: dict[str, Any]) -> list[dict[str, Any]]:
    """The version's input columns, named (``x0``, ``x1``... when the model has no names) and
    typed (``number``, ``string``, ``boolean``), in the order rows give them."""
    columns = signature.get("columns")
    if columns:
        return [
            {"name": c.get("name") or f"x{i}", "type": c["type"]} for i, c in enumerate(columns)
        ]
    n = signature.get("n_features_in")
    if not n:
        raise ValidationFailed(
            [FieldError(("versionId",), "The version records no input columns.", "no_columns")]
        )
    names = signature.get("feature_names") or [f"x{i}" for i in range(n)]
    return [{"name": name, "type": "number"} for name in names]


def _kind(column: dict[str, Any]) -> str:
    return stats.NUMERIC if column["type"] == "number" else stats.CATEGORICAL


def _prediction_kind(signature: dict[str, Any], outputs: list[Any]) -> str:
    if signature.get("task") == "regression" and not any(isinstance(v, list) for v in outputs):
        return stats.NUMERIC
    return stats.CATEGORICAL


def build_profile(
    columns: list[dict[str, Any]],
    rows: list[list[Any]],
    predictions: list[Any] | None,
    *,
    signature: dict[str, Any],
    bins: int,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    features = [
        stats.feature_profile(column["name"], _kind(column), [row[i] for row in rows], bins)
        for i, column in enumerate(columns)
    ]
    prediction = None
    if predictions is not None:
        kind = _prediction_kind(signature, predictions)
        prediction = stats.feature_profile(stats.PREDICTION, kind, predictions, bins)
    return features, prediction


def compare_all(
    profile: tables.DriftProfile, rows: list[list[Any]], outputs: list[Any], t: Thresholds
) -> tuple[list[FeatureDrift], FeatureDrift | None]:
    features = [
        stats.compare(feature, [row[i] if i < len(row) else None for row in rows], t)
        for i, feature in enumerate(profile.features)
    ]
    prediction = stats.compare(profile.prediction, outputs, t) if profile.prediction else None
    return features, prediction


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class Drift:
    def __init__(
        self, *, inference: Inference, emitter: Emitter, spool_dir: Path, limits: DriftLimits
    ) -> None:
        self.inference = inference
        self.emitter = emitter
        self.spool_dir = spool_dir
        self.limits = limits
        self._slots = asyncio.Semaphore(2)

    # -- profiles -------------------------------------------------------------------------

    async def _version(
        self, caller: Caller, version_id: uuid.UUID, needed: Access
    ) -> tuple[tables.Model, tables.ModelVersion]:
        version = await tables.ModelVersion.get_or_none(id=version_id)
        if version is None:
            raise NotFound("Model version")
        found = await access.require_model(
            caller, version.model_id, needed=needed, hidden_as="Model version"
        )
        return found.model, version

    async def get_profile(
        self, *, caller: Caller, version_id: uuid.UUID
    ) -> tables.DriftProfile | None:
        """The version's profile; None when it has none. NotFound when it is not visible."""
        await self._version(caller, version_id, Access.VIEWER)
        return await tables.DriftProfile.get_or_none(version_id=version_id)

    async def profile_from_upload(
        self, *, caller: Caller, version_id: uuid.UUID, chunks: AsyncIterator[bytes]
    ) -> tables.DriftProfile:
        """Profile the version from a reference CSV (header row, one column per model input).

        Raises:
            NotFound, Forbidden: the caller may not maintain the version's model.
            PayloadTooLarge: the file is over ``reference_max_bytes``.
            ReferenceRejected: the file could not be read, or its rows not predicted.
        """
        model, version = await self._version(caller, version_id, Access.MAINTAINER)
        columns = columns_of(version.signature)
        sample_rows = max(1, min(self.limits.sample_rows, MAX_SAMPLE_CELLS // len(columns)))
        await aiofiles.os.makedirs(self.spool_dir, exist_ok=True)
        # Named like a version upload's spool, so the start-up sweep also takes a crash's.
        spool, claim = await asyncio.to_thread(claims.claim, self.spool_dir, SPOOL_PREFIX)
        try:
            await spool_upload(chunks, spool, limit=self.limits.reference_max_bytes)
            async with self._slots:
                try:
                    outcome = await run_worker(
                        {"mode": "reference", "columns": columns, "sample_rows": sample_rows},
                        artifact=spool,
                        limits=SandboxLimits(
                            timeout_s=self.limits.timeout_s,
                            memory_limit_mb=self.limits.memory_limit_mb,
                            max_output_bytes=1 << 20,
                        ),
                    )
                except ModelRejected as exc:
                    raise _rejected(exc, self.limits.timeout_s) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                await aiofiles.os.remove(spool)
            claims.release(claim)
        rows = _sampled_rows(outcome.payload, columns)
        predictions = await self._predict(model, version, rows)
        features, prediction = await asyncio.to_thread(
            build_profile,
            columns,
            rows,
            predictions,
            signature=version.signature,
            bins=self.limits.bins,
        )
        return await self._save(
            caller, version, tables.ProfileSource.UPLOAD, len(rows), features, prediction
        )

    async def profile_from_log(
        self, *, caller: Caller, version_id: uuid.UUID
    ) -> tables.DriftProfile:
        """Profile the version from its first ``profile_log_rows`` logged input rows.

        Raises:
            NotFound, Forbidden: the caller may not maintain the version's model.
            NotEnoughData: the log holds fewer rows of the version.
        """
        _, version = await self._version(caller, version_id, Access.MAINTAINER)
        columns = columns_of(version.signature)
        needed = self.limits.profile_log_rows
        rows: list[list[Any]] = []
        outputs: list[Any] = []
        async for inputs, predicted in _logged(version.id, order="created_at", limit=needed):
            rows += inputs
            outputs += predicted
        if len(rows) < needed:
            raise NotEnoughData(len(rows), needed)
        features, prediction = await asyncio.to_thread(
            build_profile,
            columns,
            rows,
            outputs,
            signature=version.signature,
            bins=self.limits.bins,
        )
        return await self._save(
            caller, version, tables.ProfileSource.LOG, len(rows), features, prediction
        )

    async def _predict(
        self, model: tables.Model, version: tables.ModelVersion, rows: list[list[Any]]
    ) -> list[Any]:
        try:
            return await self.inference.predict_unlogged(model=model, version=version, rows=rows)
        except ValidationFailed as exc:
            problem = exc.errors[0].message if exc.errors else exc.message
            raise ReferenceRejected(
                "invalid_rows", f"The model cannot take the reference rows: {problem}"
            ) from None

    async def _save(
        self,
        caller: Caller,
        version: tables.ModelVersion,
        source: tables.ProfileSource,
        rows: int,
        features: list[dict[str, Any]],
        prediction: dict[str, Any] | None,
    ) -> tables.DriftProfile:
        """Create or replace the version's profile (a new profile starts a new episode)."""
        values = {
            "model_id": version.model_id,
            "source": source,
            "rows": rows,
            "features": features,
            "prediction": prediction,
            "created_by_id": caller.user_id,
            "created_at": datetime.now(UTC),
            "drifted_since": None,
            "checked_at": None,
        }
        for _ in range(3):
            updated = await tables.DriftProfile.filter(version_id=version.id).update(**values)
            if updated:
                break
            try:
                await tables.DriftProfile.create(id=uuid.uuid4(), version_id=version.id, **values)
                break
            except IntegrityError:
                continue  # made concurrently: replace it
        return await tables.DriftProfile.get(version_id=version.id)

    # -- thresholds -----------------------------------------------------------------------

    async def get_thresholds(self, *, caller: Caller, model_id: uuid.UUID) -> Thresholds:
        await access.require_model(caller, model_id, needed=Access.VIEWER)
        return await thresholds_of(model_id)

    async def set_thresholds(
        self,
        *,
        caller: Caller,
        model_id: uuid.UUID,
        psi: float | None = None,
        ks_p_value: float | None = None,
        chi_square_p_value: float | None = None,
        min_rows: int | None = None,
    ) -> Thresholds:
        """Change the model's thresholds; what is not given keeps its value.

        Raises:
            NotFound, Forbidden: the caller may not maintain the model.
            ValidationFailed: a threshold out of range.
        """
        await access.require_model(caller, model_id, needed=Access.MAINTAINER)
        errors = []
        if psi is not None and not 0 < psi <= 10:
            errors.append(FieldError(("input", "psi"), "Must be above 0, at most 10.", "range"))
        for name, value in (("ksPValue", ks_p_value), ("chiSquarePValue", chi_square_p_value)):
            if value is not None and not 0 < value < 1:
                errors.append(FieldError(("input", name), "Must be between 0 and 1.", "range"))
        if min_rows is not None and not 1 <= min_rows <= 1_000_000:
            errors.append(FieldError(("input", "minRows"), "Must be 1..1000000.", "range"))
        if errors:
            raise ValidationFailed(errors)
        current = await thresholds_of(model_id)
        values = {
            "psi": current.psi if psi is None else psi,
            "ks_p_value": current.ks_p_value if ks_p_value is None else ks_p_value,
            "chi_square_p_value": (
                current.chi_square_p_value if chi_square_p_value is None else chi_square_p_value
            ),
            "min_rows": current.min_rows if min_rows is None else min_rows,
            "updated_by_id": caller.user_id,
        }
        if not await tables.DriftThresholds.filter(model_id=model_id).update(**values):
            try:
                await tables.DriftThresholds.create(id=uuid.uuid4(), model_id=model_id, **values)
            except IntegrityError:
                await tables.DriftThresholds.filter(model_id=model_id).update(**values)
        return await thresholds_of(model_id)

    # -- reports --------------------------------------------------------------------------

    async def report(
        self,
        *,
        caller: Caller,
        model: str,
        version_number: int | None,
        since: datetime | None,
        until: datetime | None,
    ) -> DriftReport:
        """The drift of ``model`` (an id or ``owner/name``) over ``[since, until)`` (default:
        the check's window up to now) against a version's profile (default: the newest
        version that has one).

        Raises:
            NotFound: no such model (or not visible), version, or profile.
            ValidationFailed: a window that is empty or too long.
        """
        model_id = await _visible_model(caller, model)
        until = _utc(until) if until is not None else datetime.now(UTC)
        since = _utc(since) if since is not None else until - self._check_window
        if since >= until or until - since > timedelta(days=MAX_WINDOW_DAYS):
            message = f"`since` must be before `until`, at most {MAX_WINDOW_DAYS} days apart."
            raise ValidationFailed([FieldError(("window", "since"), message, "range")])
        query = tables.DriftProfile.filter(model_id=model_id)
        if version_number is not None:
            query = query.filter(version__number=version_number)
        profile = await query.order_by("-version__number").first()
        if profile is None:
            raise NotFound("Drift profile")
        version = await tables.ModelVersion.get(id=profile.version_id)
        return await self._report(profile, version, since, until)

    @property
    def _check_window(self) -> timedelta:
        return timedelta(seconds=self.limits.check_window_s)

    async def _report(
        self,
        profile: tables.DriftProfile,
        version: tables.ModelVersion,
        since: datetime,
        until: datetime,
    ) -> DriftReport:
        limit = self.limits.window_max_rows
        rows: list[list[Any]] = []
        outputs: list[Any] = []
        async for inputs, predicted in _logged(
            version.id, order="-created_at", limit=limit, since=since, until=until
        ):
            rows += inputs
            outputs += predicted
        thresholds = await thresholds_of(profile.model_id)
        # Sorting and testing tens of thousands of values: off the event loop.
        features, prediction = await asyncio.to_thread(
            compare_all, profile, rows, outputs, thresholds
        )
        return DriftReport(
            model_id=profile.model_id,
            version_id=version.id,
            number=version.number,
            profile=profile,
            since=since,
            until=until,
            rows=len(rows),
            thresholds=thresholds,
            features=features,
            prediction=prediction,
        )

    # -- the scheduled check --------------------------------------------------------------

    async def check_all(self, *, now: datetime | None = None) -> list[DriftEvent]:
        """Report on every profiled version of a live model over the check window; emit a
        ``DriftEvent`` when a version starts drifting (once per episode: the episode ends when
        a window with enough rows is no longer drifted). Returns the events emitted."""
        until = now or datetime.now(UTC)
        since = until - self._check_window
        emitted = []
        profiles = await tables.DriftProfile.filter(model__deleted_at=None).order_by("id")
        for profile in profiles:
            version = await tables.ModelVersion.get_or_none(id=profile.version_id)
            if version is None:
                continue
            try:
                report = await self._report(profile, version, since, until)
            except Exception:
                log.warning("drift check of version %s failed", version.id, exc_info=True)
                continue
            event = await self._settle(profile, report, until)
            if event is not None:
                await self.emitter.emit(event)
                emitted.append(event)
        return emitted

    async def _settle(
        self, profile: tables.DriftProfile, report: DriftReport, now: datetime
    ) -> DriftEvent | None:
        mine = tables.DriftProfile.filter(id=profile.id)
        await mine.update(checked_at=now)
        if report.drifted:
            # Whoever sets drifted_since first opens the episode and emits, once; the
            # `drift.detected` webhooks are written in the same transaction.
            async with in_transaction():
                if not await mine.filter(drifted_since=None).update(drifted_since=now):
                    return None
                event = DriftEvent(
                    model_id=report.model_id,
                    version_id=report.version_id,
                    number=report.number,
                    features=tuple(report.drifted_features),
                    rows=report.rows,
                    since=report.since,
                    until=report.until,
                )
                model = await tables.Model.get(id=report.model_id)
                await webhooks.record(
                    webhooks.EventType.DRIFT_DETECTED,
                    model_id=report.model_id,
                    data={
                        "model": webhook_model(model),
                        "versionId": str(report.version_id),
                        "version": report.number,
                        "features": list(report.drifted_features),
                        "rows": report.rows,
                        "since": report.since.isoformat(),
                        "until": report.until.isoformat(),
                    },
                )
            return event
        if report.enough_data:
            await mine.update(drifted_since=None)
        return None


async def _visible_model(caller: Caller, model: str) -> uuid.UUID:
    if "/" in model:
        owner, _, name = model.partition("/")
        found = await access.find_model(caller, owner=owner, name=name)
    else:
        try:
            model_id = uuid.UUID(model)
        except ValueError:
            raise NotFound("Model") from None
        found = await access.find_model(caller, model_id=model_id)
    if found is None:
        raise NotFound("Model")
    return found.model.id


async def thresholds_of(model_id: uuid.UUID) -> Thresholds:
    row = await tables.DriftThresholds.get_or_none(model_id=model_id)
    if row is None:
        return Thresholds()
    return Thresholds(
        psi=row.psi,
        ks_p_value=row.ks_p_value,
        chi_square_p_value=row.chi_square_p_value,
        min_rows=row.min_rows,
    )


def _sampled_rows(payload: dict[str, Any], columns: list[dict[str, Any]]) -> list[list[Any]]:
    """The sandbox's rows, each cell checked to be what its column allows (untrusted data)."""
    reference = payload.get("reference")
    rows = reference.get("rows") if isinstance(reference, dict) else None
    if not isinstance(rows, list) or not rows:
        raise ReferenceRejected("failed", "The reference could not be read.")
    allowed = {"number": (int, float), "string": (str,), "boolean": (bool,)}
    for row in rows:
        if not isinstance(row, list) or len(row) != len(columns):
            raise ReferenceRejected("failed", "The reference could not be read.")
        for cell, column in zip(row, columns, strict=True):
            kinds = allowed[column["type"]]
            if cell is not None and (
                not isinstance(cell, kinds) or (column["type"] == "number" and cell is True)
            ):
                raise ReferenceRejected("failed", "The reference could not be read.")
    return rows


async def _logged(
    version_id: uuid.UUID,
    *,
    order: str,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AsyncIterator[tuple[list[list[Any]], list[Any]]]:
    """The version's successful logged predictions, as (input rows, outputs), at most
    ``limit`` rows in all, a page at a time."""
    query = tables.PredictionLog.filter(
        version_id=version_id, status=tables.PredictionStatus.OK, inputs__not_isnull=True
    )
    if since is not None:
        query = query.filter(created_at__gte=since)
    if until is not None:
        query = query.filter(created_at__lt=until)
    taken, offset = 0, 0
    while taken < limit:
        page = (
            await query.order_by(order, "id")
            .offset(offset)
            .limit(LOG_PAGE)
            .values_list("inputs", "outputs")
        )
        if not page:
            return
        offset += len(page)
        for inputs, outputs in page:
            if not isinstance(inputs, list) or not isinstance(outputs, list):
                continue
            if len(inputs) != len(outputs):
                continue
            keep = inputs[: limit - taken]
            taken += len(keep)
            yield keep, outputs[: len(keep)]
            if taken >= limit:
                return
