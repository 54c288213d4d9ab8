"""Analytics of a model's predictions, computed in the database, and its prediction log.

Who sees what: anyone who can see a model (a viewer and up) reads its aggregate analytics; the
top callers and the raw log (inputs and outputs) need maintainer access, which owners and
administrators have. A model the caller cannot see is ``NotFound``, as everywhere else.

Every figure is computed by the database over ``[since, until)``:

- Latency percentiles are PostgreSQL's ``percentile_cont``: with the n latencies sorted and
  h = q * (n - 1), the value is ``v[floor(h)] + (h - floor(h)) * (v[floor(h) + 1] - v[floor(h)])``
  (linear interpolation between the closest ranks, numpy's ``method="linear"``). SQLite has no
  percentile function, so the same formula is written with ``ROW_NUMBER()`` and
  ``COUNT(*) OVER ()``, with the same double operations in the same order: both dialects return
  the same numbers.
- Buckets are ``date_trunc(unit, created_at, 'UTC')`` on PostgreSQL; SQLite keeps timestamps as
  UTC text (``YYYY-MM-DD HH:MM:SS[.ffffff]+00:00``, Tortoise's format), so a prefix of it is the
  bucket. Buckets start in UTC; empty ones are filled with zeros.
- Output distributions unnest each row's list of outputs with ``jsonb_array_elements`` or
  ``json_each``: the 20 most frequent values (class labels), and for numeric outputs
  (regression) count, min, mean, max and a 10-bin histogram.
- Shadow versions' copies of calls (``shadow`` rows) answered no one: the model's own figures
  leave them out, and each version is reported apart as it served and as it shadowed, the
  shadow with its agreement with the answers callers got (agreed rows over compared rows).

Statements are written per dialect with numbered placeholders; only placeholders and constant
fragments ever enter the statement text, every value is a parameter.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise import connections
from tortoise.expressions import Q

from domain.accounts import Caller
from domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from domain.registry.access import Access, require_model
from storage import tables

SQLITE = "sqlite"
POSTGRES = "postgres"

PERCENTILES = (0.5, 0.95, 0.99)
MAX_RANGE_DAYS = 400
MAX_BUCKETS = 2000
TOP_VALUES = 20
TOP_CALLERS = 10
HISTOGRAM_BINS = 10


class Bucket(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"

    @property
    def step(self) -> timedelta:
        return _STEPS[self]

    def floor(self, at: datetime) -> datetime:
        """The start (UTC) of the bucket holding ``at``."""
        at = at.astimezone(UTC).replace(second=0, microsecond=0)
        if self is not Bucket.MINUTE:
            at = at.replace(minute=0)
        if self is Bucket.DAY:
            at = at.replace(hour=0)
        return at


_STEPS = {
    Bucket.MINUTE: timedelta(minutes=1),
    Bucket.HOUR: timedelta(hours=1),
    Bucket.DAY: timedelta(days=1),
}
# SQLite: how much of the stored UTC text names the bucket, and how to read it back.
_SQLITE_PREFIX = {
    Bucket.MINUTE: (16, "%Y-%m-%d %H:%M"),
    Bucket.HOUR: (13, "%Y-%m-%d %H"),
    Bucket.DAY: (10, "%Y-%m-%d"),
}


@dataclass(frozen=True, slots=True)
class LatencyPercentiles:
    """Milliseconds; None when there was nothing to measure."""

    p50: float | None
    p95: float | None
    p99: float | None


@dataclass(frozen=True, slots=True)
class ThroughputBucket:
    start: datetime
    count: int
    errors: int


@dataclass(frozen=True, slots=True)
class OutputValueCount:
    value: Any
    count: int


@dataclass(frozen=True, slots=True)
class HistogramBin:
    """``[lower, upper)``; the last bin also holds ``upper``."""

    lower: float
    upper: float
    count: int


@dataclass(frozen=True, slots=True)
class NumericSummary:
    count: int
    min: float
    mean: float
    max: float
    histogram: list[HistogramBin]


@dataclass(frozen=True, slots=True)
class OutputDistribution:
    total: int
    values: list[OutputValueCount]
    numeric: NumericSummary | None


@dataclass(frozen=True, slots=True)
class CallerCount:
    user_id: uuid.UUID
    username: str
    count: int


@dataclass(frozen=True, slots=True)
class Agreement:
    """How a shadow's answers compared with the callers': rows that agreed, of rows compared."""

    compared_rows: int
    agreed_rows: int

    @property
    def rate(self) -> float | None:
        return self.agreed_rows / self.compared_rows if self.compared_rows else None


@dataclass(frozen=True, slots=True)
class VersionAnalytics:
    version_id: uuid.UUID | None
    number: int | None
    count: int
    errors: int
    latency: LatencyPercentiles
    shadow: bool = False
    outputs: OutputDistribution | None = None
    agreement: Agreement | None = None  # for a shadow only

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.count if self.count else None


@dataclass(frozen=True, slots=True)
class ModelAnalytics:
    model_id: uuid.UUID
    version_id: uuid.UUID | None
    since: datetime
    until: datetime
    bucket: Bucket
    count: int
    errors: int
    rows: int
    latency: LatencyPercentiles
    throughput: list[ThroughputBucket]
    outputs: OutputDistribution
    # None when the caller may not see who calls the model (below maintainer).
    top_callers: list[CallerCount] | None
    versions: list[VersionAnalytics]

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.count if self.count else None


@dataclass(frozen=True, slots=True)
class LogFilter:
    version_id: uuid.UUID | None = None
    status: tables.PredictionStatus | None = None
    since: datetime | None = None
    until: datetime | None = None
    request_id: str | None = None
    shadow: bool | None = None  # only shadow copies, only answered calls, or both


# -- public API ---------------------------------------------------------------------------


async def model_analytics(
    *,
    caller: Caller,
    model_id: uuid.UUID,
    version_id: uuid.UUID | None = None,
    since: datetime,
    until: datetime,
    bucket: Bucket = Bucket.HOUR,
) -> ModelAnalytics:
    """Usage and behaviour of a model (or one of its versions) over ``[since, until)``.

    Raises:
        ValidationFailed: ``until`` is not after ``since``, the range passes
            ``MAX_RANGE_DAYS``, or it holds more than ``MAX_BUCKETS`` buckets.
        NotFound: the model is not visible to the caller, or the version is not one of its own.
    """
    since, until = _utc(since), _utc(until)
    _check_range(since, until, bucket)
    model, access = await require_model(caller, model_id)
    if version_id is not None and not await tables.ModelVersion.exists(
        id=version_id, model_id=model.id
    ):
        raise NotFound("Model version")
    db = _Database.default()
    scope = _Scope(model_id=model.id, version_id=version_id, since=since, until=until)

    overall = await db.grouped_stats(scope, by_version=False)
    stats = overall[0][1] if overall else _Stats.empty()
    shadowed = replace(scope, shadow=True)
    per_version = [
        (key, figures, False) for key, figures in await db.grouped_stats(scope, by_version=True)
    ] + [(key, figures, True) for key, figures in await db.grouped_stats(shadowed, by_version=True)]
    numbers = dict(
        await tables.ModelVersion.filter(
            id__in=[key for key, _, _ in per_version if key is not None]
        ).values_list("id", "number")
    )
    agreements = await db.agreement(shadowed) if any(s for _, _, s in per_version) else {}
    versions = [
        VersionAnalytics(
            version_id=key,
            number=numbers.get(key) if key is not None else None,
            count=figures.count,
            errors=figures.errors,
            latency=figures.latency,
            shadow=shadow,
            outputs=await db.outputs(replace(scope, version_id=key, shadow=shadow))
            if key is not None
            else None,
            agreement=agreements.get(key, Agreement(0, 0)) if shadow else None,
        )
        for key, figures, shadow in per_version
    ]
    # Newest version first, serving before shadowing; rows whose version was deleted last.
    versions.sort(key=lambda v: (-1 if v.number is None else v.number, not v.shadow), reverse=True)
    return ModelAnalytics(
        model_id=model.id,
        version_id=version_id,
        since=since,
        until=until,
        bucket=bucket,
        count=stats.count,
        errors=stats.errors,
        rows=stats.rows,
        latency=stats.latency,
        throughput=_fill(await db.throughput(scope, bucket), since, until, bucket),
        outputs=await db.outputs(scope),
        top_callers=await db.top_callers(scope) if access >= Access.MAINTAINER else None,
        versions=versions,
    )


async def list_prediction_log(
    *,
    caller: Caller,
    model_id: uuid.UUID,
    filter: LogFilter | None = None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[tables.PredictionLog]:
    """A model's logged predictions, newest first, keyset-paginated on (created_at, id).

    Raises:
        ValidationFailed: the filter's ``until`` is not after its ``since``.
        NotFound: the model is not visible to the caller.
        Forbidden: the caller sees the model but does not maintain it.
    """
    filter = filter or LogFilter()
    since = _utc(filter.since) if filter.since else None
    until = _utc(filter.until) if filter.until else None
    if since is not None and until is not None and since >= until:
        raise ValidationFailed(
            [FieldError(("filter", "until"), "Must be after `since`.", "invalid_range")]
        )
    model, access = await require_model(caller, model_id)
    if access < Access.MAINTAINER:
        raise Forbidden("Only maintainers can read a model's prediction log.")
    query = tables.PredictionLog.filter(model_id=model.id)
    if filter.version_id is not None:
        query = query.filter(version_id=filter.version_id)
    if filter.status is not None:
        query = query.filter(status=filter.status)
    if since is not None:
        query = query.filter(created_at__gte=since)
    if until is not None:
        query = query.filter(created_at__lt=until)
    if filter.request_id is not None:
        query = query.filter(request_id=filter.request_id)
    if filter.shadow is not None:
        query = query.filter(shadow=filter.shadow)
    if after is not None:
        created, last_id = after
        created = _utc(created)
        query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
    return await query.order_by("-created_at", "-id").limit(limit)


# -- rules --------------------------------------------------------------------------------


def _utc(at: datetime) -> datetime:
    """Aware and in UTC; a naive time is taken to be UTC already."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _check_range(since: datetime, until: datetime, bucket: Bucket) -> None:
    if since >= until:
        raise ValidationFailed([FieldError(("until",), "Must be after `since`.", "invalid_range")])
    errors: list[FieldError] = []
    if until - since > timedelta(days=MAX_RANGE_DAYS):
        errors.append(
            FieldError(
                ("since",), f"The range may span at most {MAX_RANGE_DAYS} days.", "range_too_long"
            )
        )
    buckets = _bucket_count(since, until, bucket)
    if buckets > MAX_BUCKETS:
        errors.append(
            FieldError(
                ("bucket",),
                f"The range holds {buckets} {bucket.value} buckets; at most {MAX_BUCKETS}. "
                "Choose a larger bucket or a shorter range.",
                "too_many_buckets",
            )
        )
    if errors:
        raise ValidationFailed(errors)


def _bucket_count(since: datetime, until: datetime, bucket: Bucket) -> int:
    span = until - bucket.floor(since)
    return -(-span // bucket.step)


def _fill(
    counted: dict[datetime, tuple[int, int]], since: datetime, until: datetime, bucket: Bucket
) -> list[ThroughputBucket]:
    """Every bucket of the range, in order, with zeros where nothing happened."""
    buckets = []
    start = bucket.floor(since)
    while start < until:
        count, errors = counted.get(start, (0, 0))
        buckets.append(ThroughputBucket(start=start, count=count, errors=errors))
        start += bucket.step
    return buckets


# -- SQL ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Stats:
    count: int
    errors: int
    rows: int
    latency: LatencyPercentiles

    @classmethod
    def empty(cls) -> _Stats:
        return cls(0, 0, 0, LatencyPercentiles(None, None, None))


@dataclass(frozen=True, slots=True)
class _Scope:
    model_id: uuid.UUID
    version_id: uuid.UUID | None
    since: datetime
    until: datetime
    shadow: bool = False  # shadow copies, or the calls callers were answered

    def where(self, statement: _Statement) -> str:
        """The rows of the scope, on the (model_id, created_at) or (version_id, ...) index."""
        clauses = [
            f"p.model_id = {statement.param(self.model_id)}",
            f"p.created_at >= {statement.param(self.since)}",
            f"p.created_at < {statement.param(self.until)}",
            f"p.shadow = {statement.param(self.shadow)}",
        ]
        if self.version_id is not None:
            clauses.append(f"p.version_id = {statement.param(self.version_id)}")
        return " AND ".join(clauses)


class _Statement:
    """Parameters of one statement, with numbered placeholders (``?1`` or ``$1``)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def param(self, value: Any) -> str:
        if self.dialect == SQLITE:
            # As Tortoise stores them: UUIDs as text, times as UTC ISO text (which then compare
            # in time order).
            if isinstance(value, uuid.UUID):
                value = str(value)
            elif isinstance(value, datetime):
                value = _utc(value).isoformat(" ")
        self.values.append(value)
        n = len(self.values)
        return f"?{n}" if self.dialect == SQLITE else f"${n}"


# Each row's outputs, one element per row of `e` (a non-list `outputs` contributes none).
_ELEMENTS = {
    POSTGRES: "CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.outputs) = "
    "'array' THEN p.outputs ELSE '[]'::jsonb END) AS e(value)",
    SQLITE: ", json_each(CASE WHEN json_valid(p.outputs) THEN CASE WHEN json_type(p.outputs) "
    "= 'array' THEN p.outputs END END) AS e",
}


class _Database:
    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.dialect = connection.capabilities.dialect
        if self.dialect not in {SQLITE, POSTGRES}:
            raise RuntimeError(f"analytics support SQLite and PostgreSQL, not {self.dialect}")

    @classmethod
    def default(cls) -> _Database:
        return cls(connections.get("default"))

    def statement(self) -> _Statement:
        return _Statement(self.dialect)

    async def fetch(self, sql: str, statement: _Statement) -> list[dict[str, Any]]:
        return await self.connection.execute_query_dict(sql, statement.values)

    async def grouped_stats(
        self, scope: _Scope, *, by_version: bool
    ) -> list[tuple[uuid.UUID | None, _Stats]]:
        """Count, errors, rows and latency percentiles for the scope, or per version in it."""
        key = "p.version_id" if by_version else "p.model_id"
        s = self.statement()
        where = scope.where(s)
        if self.dialect == POSTGRES:
            sql = f"""
                SELECT {key} AS k, COUNT(*) AS n,
                       COUNT(*) FILTER (WHERE p.status = 'error') AS errors,
                       SUM(p.n_rows) AS n_rows,
                       percentile_cont({s.param(list(PERCENTILES))}::float8[])
                           WITHIN GROUP (ORDER BY p.latency_ms) AS pct
                FROM prediction_logs AS p
                WHERE {where}
                GROUP BY {key}
            """  # noqa: S608 # nosec B608 - placeholders and constant fragments only
            return [
                (
                    _as_uuid(row["k"]),
                    _Stats(
                        int(row["n"]),
                        int(row["errors"]),
                        int(row["n_rows"]),
                        LatencyPercentiles(*row["pct"]),
                    ),
                )
                for row in await self.fetch(sql, s)
            ]
        # percentile_cont by hand: i is the 0-based rank, h = q * (n - 1) the wanted one; keep
        # the ranks floor(h) and floor(h) + 1 and interpolate as PostgreSQL does
        # (lo + frac * (hi - lo), or lo itself when h is a whole rank).
        quantiles = ", ".join(f"({s.param(q)})" for q in PERCENTILES)
        sql = f"""
            WITH s AS (
                SELECT {key} AS k, p.status AS status, p.n_rows AS n_rows, p.latency_ms AS v,
                       ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY p.latency_ms) - 1 AS i,
                       COUNT(*) OVER (PARTITION BY {key}) AS n
                FROM prediction_logs AS p
                WHERE {where}
            ),
            q(q) AS (VALUES {quantiles}),
            t AS (SELECT s.k, q.q, s.i, s.v, q.q * (s.n - 1) AS h FROM s CROSS JOIN q),
            pct AS (
                SELECT k, q,
                       MAX(CASE WHEN i = CAST(h AS INTEGER) THEN v END) AS lo,
                       MAX(CASE WHEN i = CAST(h AS INTEGER) + 1 THEN v END) AS hi,
                       MAX(h - CAST(h AS INTEGER)) AS frac
                FROM t
                WHERE i BETWEEN CAST(h AS INTEGER) AND CAST(h AS INTEGER) + 1
                GROUP BY k, q
            ),
            agg AS (
                SELECT k, COUNT(*) AS n, SUM(status = 'error') AS errors, SUM(n_rows) AS n_rows
                FROM s GROUP BY k
            )
            SELECT agg.k AS k, agg.n AS n, agg.errors AS errors, agg.n_rows AS n_rows,
                   pct.q AS q,
                   CASE WHEN pct.frac = 0 THEN pct.lo
                        ELSE pct.lo + pct.frac * (pct.hi - pct.lo) END AS value
            FROM agg JOIN pct ON pct.k IS agg.k
        """  # noqa: S608 # nosec B608 - placeholders and constant fragments only
        grouped: dict[Any, dict[str, Any]] = {}
        for row in await self.fetch(sql, s):
            entry = grouped.setdefault(row["k"], {"row": row, "pct": {}})
            entry["pct"][row["q"]] = row["value"]
        return [
            (
                _as_uuid(k),
                _Stats(
                    int(entry["row"]["n"]),
                    int(entry["row"]["errors"]),
                    int(entry["row"]["n_rows"]),
                    LatencyPercentiles(*(entry["pct"][q] for q in PERCENTILES)),
                ),
            )
            for k, entry in grouped.items()
        ]

    async def throughput(self, scope: _Scope, bucket: Bucket) -> dict[datetime, tuple[int, int]]:
        """(count, errors) per bucket start, for buckets that saw a prediction."""
        s = self.statement()
        where = scope.where(s)
        if self.dialect == POSTGRES:
            start = f"date_trunc({s.param(bucket.value)}, p.created_at, 'UTC')"
            errors = "COUNT(*) FILTER (WHERE p.status = 'error')"
        else:
            start = f"substr(p.created_at, 1, {s.param(_SQLITE_PREFIX[bucket][0])})"
            errors = "SUM(p.status = 'error')"
        sql = f"""
            SELECT {start} AS b, COUNT(*) AS n, {errors} AS errors
            FROM prediction_logs AS p
            WHERE {where}
            GROUP BY 1
        """  # noqa: S608 # nosec B608 - placeholders and constant fragments only
        counted = {}
        for row in await self.fetch(sql, s):
            at = row["b"]
            if isinstance(at, str):
                at = datetime.strptime(at, _SQLITE_PREFIX[bucket][1]).replace(tzinfo=UTC)
            counted[_utc(at)] = (int(row["n"]), int(row["errors"]))
        return counted

    async def outputs(self, scope: _Scope) -> OutputDistribution:
        total, values = await self._top_values(scope)
        return OutputDistribution(total=total, values=values, numeric=await self._numeric(scope))

    async def _top_values(self, scope: _Scope) -> tuple[int, list[OutputValueCount]]:
        """The most frequent output values; ties in the order of their JSON text."""
        s = self.statement()
        where = scope.where(s)
        if self.dialect == POSTGRES:
            value, group, tie = "e.value::text", "e.value", 'e.value::text COLLATE "C"'
            total = "(SUM(COUNT(*)) OVER ())::bigint"
        else:
            # One key per JSON value: numbers as numbers (1 and 1.0 together, as jsonb groups
            # them), everything else as its JSON text (so true is not 1, nor "1" 1).
            value = group = (
                "CASE WHEN e.type IN ('integer', 'real') THEN e.value "
                "WHEN e.type = 'text' THEN json_quote(e.value) "
                "WHEN e.type IN ('array', 'object') THEN e.value ELSE e.type END"
            )
            tie = f"CAST({group} AS TEXT)"
            total = "SUM(COUNT(*)) OVER ()"
        sql = f"""
            SELECT {value} AS v, COUNT(*) AS n, {total} AS total
            FROM prediction_logs AS p {_ELEMENTS[self.dialect]}
            WHERE {where}
            GROUP BY {group}
            ORDER BY n DESC, {tie}
            LIMIT {s.param(TOP_VALUES)}
        """  # noqa: S608 # nosec B608 - placeholders and constant fragments only
        rows = await self.fetch(sql, s)
        values = [
            OutputValueCount(
                value=json.loads(row["v"]) if isinstance(row["v"], str) else row["v"],
                count=int(row["n"]),
            )
            for row in rows
        ]
        return (int(rows[0]["total"]) if rows else 0), values

    async def _numeric(self, scope: _Scope) -> NumericSummary | None:
        """Count, min, mean, max and an equal-width histogram of the numeric outputs."""
        s = self.statement()
        where = scope.where(s)
        bins, last = s.param(float(HISTOGRAM_BINS)), s.param(float(HISTOGRAM_BINS - 1))
        if self.dialect == POSTGRES:
            number = "(e.value)::float8"
            is_number = "jsonb_typeof(e.value) = 'number'"
            bin_of = f"LEAST(FLOOR((x.x - st.lo) / (st.hi - st.lo) * {bins}), {last})::int"
        else:
            number = "CAST(e.value AS REAL)"
            is_number = "e.type IN ('integer', 'real')"
            bin_of = f"MIN(CAST((x.x - st.lo) / (st.hi - st.lo) * {bins} AS INTEGER), {last})"
        sql = f"""
            WITH x AS (
                SELECT {number} AS x
                FROM prediction_logs AS p {_ELEMENTS[self.dialect]}
                WHERE {where} AND {is_number}
            ),
            st AS (SELECT COUNT(*) AS n, MIN(x) AS lo, MAX(x) AS hi, AVG(x) AS mean FROM x),
            h AS (
                SELECT CASE WHEN st.hi = st.lo THEN 0 ELSE {bin_of} END AS bin, COUNT(*) AS c
                FROM x CROSS JOIN st
                GROUP BY 1
            )
            SELECT st.n AS n, st.lo AS lo, st.hi AS hi, st.mean AS mean, h.bin AS bin, h.c AS c
            FROM st LEFT JOIN h ON 1 = 1
            ORDER BY h.bin
        """  # noqa: S608 # nosec B608 - placeholders and constant fragments only
        rows = await self.fetch(sql, s)
        if not rows or not rows[0]["n"]:
            return None
        first = rows[0]
        lo, hi = float(first["lo"]), float(first["hi"])
        counts = {int(row["bin"]): int(row["c"]) for row in rows if row["bin"] is not None}
        if lo == hi:
            histogram = [HistogramBin(lower=lo, upper=hi, count=counts.get(0, 0))]
        else:
            width = (hi - lo) / HISTOGRAM_BINS
            histogram = [
                HistogramBin(
                    lower=lo + i * width,
                    upper=hi if i == HISTOGRAM_BINS - 1 else lo + (i + 1) * width,
                    count=counts.get(i, 0),
                )
                for i in range(HISTOGRAM_BINS)
            ]
        return NumericSummary(
            count=int(first["n"]), min=lo, mean=float(first["mean"]), max=hi, histogram=histogram
        )

    async def agreement(self, scope: _Scope) -> dict[uuid.UUID, Agreement]:
        """Per shadow version: rows compared (both answered) and rows that agreed."""
        s = self.statement()
        where = scope.where(s)
        sql = f"""
            SELECT p.version_id AS k, SUM(p.n_rows) AS n, SUM(p.agreed_rows) AS agreed
            FROM prediction_logs AS p
            WHERE {where} AND p.agreed_rows IS NOT NULL
            GROUP BY p.version_id
        """  # noqa: S608 # nosec B608 - placeholders and constant fragments only
        return {
            _as_uuid(row["k"]): Agreement(int(row["n"]), int(row["agreed"]))
            for row in await self.fetch(sql, s)
            if row["k"] is not None
        }

    async def top_callers(self, scope: _Scope) -> list[CallerCount]:
        """The callers with the most predictions (whose accounts still exist)."""
        s = self.statement()
        where = scope.where(s)
        collate = ' COLLATE "C"' if self.dialect == POSTGRES else ""
        sql = f"""
            SELECT p.caller_id AS user_id, u.username AS username, COUNT(*) AS n
            FROM prediction_logs AS p JOIN users AS u ON u.id = p.caller_id
            WHERE {where}
            GROUP BY p.caller_id, u.username
            ORDER BY n DESC, u.username{collate}
            LIMIT {s.param(TOP_CALLERS)}
        """  # noqa: S608 # nosec B608 - placeholders and constant fragments only
        return [
            CallerCount(user_id=_as_uuid(row["user_id"]), username=row["username"], count=row["n"])
            for row in await self.fetch(sql, s)
        ]


def _as_uuid(value: Any) -> Any:
    """A key as read back: asyncpg gives UUIDs, SQLite their text; None stays None."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(value)
