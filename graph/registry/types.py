"""The registry's object types: models, versions, aliases, shares, and the enums they show."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from domain.errors import FieldError, Forbidden, ValidationFailed
from domain.registry.access import Access
from graph.accounts import UserProfile
from graph.audit import model_audit_log
from graph.context import Info
from graph.enums import described_enum
from graph.pagination import AFTER, Connection, Edge, PageInfo, page_size
from storage import tables

if TYPE_CHECKING:
    from graph.teams import Team
    from graph.usage import ModelQuota

# The domain's enums, as the schema shows them (names and values unchanged for clients).
described_enum(
    Access,
    name="AccessLevel",
    description="What you may do with a model; each level includes the ones before it.",
    values={
        "VIEWER": "See the model, its versions, aliases, analytics and events.",
        "PREDICTOR": "Also predict, explain and run batch jobs.",
        "MAINTAINER": "Also upload versions, move aliases, share, set quotas, drift and webhooks.",
        "OWNER": "Also rename and delete it.",
    },
)
described_enum(
    tables.ShareLevel,
    name="ShareLevel",
    description="A share's level: viewers read, predictors predict, maintainers manage.",
    values={
        "VIEWER": "Read the model, its versions and analytics.",
        "PREDICTOR": "Also predict with it.",
        "MAINTAINER": "Also publish, promote and share it.",
    },
)


@strawberry.enum(description="How much of each prediction the log and live stream keep.")
class LogPolicy(Enum):
    FULL = strawberry.enum_value("full", description="The input rows and the outputs.")
    HASH = strawberry.enum_value(
        "hash", description="A SHA-256 of the input rows, and the outputs; never the rows."
    )
    NONE = strawberry.enum_value(
        "none", description="Neither rows nor outputs; only counts, latency and errors."
    )


@strawberry.enum(description="Where a version is in its life.")
class VersionStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Uploaded, still being checked.")
    READY = strawberry.enum_value(
        "ready", description="Checked and loadable: it predicts and may carry an alias."
    )
    FAILED = strawberry.enum_value("failed", description="Rejected at intake; never serves.")
    ARCHIVED = strawberry.enum_value(
        "archived", description="Retired with archiveVersion; restoreVersion makes it ready again."
    )


@strawberry.type(description="One input column of a model, as read from its input example.")
class InputColumn:
    name: str | None = strawberry.field(description="The feature name, when it has one.")
    type: str = strawberry.field(description="number, string or boolean.")
    nullable: bool = strawberry.field(description="Whether null (missing) is accepted.")


@strawberry.type(description="What a version expects and returns, read when it was uploaded.")
class Signature:
    n_features_in: int | None = strawberry.field(description="Number of input columns.")
    feature_names: list[str] | None = strawberry.field(
        description="Column names, when the model was fit on named columns."
    )
    classes: JSON | None = strawberry.field(description="Class labels of a classifier.")
    has_predict_proba: bool = strawberry.field(
        description="Whether it gives class probabilities (predictions then include them)."
    )
    output_shape: JSON | None = strawberry.field(
        description="The shape of one call's output for the input example, e.g. [1] or [1, 3]."
    )
    task: str = strawberry.field(description="classification, regression or unknown.")
    input_dtype: str | None = strawberry.field(
        description="The numeric type the model was fit on (e.g. float64), when known."
    )
    allows_missing: bool = strawberry.field(description="Whether NaN inputs are accepted.")
    columns: list[InputColumn] | None = strawberry.field(
        description="Each input column, in feature order (not known for ONNX models)."
    )

    @classmethod
    def from_dict(cls, data: dict) -> Signature:
        columns = data.get("columns")
        return cls(
            columns=None if columns is None else [InputColumn(**column) for column in columns],
            n_features_in=data.get("n_features_in"),
            feature_names=data.get("feature_names"),
            classes=data.get("classes"),
            has_predict_proba=bool(data.get("has_predict_proba")),
            output_shape=data.get("output_shape"),
            task=data.get("task") or "unknown",
            input_dtype=data.get("input_dtype"),
            allows_missing=bool(data.get("allows_missing")),
        )


@strawberry.type(description="One uploaded artifact of a model, numbered from 1.")
class ModelVersion:
    id: strawberry.ID = strawberry.field(description="Opaque id; use it with modelVersion(id:).")
    number: int = strawberry.field(
        description="1 for the first upload of a model, then one more each upload; `name:3`."
    )
    status: VersionStatus = strawberry.field(description="Whether it can serve predictions.")
    sha256: str = strawberry.field(description="Hex SHA-256 of the uploaded bytes.")
    size: int = strawberry.field(description="Bytes of the uploaded file.")
    source_format: str = strawberry.field(description="pickle, joblib, skops or onnx.")
    serving_format: str = strawberry.field(
        description="What predictions load: skops (re-saved from pickle/joblib) or onnx."
    )
    safe_format: bool = strawberry.field(
        description="True when the upload itself was a safe format (skops, ONNX)."
    )
    framework: str = strawberry.field(
        description="The library the estimator comes from, e.g. sklearn, xgboost, lightgbm."
    )
    framework_version: str | None = strawberry.field(
        description="That library's version recorded in the artifact, when it records one."
    )
    python_version: str | None = strawberry.field(
        description="The Python version that saved it, when the artifact records one."
    )
    estimator_class: str = strawberry.field(
        description="Dotted class of the estimator, e.g. sklearn.ensemble.RandomForestClassifier."
    )
    saved_with: JSON = strawberry.field(description="Library versions recorded in the artifact.")
    signature: Signature = strawberry.field(description="What it expects and returns.")
    input_example: JSON | None = strawberry.field(
        description="The example rows (or records) given at upload; null when none was given."
    )
    warnings: list[str] = strawberry.field(
        description="What intake noticed but accepted, e.g. a library version mismatch."
    )
    description: str = strawberry.field(description="Free text given at upload; may be empty.")
    metrics: JSON = strawberry.field(
        description='The metrics given at upload, e.g. {"accuracy": 0.97}; {} when none.'
    )
    tags: list[str] = strawberry.field(description="Tags given at upload.")
    original_filename: str = strawberry.field(description="As uploaded; for display only.")
    compiled_available: bool = strawberry.field(
        description="Whether an ONNX conversion agreed with the original and can serve it."
    )
    compiled_max_abs_diff: float | None = strawberry.field(
        description="Largest difference between the original and the compiled copy when checked."
    )
    runtime: str = strawberry.field(
        description="What serves predictions now: sklearn (the original) or onnx."
    )
    batch_max_rows: int | None = strawberry.field(
        description="This version's micro-batch size; null means the server's setting."
    )
    batch_max_wait_ms: float | None = strawberry.field(
        description="This version's micro-batch wait; null means the server's setting."
    )
    created_at: datetime = strawberry.field(description="When it was uploaded (UTC).")
    model_id: strawberry.Private[uuid.UUID]
    created_by_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Who uploaded it.")
    async def created_by(self, info: Info) -> UserProfile | None:
        if self.created_by_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.created_by_id)
        return UserProfile.from_table(user) if user else None

    @classmethod
    def from_table(cls, version: tables.ModelVersion) -> ModelVersion:
        return cls(
            id=strawberry.ID(str(version.id)),
            number=version.number,
            status=VersionStatus(version.status),
            sha256=version.sha256,
            size=version.size,
            source_format=version.source_format,
            serving_format=version.serving_format,
            safe_format=version.source_format in {"skops", "onnx"},
            framework=version.framework,
            framework_version=version.framework_version,
            python_version=version.python_version,
            estimator_class=version.estimator_class,
            saved_with=version.saved_with,
            signature=Signature.from_dict(version.signature or {}),
            input_example=version.input_example,
            warnings=list(version.warnings or []),
            description=version.description,
            metrics=version.metrics,
            tags=list(version.tags or []),
            original_filename=version.original_filename,
            compiled_available=version.compiled_key is not None,
            compiled_max_abs_diff=version.compiled_max_abs_diff,
            runtime=(
                "onnx"
                if version.serving_format == "onnx"
                or (version.compiled_key is not None and version.use_compiled)
                else "sklearn"
            ),
            batch_max_rows=version.batch_max_rows,
            batch_max_wait_ms=version.batch_max_wait_ms,
            created_at=version.created_at,
            model_id=version.model_id,
            created_by_id=version.created_by_id,
        )


@strawberry.type(description="One version's share of an alias's callers.")
class TrafficShare:
    weight: int = strawberry.field(description="Percent of callers (a split sums to 100).")
    version_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The version; null only in history, for a deleted one.")
    async def version(self, info: Info) -> ModelVersion | None:
        return await _version_or_none(info, self.version_id)


@strawberry.type(
    description="How an alias's calls are served: a split between versions, sticky per caller "
    "(an API key, or a signed-in user), and shadow versions that get a copy of every call off "
    "the request path, answer no one, and are compared in analytics."
)
class AliasTraffic:
    split: list[TrafficShare] = strawberry.field(
        description="Versions and their percent of callers, in bucket order; empty when every "
        "caller gets the alias's version."
    )
    shadow_ids: strawberry.Private[list[uuid.UUID]]

    @strawberry.field(description="Versions that receive a copy of every call.")
    async def shadows(self, info: Info) -> list[ModelVersion]:
        found = await info.context.loaders.version_by_id.load_many(self.shadow_ids)
        return [ModelVersion.from_table(v) for v in found if v is not None]

    @classmethod
    def from_routes(cls, routes: list[tables.TrafficRoute]) -> AliasTraffic:
        ordered = sorted(routes, key=lambda r: r.position)
        return cls(
            split=[
                TrafficShare(weight=r.weight, version_id=r.version_id)
                for r in ordered
                if r.role == tables.RouteRole.SPLIT
            ],
            shadow_ids=[r.version_id for r in ordered if r.role == tables.RouteRole.SHADOW],
        )

    @classmethod
    def from_snapshot(cls, policy: dict) -> AliasTraffic:
        return cls(
            split=[
                TrafficShare(weight=int(s["weight"]), version_id=uuid.UUID(s["versionId"]))
                for s in policy.get("split") or []
            ],
            shadow_ids=[uuid.UUID(s["versionId"]) for s in policy.get("shadows") or []],
        )


@strawberry.type(description="A name (production, staging, …) pointing at one version.")
class Alias:
    name: str = strawberry.field(description="Unique within the model; `name@alias` in a ref.")
    updated_at: datetime = strawberry.field(description="When it last moved (UTC).")
    version_id: strawberry.Private[uuid.UUID]
    model_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The version it points at now.")
    async def version(self, info: Info) -> ModelVersion:
        version = await info.context.loaders.version_by_id.load(self.version_id)
        assert version is not None, "an alias always points at a version"
        return ModelVersion.from_table(version)

    @strawberry.field(
        description="Its traffic policy (set with setAliasTraffic); null when the alias's "
        "version answers every call and nothing shadows it."
    )
    async def traffic(self, info: Info) -> AliasTraffic | None:
        routes = await info.context.loaders.traffic_by_model_id.load(self.model_id)
        mine = [r for r in routes if r.alias == self.name]
        return AliasTraffic.from_routes(mine) if mine else None

    @classmethod
    def from_table(cls, alias: tables.Alias) -> Alias:
        return cls(
            name=alias.name,
            updated_at=alias.updated_at,
            version_id=alias.version_id,
            model_id=alias.model_id,
        )


@strawberry.type(description="One move of an alias: from which version to which, by whom, why.")
class AliasEvent:
    alias: str = strawberry.field(description="The alias's name.")
    reason: str = strawberry.field(description="As given to the mutation; may be empty.")
    created_at: datetime = strawberry.field(description="When it moved (UTC).")
    traffic: AliasTraffic | None = strawberry.field(
        description="The traffic policy this change left (empty when it cleared one); null "
        "when the change did not touch the policy."
    )
    from_version_id: strawberry.Private[uuid.UUID | None]
    to_version_id: strawberry.Private[uuid.UUID | None]
    actor_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Null when the alias was created.")
    async def from_version(self, info: Info) -> ModelVersion | None:
        return await _version_or_none(info, self.from_version_id)

    @strawberry.field(description="Null when the alias was removed.")
    async def to_version(self, info: Info) -> ModelVersion | None:
        return await _version_or_none(info, self.to_version_id)

    @strawberry.field(description="Who moved it; null when that user was deleted.")
    async def actor(self, info: Info) -> UserProfile | None:
        if self.actor_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.actor_id)
        return UserProfile.from_table(user) if user else None


@strawberry.type(description="Access to a model granted to another user.")
class Share:
    level: tables.ShareLevel = strawberry.field(description="What the user may do.")
    created_at: datetime = strawberry.field(description="When it was granted (UTC).")
    user_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Who it is shared with.")
    async def user(self, info: Info) -> UserProfile:
        user = await info.context.loaders.user_by_id.load(self.user_id)
        assert user is not None, "a share always names a user"
        return UserProfile.from_table(user)


async def _version_or_none(info: Info, version_id: uuid.UUID | None) -> ModelVersion | None:
    if version_id is None:
        return None
    version = await info.context.loaders.version_by_id.load(version_id)
    return ModelVersion.from_table(version) if version else None


@strawberry.type(description="A published model: a name, its versions and its aliases.")
class Model:
    id: strawberry.ID = strawberry.field(description="Opaque id; use it with model(id:).")
    name: str = strawberry.field(description="Unique within its namespace; 1-64 characters.")
    description: str = strawberry.field(description="Free text; may be empty.")
    tags: list[str] = strawberry.field(description="At most 20.")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    updated_at: datetime = strawberry.field(
        description="When its name, description, tags or policies last changed (UTC)."
    )
    my_access: Access = strawberry.field(description="What you may do with it.")
    log_policy: LogPolicy = strawberry.field(description="What the prediction log keeps.")
    prediction_cache_ttl_s: int | None = strawberry.field(
        description="Seconds identical rows' predictions are cached; null when off."
    )
    namespace: str = strawberry.field(
        description="The owner's username, or the owning team's name."
    )
    owner_id: strawberry.Private[uuid.UUID]
    team_id: strawberry.Private[uuid.UUID | None]
    model_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Who created it; for a personal model, its owner.")
    async def owner(self, info: Info) -> UserProfile:
        user = await info.context.loaders.user_by_id.load(self.owner_id)
        assert user is not None, "a model always has an owner"
        return UserProfile.from_table(user)

    @strawberry.field(description="The team that owns it; null for a personal model.")
    async def team(self, info: Info) -> Annotated[Team, strawberry.lazy("graph.teams")] | None:
        if self.team_id is None:
            return None
        from graph.teams import Team

        found = await tables.Team.get_or_none(id=self.team_id)
        return Team.from_table(found) if found else None

    @strawberry.field(description="`owner/name` or `team/name`, the reference predictions use.")
    def full_name(self) -> str:
        return f"{self.namespace}/{self.name}"

    @strawberry.field(description="Versions, newest first.")
    async def versions(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="1..100, default 20.")] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[ModelVersion]:
        size = page_size(first)
        versions = await info.context.loaders.versions_by_model_id.load(self.model_id)
        start = _after_number(after)
        remaining = [v for v in versions if start is None or v.number < start]
        page = remaining[:size]
        edges = [
            Edge(cursor=_number_cursor(v.number), node=ModelVersion.from_table(v)) for v in page
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(remaining) > size,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @strawberry.field(description="The newest version that is ready, if any.")
    async def latest_version(self, info: Info) -> ModelVersion | None:
        versions = await info.context.loaders.versions_by_model_id.load(self.model_id)
        ready = [v for v in versions if v.status == tables.VersionStatus.READY]
        return ModelVersion.from_table(ready[0]) if ready else None

    @strawberry.field(description="Its aliases, by name.")
    async def aliases(self, info: Info) -> list[Alias]:
        aliases = await info.context.loaders.aliases_by_model_id.load(self.model_id)
        return [Alias.from_table(a) for a in aliases]

    @strawberry.field(description="Every alias move, newest first (at most 100 per page).")
    async def alias_history(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="1..100, default 20.")] = None,
    ) -> list[AliasEvent]:
        size = page_size(first)
        events = await info.context.loaders.alias_events_by_model_id.load(self.model_id)
        return [
            AliasEvent(
                alias=e.alias,
                reason=e.reason,
                created_at=e.created_at,
                traffic=AliasTraffic.from_snapshot(e.traffic) if e.traffic is not None else None,
                from_version_id=e.from_version_id,
                to_version_id=e.to_version_id,
                actor_id=e.actor_id,
            )
            for e in events[:size]
        ]

    @strawberry.field(description="Who else has access (maintainers and the owner only).")
    async def shares(self, info: Info) -> list[Share]:
        if self.my_access < Access.MAINTAINER:
            raise Forbidden("Only maintainers can see who a model is shared with.")
        shares = await info.context.loaders.shares_by_model_id.load(self.model_id)
        return [
            Share(level=tables.ShareLevel(s.level), created_at=s.created_at, user_id=s.user_id)
            for s in shares
        ]

    @strawberry.field(description="The prediction quota every caller shares; null when none.")
    async def quota(
        self, info: Info
    ) -> Annotated[ModelQuota, strawberry.lazy("graph.usage")] | None:
        from graph.usage import model_quota

        return await model_quota(info, self.model_id)

    audit_log = strawberry.field(
        resolver=model_audit_log,
        description="Security-relevant changes to this model, newest first (owner, maintainers).",
    )

    @classmethod
    def from_table(cls, model: tables.Model, access: Access) -> Model:
        return cls(
            id=strawberry.ID(str(model.id)),
            name=model.name,
            description=model.description,
            tags=list(model.tags or []),
            created_at=model.created_at,
            updated_at=model.updated_at,
            my_access=access,
            log_policy=LogPolicy(model.log_policy),
            prediction_cache_ttl_s=model.prediction_cache_ttl_s,
            namespace=model.namespace,
            owner_id=model.owner_id,
            team_id=model.team_id,
            model_id=model.id,
        )


def _number_cursor(number: int) -> str:
    return f"v{number}"


def _after_number(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.startswith("v") or not after[1:].isdigit():
        raise ValidationFailed(
            [FieldError(("after",), "Not a cursor from this API.", "invalid_cursor")]
        )
    return int(after[1:])
