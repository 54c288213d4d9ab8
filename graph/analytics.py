"""Analytics in the schema: `modelAnalytics` and the `predictionLog` connection."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from domain import analytics
from domain.errors import NotFound
from graph.accounts import UserProfile
from graph.context import Info, IsAuthenticated
from graph.pagination import Connection, Edge, PageInfo, decode_cursor, encode_cursor, page_size
from graph.registry import ModelVersion, parse_id
from storage import tables


@strawberry.enum(description="The width of a throughput bucket; buckets start in UTC.")
class TimeBucket(Enum):
    MINUTE = strawberry.enum_value("minute", description="One-minute buckets.")
    HOUR = strawberry.enum_value("hour", description="One-hour buckets.")
    DAY = strawberry.enum_value("day", description="One-day buckets (UTC days).")


@strawberry.enum(description="Whether a prediction answered or failed.")
class PredictionStatus(Enum):
    OK = strawberry.enum_value("ok", description="It answered.")
    ERROR = strawberry.enum_value("error", description="It failed; `errorCode` says how.")


@strawberry.type(
    description="Latency in milliseconds, interpolated linearly between the closest ranks "
    "(PostgreSQL's percentile_cont). Every logged prediction counts, failures included; "
    "null when there were none."
)
class LatencyPercentiles:
    p50: float | None = strawberry.field(description="The median, in milliseconds.")
    p95: float | None = strawberry.field(description="95th percentile, in milliseconds.")
    p99: float | None = strawberry.field(description="99th percentile, in milliseconds.")

    @classmethod
    def from_domain(cls, latency: analytics.LatencyPercentiles) -> LatencyPercentiles:
        return cls(p50=latency.p50, p95=latency.p95, p99=latency.p99)


@strawberry.type(description="Predictions that started within one bucket.")
class ThroughputBucket:
    start: datetime = strawberry.field(description="Start of the bucket (UTC).")
    count: int = strawberry.field(description="Predictions, failures included.")
    errors: int = strawberry.field(description="Failed predictions.")


@strawberry.type(description="How often one output value (a class label, say) was predicted.")
class OutputValueCount:
    value: JSON | None = strawberry.field(
        description="The predicted value, as the log holds it (null for a JSON null)."
    )
    count: int = strawberry.field(description="Rows predicted with this value.")


@strawberry.type(description="One equal-width bin of a histogram.")
class HistogramBin:
    lower: float = strawberry.field(description="Inclusive lower edge.")
    upper: float = strawberry.field(
        description="Exclusive upper edge; the last bin includes it (it is the maximum)."
    )
    count: int = strawberry.field(description="Values in the bin.")


@strawberry.type(description="The numeric outputs (a regression's predictions) summarised.")
class NumericSummary:
    count: int = strawberry.field(description="Numeric output values counted.")
    min: float = strawberry.field(description="The smallest value.")
    mean: float = strawberry.field(description="The arithmetic mean.")
    max: float = strawberry.field(description="The largest value.")
    histogram: list[HistogramBin] = strawberry.field(
        description="10 equal-width bins from min to max (a single bin when min equals max)."
    )

    @classmethod
    def from_domain(cls, summary: analytics.NumericSummary) -> NumericSummary:
        return cls(
            count=summary.count,
            min=summary.min,
            mean=summary.mean,
            max=summary.max,
            histogram=[
                HistogramBin(lower=b.lower, upper=b.upper, count=b.count) for b in summary.histogram
            ],
        )


@strawberry.type(
    description="What the model predicted: one value per predicted row, from successful "
    "predictions whose outputs the log kept (log policy `full` or `hash`)."
)
class OutputDistribution:
    total: int = strawberry.field(description="Output values counted.")
    values: list[OutputValueCount] = strawberry.field(
        description="The 20 most frequent values (class labels), most frequent first; ties in "
        "the order of their JSON text."
    )
    numeric: NumericSummary | None = strawberry.field(
        description="Summary of the numeric values (regression); null when there are none."
    )

    @classmethod
    def from_domain(cls, outputs: analytics.OutputDistribution) -> OutputDistribution:
        return cls(
            total=outputs.total,
            values=[OutputValueCount(value=v.value, count=v.count) for v in outputs.values],
            numeric=NumericSummary.from_domain(outputs.numeric) if outputs.numeric else None,
        )


@strawberry.type(description="A user and how many predictions they made.")
class CallerCount:
    user_id: strawberry.ID = strawberry.field(description="The user's id.")
    username: str = strawberry.field(description="The user's public handle.")
    count: int = strawberry.field(description="Predictions, failures included.")


@strawberry.type(
    description="How a shadow version's answers compared with those callers got for the same "
    "calls: a row agrees when the values are equal (numbers within a relative 1e-6)."
)
class ShadowAgreement:
    compared_rows: float = strawberry.field(
        description="Rows both the caller's version and the shadow answered."
    )
    agreed_rows: float = strawberry.field(description="Of those, rows where they agreed.")
    rate: float | None = strawberry.field(
        description="agreedRows / comparedRows, from 0 to 1; null when nothing was compared."
    )


@strawberry.type(
    description="The figures of one version within the range: as it answered callers, or "
    "(`shadow: true`) as it received shadow copies of their calls."
)
class VersionAnalytics:
    number: int | None = strawberry.field(
        description="The version's number; null for predictions of a since deleted version."
    )
    shadow: bool = strawberry.field(
        description="True for the copies this version ran as a shadow, answered to no one."
    )
    outputs: OutputDistribution | None = strawberry.field(
        description="What this version predicted; null for a since deleted version."
    )
    agreement: ShadowAgreement | None = strawberry.field(
        description="For a shadow: its agreement with the callers' answers; null otherwise."
    )
    count: int = strawberry.field(description="Predictions, failures included.")
    error_count: int = strawberry.field(description="Failed predictions.")
    error_rate: float | None = strawberry.field(
        description="errorCount / count, from 0 to 1; null when count is 0."
    )
    latency: LatencyPercentiles = strawberry.field(description="This version's latency.")
    version_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The version; null when it was deleted.")
    async def version(self, info: Info) -> ModelVersion | None:
        if self.version_id is None:
            return None
        version = await info.context.loaders.version_by_id.load(self.version_id)
        return ModelVersion.from_table(version) if version else None

    @classmethod
    def from_domain(cls, version: analytics.VersionAnalytics) -> VersionAnalytics:
        agreement = version.agreement
        return cls(
            shadow=version.shadow,
            outputs=OutputDistribution.from_domain(version.outputs) if version.outputs else None,
            agreement=None
            if agreement is None
            else ShadowAgreement(
                compared_rows=agreement.compared_rows,
                agreed_rows=agreement.agreed_rows,
                rate=agreement.rate,
            ),
            number=version.number,
            count=version.count,
            error_count=version.errors,
            error_rate=version.error_rate,
            latency=LatencyPercentiles.from_domain(version.latency),
            version_id=version.version_id,
        )


@strawberry.type(
    description="How a model was used and behaved over [since, until), computed by the "
    "database from the prediction log (within the log's retention period)."
)
class ModelAnalytics:
    model_id: strawberry.ID = strawberry.field(description="The model analysed.")
    version_id: strawberry.ID | None = strawberry.field(
        description="The version the figures are restricted to, if one was asked for."
    )
    since: datetime = strawberry.field(description="Start of the range (inclusive, UTC).")
    until: datetime = strawberry.field(description="End of the range (exclusive, UTC).")
    bucket: TimeBucket = strawberry.field(description="The width of `throughput` buckets.")
    count: int = strawberry.field(
        description="Predictions answered, failures included (shadow copies are not counted)."
    )
    error_count: int = strawberry.field(description="Failed predictions.")
    error_rate: float | None = strawberry.field(
        description="errorCount / count, from 0 to 1; null when count is 0."
    )
    rows: float = strawberry.field(
        description="Input rows submitted, summed over every prediction (a Float, as it can "
        "pass 2^31)."
    )
    latency: LatencyPercentiles = strawberry.field(description="Latency of every prediction.")
    throughput: list[ThroughputBucket] = strawberry.field(
        description="Every bucket of the range in time order, empty ones included "
        f"(at most {analytics.MAX_BUCKETS})."
    )
    outputs: OutputDistribution = strawberry.field(description="What the model predicted.")
    top_callers: list[CallerCount] | None = strawberry.field(
        description=f"The {analytics.TOP_CALLERS} users with the most predictions, most first. "
        "Null unless you maintain the model (maintainers, the owner and administrators)."
    )
    versions: list[VersionAnalytics] = strawberry.field(
        description="Per version, newest first (its answered calls, then its shadow copies); a "
        "deleted version's predictions come last."
    )

    @classmethod
    def from_domain(cls, result: analytics.ModelAnalytics) -> ModelAnalytics:
        return cls(
            model_id=strawberry.ID(str(result.model_id)),
            version_id=strawberry.ID(str(result.version_id)) if result.version_id else None,
            since=result.since,
            until=result.until,
            bucket=TimeBucket(result.bucket.value),
            count=result.count,
            error_count=result.errors,
            error_rate=result.error_rate,
            rows=result.rows,
            latency=LatencyPercentiles.from_domain(result.latency),
            throughput=[
                ThroughputBucket(start=b.start, count=b.count, errors=b.errors)
                for b in result.throughput
            ],
            outputs=OutputDistribution.from_domain(result.outputs),
            top_callers=(
                None
                if result.top_callers is None
                else [
                    CallerCount(
                        user_id=strawberry.ID(str(c.user_id)), username=c.username, count=c.count
                    )
                    for c in result.top_callers
                ]
            ),
            versions=[VersionAnalytics.from_domain(v) for v in result.versions],
        )


@strawberry.type(description="One prediction as the log recorded it.")
class PredictionLogEntry:
    id: strawberry.ID = strawberry.field(description="The log entry's id.")
    request_id: str = strawberry.field(description="The X-Request-ID of the call.")
    status: PredictionStatus = strawberry.field(description="Whether it answered or failed.")
    error_code: str | None = strawberry.field(
        description="Why it failed (an error code such as PREDICTION_TIMEOUT); null when ok."
    )
    n_rows: int = strawberry.field(description="Input rows submitted.")
    latency_ms: float = strawberry.field(description="Server time for the call, milliseconds.")
    inputs: JSON | None = strawberry.field(
        description="The input rows; null unless the model's log policy is `full`."
    )
    inputs_hash: str | None = strawberry.field(
        description="SHA-256 of the input rows when the log policy is `hash`; null otherwise."
    )
    outputs: JSON | None = strawberry.field(
        description="One prediction per row; null for failures and when the policy is `none`."
    )
    created_at: datetime = strawberry.field(description="When the call was answered.")
    shadow: bool = strawberry.field(
        description="A shadow version's copy of the call (answered to no one; the caller's own "
        "entry has the same requestId and holds the inputs)."
    )
    agreed_rows: int | None = strawberry.field(
        description="For a shadow copy: rows whose answer agreed with the caller's; null "
        "otherwise, or when either failed."
    )
    version_id: strawberry.Private[uuid.UUID | None]
    caller_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The version that answered; null when it was deleted.")
    async def version(self, info: Info) -> ModelVersion | None:
        if self.version_id is None:
            return None
        version = await info.context.loaders.version_by_id.load(self.version_id)
        return ModelVersion.from_table(version) if version else None

    @strawberry.field(description="Who called; null when the account was deleted.")
    async def caller(self, info: Info) -> UserProfile | None:
        if self.caller_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.caller_id)
        return UserProfile.from_table(user) if user else None

    @classmethod
    def from_table(cls, row: tables.PredictionLog) -> PredictionLogEntry:
        return cls(
            id=strawberry.ID(str(row.id)),
            request_id=row.request_id,
            status=PredictionStatus(row.status),
            error_code=row.error_code,
            n_rows=row.n_rows,
            latency_ms=row.latency_ms,
            inputs=row.inputs,
            inputs_hash=row.inputs_hash,
            outputs=row.outputs,
            created_at=row.created_at,
            shadow=row.shadow,
            agreed_rows=row.agreed_rows,
            version_id=row.version_id,
            caller_id=row.caller_id,
        )


@strawberry.type(description="A page of a model's prediction log, newest first.")
class PredictionLogConnection(Connection[PredictionLogEntry]):
    pass


@strawberry.input(description="Narrows the prediction log; every given field must match.")
class PredictionLogFilter:
    version_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only predictions this version answered."
    )
    status: PredictionStatus | None = strawberry.field(
        default=None, description="Only successes, or only failures."
    )
    since: datetime | None = strawberry.field(
        default=None, description="Predictions at or after this time."
    )
    until: datetime | None = strawberry.field(
        default=None, description="Predictions before this time."
    )
    request_id: str | None = strawberry.field(
        default=None, description="The prediction made by this request."
    )
    shadow: bool | None = strawberry.field(
        default=None, description="Only shadow copies (true), or only answered calls (false)."
    )

    def to_domain(self) -> analytics.LogFilter:
        return analytics.LogFilter(
            version_id=parse_id(self.version_id, "Model version") if self.version_id else None,
            status=tables.PredictionStatus(self.status.value) if self.status else None,
            since=self.since,
            until=self.until,
            request_id=self.request_id,
            shadow=self.shadow,
        )


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        description="A model's usage and behaviour over a time range: counts, error rate, "
        "latency percentiles, throughput, output distribution, top callers and a per-version "
        "breakdown. Anyone who can see the model may read it (top callers: maintainers only). "
        "Null when the model does not exist or is not visible to you. The range spans at most "
        f"{analytics.MAX_RANGE_DAYS} days and {analytics.MAX_BUCKETS} buckets.",
        permission_classes=[IsAuthenticated],
    )
    async def model_analytics(
        self,
        info: Info,
        *,
        model_id: Annotated[strawberry.ID, strawberry.argument(description="The model's id.")],
        version_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only this version's predictions; NOT_FOUND when it is not a "
                "version of the model."
            ),
        ] = None,
        since: Annotated[datetime, strawberry.argument(description="Inclusive; UTC if naive.")],
        until: Annotated[datetime, strawberry.argument(description="Exclusive; after `since`.")],
        bucket: Annotated[
            TimeBucket, strawberry.argument(description="Throughput bucket width.")
        ] = TimeBucket.HOUR,
    ) -> ModelAnalytics | None:
        try:
            result = await analytics.model_analytics(
                caller=await info.context.require_caller(),
                model_id=parse_id(model_id, "Model"),
                version_id=parse_id(version_id, "Model version") if version_id else None,
                since=since,
                until=until,
                bucket=analytics.Bucket(bucket.value),
            )
        except NotFound as exc:
            if exc.what != "Model":
                raise
            return None
        return ModelAnalytics.from_domain(result)

    @strawberry.field(
        description="A model's logged predictions with their inputs and outputs (as its log "
        "policy kept them), newest first. Maintainers, the owner and administrators only "
        "(FORBIDDEN for viewers and predictors); null when the model does not exist or is not "
        "visible to you.",
        permission_classes=[IsAuthenticated],
    )
    async def prediction_log(
        self,
        info: Info,
        model_id: Annotated[strawberry.ID, strawberry.argument(description="The model's id.")],
        filter: Annotated[
            PredictionLogFilter | None,
            strawberry.argument(description="Narrow the log; by default every entry."),
        ] = None,
        first: Annotated[int | None, strawberry.argument(description="1..100, default 20.")] = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="The `endCursor` of the previous page."),
        ] = None,
    ) -> PredictionLogConnection | None:
        size = page_size(first)
        try:
            rows = await analytics.list_prediction_log(
                caller=await info.context.require_caller(),
                model_id=parse_id(model_id, "Model"),
                filter=filter.to_domain() if filter else None,
                limit=size + 1,
                after=decode_cursor(after),
            )
        except NotFound as exc:
            if exc.what != "Model":
                raise
            return None
        edges = [
            Edge(
                cursor=encode_cursor(row.created_at, row.id),
                node=PredictionLogEntry.from_table(row),
            )
            for row in rows[:size]
        ]
        return PredictionLogConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > size,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
