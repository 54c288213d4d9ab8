"""The model registry in the schema: models, versions, aliases, sharing and uploads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from domain.errors import (
    FieldError,
    Forbidden,
    IdempotencyKeyReused,
    ModelRejected,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from domain.registry.rules import Access, ModelNameTaken, VersionNotReady
from domain.registry.service import ModelFilter, UploadOutcome
from graph.accounts import UserProfile
from graph.context import Info, IsAuthenticated
from graph.errors import Error, NotFoundError, ValidationError
from graph.loaders import forget
from graph.pagination import Connection, Edge, PageInfo, decode_cursor, encode_cursor, page_size
from storage import tables

if TYPE_CHECKING:
    from graph.usage import ModelQuota

T = TypeVar("T")


@strawberry.enum(description="What you may do with a model.")
class AccessLevel(Enum):
    VIEWER = "viewer"
    PREDICTOR = "predictor"
    MAINTAINER = "maintainer"
    OWNER = "owner"


@strawberry.enum(
    description="A share's level: viewers read, predictors predict, maintainers manage."
)
class ShareLevel(Enum):
    VIEWER = "viewer"
    PREDICTOR = "predictor"
    MAINTAINER = "maintainer"


@strawberry.enum
class VersionStatus(Enum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    ARCHIVED = "archived"


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
    has_predict_proba: bool
    output_shape: JSON | None
    task: str = strawberry.field(description="classification, regression or unknown.")
    input_dtype: str | None
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
    id: strawberry.ID
    number: int
    status: VersionStatus
    sha256: str
    size: int = strawberry.field(description="Bytes of the uploaded file.")
    source_format: str = strawberry.field(description="pickle, joblib, skops or onnx.")
    serving_format: str = strawberry.field(
        description="What predictions load: skops (re-saved from pickle/joblib) or onnx."
    )
    safe_format: bool = strawberry.field(
        description="True when the upload itself was a safe format (skops, ONNX)."
    )
    framework: str
    framework_version: str | None
    python_version: str | None
    estimator_class: str
    saved_with: JSON = strawberry.field(description="Library versions recorded in the artifact.")
    signature: Signature
    input_example: JSON | None
    warnings: list[str]
    description: str
    metrics: JSON
    tags: list[str]
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
    created_at: datetime
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


@strawberry.type(description="A name (production, staging, …) pointing at one version.")
class Alias:
    name: str
    updated_at: datetime
    version_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def version(self, info: Info) -> ModelVersion:
        version = await info.context.loaders.version_by_id.load(self.version_id)
        assert version is not None, "an alias always points at a version"
        return ModelVersion.from_table(version)


@strawberry.type(description="One move of an alias: from which version to which, by whom, why.")
class AliasEvent:
    alias: str
    reason: str
    created_at: datetime
    from_version_id: strawberry.Private[uuid.UUID | None]
    to_version_id: strawberry.Private[uuid.UUID | None]
    actor_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Null when the alias was created.")
    async def from_version(self, info: Info) -> ModelVersion | None:
        return await _version_or_none(info, self.from_version_id)

    @strawberry.field(description="Null when the alias was removed.")
    async def to_version(self, info: Info) -> ModelVersion | None:
        return await _version_or_none(info, self.to_version_id)

    @strawberry.field
    async def actor(self, info: Info) -> UserProfile | None:
        if self.actor_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.actor_id)
        return UserProfile.from_table(user) if user else None


@strawberry.type(description="Access to a model granted to another user.")
class Share:
    level: ShareLevel
    created_at: datetime
    user_id: strawberry.Private[uuid.UUID]

    @strawberry.field
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
    id: strawberry.ID
    name: str
    description: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    my_access: AccessLevel = strawberry.field(description="What you may do with it.")
    log_policy: LogPolicy = strawberry.field(description="What the prediction log keeps.")
    prediction_cache_ttl_s: int | None = strawberry.field(
        description="Seconds identical rows' predictions are cached; null when off."
    )
    owner_id: strawberry.Private[uuid.UUID]
    model_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def owner(self, info: Info) -> UserProfile:
        user = await info.context.loaders.user_by_id.load(self.owner_id)
        assert user is not None, "a model always has an owner"
        return UserProfile.from_table(user)

    @strawberry.field(description="`owner/name`, the reference predictions use.")
    async def full_name(self, info: Info) -> str:
        user = await info.context.loaders.user_by_id.load(self.owner_id)
        return f"{user.username if user else '?'}/{self.name}"

    @strawberry.field(description="Versions, newest first.")
    async def versions(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="1..100, default 20.")] = None,
        after: str | None = None,
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

    @strawberry.field
    async def aliases(self, info: Info) -> list[Alias]:
        aliases = await info.context.loaders.aliases_by_model_id.load(self.model_id)
        return [
            Alias(name=a.name, updated_at=a.updated_at, version_id=a.version_id) for a in aliases
        ]

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
                from_version_id=e.from_version_id,
                to_version_id=e.to_version_id,
                actor_id=e.actor_id,
            )
            for e in events[:size]
        ]

    @strawberry.field(description="Who else has access (maintainers and the owner only).")
    async def shares(self, info: Info) -> list[Share]:
        if self.my_access not in {AccessLevel.MAINTAINER, AccessLevel.OWNER}:
            raise Forbidden("Only maintainers can see who a model is shared with.")
        shares = await info.context.loaders.shares_by_model_id.load(self.model_id)
        return [
            Share(level=ShareLevel(s.level), created_at=s.created_at, user_id=s.user_id)
            for s in shares
        ]

    @strawberry.field(description="The prediction quota every caller shares; null when none.")
    async def quota(
        self, info: Info
    ) -> Annotated[ModelQuota, strawberry.lazy("graph.usage")] | None:
        from graph.usage import model_quota

        return await model_quota(info, self.model_id)

    @classmethod
    def from_table(cls, model: tables.Model, access: Access) -> Model:
        return cls(
            id=strawberry.ID(str(model.id)),
            name=model.name,
            description=model.description,
            tags=list(model.tags or []),
            created_at=model.created_at,
            updated_at=model.updated_at,
            my_access=AccessLevel(access.name.lower()),
            log_policy=LogPolicy(model.log_policy),
            prediction_cache_ttl_s=model.prediction_cache_ttl_s,
            owner_id=model.owner_id,
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


def parse_id(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(what) from None


# -- errors -------------------------------------------------------------------------------


@strawberry.type(description="The artifact failed intake and was not stored.")
class ModelRejectedError(Error):
    reason: str = strawberry.field(
        description="unknown_format, empty, truncated, forbidden_global, untrusted_type, "
        "external_data, no_predict, load_timeout, load_memory, load_failed, "
        "decompression_bomb or not_a_model."
    )


@strawberry.type(description="The file is larger than the upload limit.")
class PayloadTooLargeError(Error):
    limit_bytes: float


@strawberry.type(description="You already have a model with that name.")
class ModelNameTakenError(Error):
    pass


@strawberry.type(description="Only a ready version can carry an alias.")
class VersionNotReadyError(Error):
    status: VersionStatus


@strawberry.type(description="The idempotency key was already used for a different request.")
class IdempotencyKeyReusedError(Error):
    pass


@strawberry.type(description="You can see this model but not do this to it.")
class ForbiddenError(Error):
    pass


# -- results ------------------------------------------------------------------------------


@strawberry.type
class ModelSuccess:
    model: Model


@strawberry.type
class UploadModelVersionSuccess:
    version: ModelVersion
    deduplicated: bool = strawberry.field(
        description="True when these bytes (or this idempotency key) gave an existing version."
    )


@strawberry.type
class VersionSuccess:
    version: ModelVersion


@strawberry.type
class SetAliasSuccess:
    alias: Alias


@strawberry.type
class ShareSuccess:
    share: Share


@strawberry.type
class DoneSuccess:
    changed: bool = strawberry.field(description="False when there was nothing to do.")


CreateModelResult = Annotated[
    ModelSuccess | ValidationError | ModelNameTakenError, strawberry.union("CreateModelResult")
]
UpdateModelResult = Annotated[
    ModelSuccess | ValidationError | ModelNameTakenError | NotFoundError | ForbiddenError,
    strawberry.union("UpdateModelResult"),
]
UploadModelVersionResult = Annotated[
    UploadModelVersionSuccess
    | ValidationError
    | ModelRejectedError
    | PayloadTooLargeError
    | IdempotencyKeyReusedError
    | NotFoundError
    | ForbiddenError,
    strawberry.union("UploadModelVersionResult"),
]
VersionResult = Annotated[
    VersionSuccess | NotFoundError | ForbiddenError, strawberry.union("VersionResult")
]
SetAliasResult = Annotated[
    SetAliasSuccess | ValidationError | VersionNotReadyError | NotFoundError | ForbiddenError,
    strawberry.union("SetAliasResult"),
]
ShareModelResult = Annotated[
    ShareSuccess | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union("ShareModelResult"),
]
DoneResult = Annotated[DoneSuccess | NotFoundError | ForbiddenError, strawberry.union("DoneResult")]


def expected_error(exc: Exception) -> Any:
    """Map an expected domain failure to its union member (see ``graph/errors.py``)."""
    match exc:
        case ValidationFailed():
            return ValidationError.from_errors(exc.errors)
        case NotFound():
            return NotFoundError(message=exc.message)
        case Forbidden():
            return ForbiddenError(message=exc.message)
        case ModelNameTaken():
            return ModelNameTakenError(message=exc.message)
        case VersionNotReady():
            return VersionNotReadyError(message=exc.message, status=VersionStatus(exc.status))
        case ModelRejected():
            return ModelRejectedError(message=exc.message, reason=exc.reason)
        case PayloadTooLarge():
            return PayloadTooLargeError(message=exc.message, limit_bytes=exc.limit_bytes)
        case IdempotencyKeyReused():
            return IdempotencyKeyReusedError(message=exc.message)
    raise exc


async def attempt(call: Callable[[], Awaitable[T]], then: Callable[[T], Any] | None = None) -> Any:
    """Run a domain call; an expected failure becomes its union member (see ``expected_error``).

    ``call`` is a thunk so that argument parsing (``parse_id``) fails inside, as a member too.
    """
    try:
        value = await call()
    except EXPECTED as exc:
        return expected_error(exc)
    return then(value) if then is not None else value


EXPECTED = (
    ValidationFailed,
    NotFound,
    Forbidden,
    ModelNameTaken,
    VersionNotReady,
    ModelRejected,
    PayloadTooLarge,
    IdempotencyKeyReused,
)


# -- inputs -------------------------------------------------------------------------------


@strawberry.input
class ModelsFilter:
    name_contains: str | None = None
    owner: str | None = strawberry.field(default=None, description="The owner's username.")


@strawberry.input
class CreateModelInput:
    name: str = strawberry.field(description="1-64 of letters, digits, '.', '_', '-'.")
    description: str = ""
    tags: list[str] = strawberry.field(default_factory=list, description="At most 20.")


@strawberry.enum(description="How much of each prediction the log and live stream keep.")
class LogPolicy(Enum):
    FULL = "full"
    HASH = "hash"
    NONE = "none"


@strawberry.input
class UpdateModelInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    log_policy: LogPolicy | None = strawberry.field(
        default=None,
        description="full: inputs and outputs; hash: a SHA-256 of the inputs; none: neither.",
    )
    prediction_cache_ttl_s: int | None = strawberry.field(
        default=None,
        description="Cache identical rows' predictions for this many seconds (1-86400); 0 "
        "turns the cache off. Off by default.",
    )


@strawberry.input
class UploadModelVersionInput:
    model_id: strawberry.ID
    file: Upload = strawberry.field(
        description="skops, ONNX, joblib or pickle; the content decides, not the name."
    )
    description: str = ""
    tags: list[str] = strawberry.field(default_factory=list)
    metrics: JSON | None = strawberry.field(default=None, description='e.g. {"accuracy": 0.97}')
    input_example: list[list[float]] | None = strawberry.field(
        default=None, description="1-100 rows run through the model once at upload."
    )
    input_example_records: JSON | None = strawberry.field(
        default=None,
        description='Instead of `inputExample`: 1-100 records keyed by feature name, e.g. [{"age": '
        '41, "city": "Lyon"}], for a model fit on a DataFrame. Its values (numbers, strings, '
        "booleans, null) decide each column's type and whether it may be null.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the same version."
    )


@strawberry.input
class SetAliasInput:
    model_id: strawberry.ID
    alias: str = strawberry.field(description="e.g. production, staging.")
    version_id: strawberry.ID
    reason: str = strawberry.field(default="", description="Kept in the alias history.")


@strawberry.input
class RemoveAliasInput:
    model_id: strawberry.ID
    alias: str
    reason: str = ""


@strawberry.input
class ShareModelInput:
    model_id: strawberry.ID
    username: str
    level: ShareLevel


@strawberry.input
class UnshareModelInput:
    model_id: strawberry.ID
    username: str


async def _upload_chunks(upload: Upload) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1 << 20):
        yield chunk


# -- root fields --------------------------------------------------------------------------


@strawberry.type
class RegistryQuery:
    @strawberry.field(
        description="A model by id, or by owner username and name.",
        permission_classes=[IsAuthenticated],
    )
    async def model(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        owner: str | None = None,
        name: str | None = None,
    ) -> Model | None:
        caller = await info.context.require_caller()
        registry = info.context.services.registry
        if id is not None:
            found = await registry.get_model(caller=caller, model_id=parse_id(id, "Model"))
        elif owner is not None and name is not None:
            found = await registry.get_model_by_name(caller=caller, owner=owner, name=name)
        else:
            raise ValidationFailed(
                [FieldError(("id",), "Give `id`, or `owner` and `name`.", "required")]
            )
        if found is None:
            return None
        [access] = await registry.access_levels(caller=caller, models=[found])
        return Model.from_table(found, access) if access else None

    @strawberry.field(
        description="Models you own or that are shared with you, newest first.",
        permission_classes=[IsAuthenticated],
    )
    async def models(
        self,
        info: Info,
        filter: ModelsFilter | None = None,
        first: Annotated[int | None, strawberry.argument(description="1..100, default 20.")] = None,
        after: str | None = None,
    ) -> Connection[Model]:
        caller = await info.context.require_caller()
        registry = info.context.services.registry
        size = page_size(first)
        rows = await registry.list_models(
            caller=caller,
            filter=ModelFilter(
                name_contains=filter.name_contains if filter else None,
                owner=filter.owner if filter else None,
            ),
            limit=size + 1,
            after=decode_cursor(after),
        )
        page = rows[:size]
        levels = await registry.access_levels(caller=caller, models=page)
        edges = [
            Edge(cursor=encode_cursor(m.created_at, m.id), node=Model.from_table(m, access))
            for m, access in zip(page, levels, strict=True)
            if access is not None
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > size,
                end_cursor=encode_cursor(page[-1].created_at, page[-1].id) if page else None,
            ),
        )

    @strawberry.field(description="A model version by id.", permission_classes=[IsAuthenticated])
    async def model_version(self, info: Info, id: strawberry.ID) -> ModelVersion | None:
        version = await info.context.services.registry.get_version(
            caller=await info.context.require_caller(), version_id=parse_id(id, "Version")
        )
        return ModelVersion.from_table(version) if version else None


@strawberry.type
class RegistryMutation:
    @strawberry.mutation(description="Create an empty model.", permission_classes=[IsAuthenticated])
    async def create_model(self, info: Info, input: CreateModelInput) -> CreateModelResult:
        caller = await info.context.require_caller()
        return await attempt(
            lambda: info.context.services.registry.create_model(
                caller=caller,
                name=input.name,
                description=input.description,
                tags=input.tags,
            ),
            lambda model: ModelSuccess(model=Model.from_table(model, Access.OWNER)),
        )

    @strawberry.mutation(
        description="Rename (owner only), describe or tag a model.",
        permission_classes=[IsAuthenticated],
    )
    async def update_model(self, info: Info, input: UpdateModelInput) -> UpdateModelResult:
        caller = await info.context.require_caller()
        registry = info.context.services.registry
        model = await attempt(
            lambda: registry.update_model(
                caller=caller,
                model_id=parse_id(input.id, "Model"),
                name=input.name,
                description=input.description,
                tags=input.tags,
                log_policy=tables.LogPolicy(input.log_policy.value) if input.log_policy else None,
                prediction_cache_ttl_s=input.prediction_cache_ttl_s or None,
                clear_prediction_cache=input.prediction_cache_ttl_s == 0,
            )
        )
        if isinstance(model, Error):
            return model
        [access] = await registry.access_levels(caller=caller, models=[model])
        return ModelSuccess(model=Model.from_table(model, access or Access.VIEWER))

    @strawberry.mutation(
        description="Upload a new version (GraphQL multipart request). The file is checked "
        "without being executed, then loaded once in an isolated process to read its signature.",
        permission_classes=[IsAuthenticated],
    )
    async def upload_model_version(
        self, info: Info, input: UploadModelVersionInput
    ) -> UploadModelVersionResult:
        caller = await info.context.require_caller()
        await info.context.services.quotas.charge_upload(caller=caller)
        metrics = input.metrics if input.metrics is not None else {}
        if not isinstance(metrics, dict):
            return ValidationError.from_errors(
                [FieldError(("input", "metrics"), "Must be an object.", "invalid")]
            )

        example = input.input_example
        if input.input_example_records is not None:
            records = input.input_example_records
            if example is not None or not isinstance(records, list) or not records:
                message = "Give a non-empty list of records, and no `inputExample` with it."
                return ValidationError.from_errors(
                    [FieldError(("input", "inputExampleRecords"), message, "invalid")]
                )
            example = records

        def uploaded(outcome: UploadOutcome) -> UploadModelVersionSuccess:
            forget(info.context.loaders.versions_by_model_id, outcome.version.model_id)
            return UploadModelVersionSuccess(
                version=ModelVersion.from_table(outcome.version),
                deduplicated=outcome.deduplicated,
            )

        return await attempt(
            lambda: info.context.services.registry.upload_version(
                caller=caller,
                model_id=parse_id(input.model_id, "Model"),
                chunks=_upload_chunks(input.file),
                filename=getattr(input.file, "filename", None),
                description=input.description,
                tags=input.tags,
                metrics=metrics,
                input_example=example,
                idempotency_key=input.idempotency_key,
            ),
            uploaded,
        )

    @strawberry.mutation(
        description="Point an alias at a ready version: promote, or roll back.",
        permission_classes=[IsAuthenticated],
    )
    async def set_alias(self, info: Info, input: SetAliasInput) -> SetAliasResult:
        caller = await info.context.require_caller()
        return await attempt(
            lambda: info.context.services.registry.set_alias(
                caller=caller,
                model_id=parse_id(input.model_id, "Model"),
                alias=input.alias,
                version_id=parse_id(input.version_id, "Model version"),
                reason=input.reason,
            ),
            lambda alias: SetAliasSuccess(
                alias=Alias(
                    name=alias.name, updated_at=alias.updated_at, version_id=alias.version_id
                )
            ),
        )

    @strawberry.mutation(description="Remove an alias.", permission_classes=[IsAuthenticated])
    async def remove_alias(self, info: Info, input: RemoveAliasInput) -> DoneResult:
        caller = await info.context.require_caller()
        return await attempt(
            lambda: info.context.services.registry.remove_alias(
                caller=caller,
                model_id=parse_id(input.model_id, "Model"),
                alias=input.alias,
                reason=input.reason,
            ),
            lambda changed: DoneSuccess(changed=changed),
        )

    @strawberry.mutation(
        description="Archive a version: it keeps its number, loses its aliases, serves no more.",
        permission_classes=[IsAuthenticated],
    )
    async def archive_version(self, info: Info, id: strawberry.ID) -> VersionResult:
        caller = await info.context.require_caller()
        return await attempt(
            lambda: info.context.services.registry.archive_version(
                caller=caller, version_id=parse_id(id, "Model version")
            ),
            _version_success,
        )

    @strawberry.mutation(
        description="Bring an archived version back to ready.",
        permission_classes=[IsAuthenticated],
    )
    async def restore_version(self, info: Info, id: strawberry.ID) -> VersionResult:
        caller = await info.context.require_caller()
        return await attempt(
            lambda: info.context.services.registry.restore_version(
                caller=caller, version_id=parse_id(id, "Model version")
            ),
            _version_success,
        )

    @strawberry.mutation(
        description="Delete a model (owner only). It disappears at once; its files are "
        "removed by a background cleanup.",
        permission_classes=[IsAuthenticated],
    )
    async def delete_model(self, info: Info, id: strawberry.ID) -> DoneResult:
        caller = await info.context.require_caller()
        return await attempt(
            lambda: info.context.services.registry.delete_model(
                caller=caller, model_id=parse_id(id, "Model")
            ),
            lambda _: DoneSuccess(changed=True),
        )

    @strawberry.mutation(
        description="Give a user access to a model, or change their level.",
        permission_classes=[IsAuthenticated],
    )
    async def share_model(self, info: Info, input: ShareModelInput) -> ShareModelResult:
        caller = await info.context.require_caller()

        def shared(share: tables.Share) -> ShareSuccess:
            forget(info.context.loaders.shares_by_model_id, share.model_id)
            return ShareSuccess(
                share=Share(
                    level=ShareLevel(share.level),
                    created_at=share.created_at,
                    user_id=share.user_id,
                )
            )

        return await attempt(
            lambda: info.context.services.registry.share_model(
                caller=caller,
                model_id=parse_id(input.model_id, "Model"),
                username=input.username,
                level=tables.ShareLevel(input.level.value),
            ),
            shared,
        )

    @strawberry.mutation(
        description="Take a user's access away.", permission_classes=[IsAuthenticated]
    )
    async def unshare_model(self, info: Info, input: UnshareModelInput) -> DoneResult:
        caller = await info.context.require_caller()
        return await attempt(
            lambda: info.context.services.registry.unshare_model(
                caller=caller,
                model_id=parse_id(input.model_id, "Model"),
                username=input.username,
            ),
            lambda changed: DoneSuccess(changed=changed),
        )


def _version_success(version: tables.ModelVersion) -> VersionSuccess:
    return VersionSuccess(version=ModelVersion.from_table(version))
