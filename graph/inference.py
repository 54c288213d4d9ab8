"""Predictions in the schema: `predict`, `predictBatch`, runtime switch, cache statistics."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, NewType

import strawberry
from strawberry.scalars import JSON

from domain.inference import explain as explanations
from domain.inference.service import Prediction
from graph.context import Info, IsAdmin, IsAuthenticated
from graph.errors import NotFoundError, ValidationError
from graph.registry import ForbiddenError, ModelVersion, parse_id


def _identity(value: Any) -> Any:
    return value


# A scalar, not [[Float!]!]: graphql-core coerces list arguments element by element, which for
# 10,000 rows costs far more than the JSON parse; the domain validates the shape in one pass.
FeatureMatrix = NewType("FeatureMatrix", object)

FEATURE_MATRIX = strawberry.scalar(
    name="FeatureMatrix",
    description="Rows of numbers, e.g. [[5.1, 3.5, 1.4, 0.2]]: one row per prediction, columns in "
    "the model's feature order. `null` marks a missing value (only for models that accept them).",
    serialize=_identity,
    parse_value=_identity,
)


@strawberry.type(description="The probability of one class.")
class ClassProbability:
    label: JSON = strawberry.field(
        description="The class label, as the model knows it (number or string)."
    )
    probability: float = strawberry.field(description="0..1; a row's probabilities sum to 1.")


@strawberry.enum(description="What an explanation's contributions add up to, per output.")
class ExplanationOutput(Enum):
    PROBABILITY = strawberry.enum_value(
        explanations.PROBABILITY, description="predict_proba (trees and forests that classify)."
    )
    MARGIN = strawberry.enum_value(
        explanations.MARGIN,
        description="The raw margin: decision_function, XGBoost's output_margin, LightGBM's "
        "raw_score (log-odds for binary logistic losses).",
    )
    VALUE = strawberry.enum_value(explanations.VALUE, description="A regressor's prediction.")


@strawberry.enum(description="How contributions are computed; both are exact.")
class ExplanationMethod(Enum):
    TREE_SHAP = strawberry.enum_value("tree_shap", description="Path-dependent TreeSHAP.")
    LINEAR = strawberry.enum_value(
        "linear", description="coef * x: the reference is the origin, the base value the intercept."
    )


@strawberry.type(description="One output an explanation explains.")
class ExplainedOutput:
    label: JSON | None = strawberry.field(
        description="The class it explains (a binary margin explains the positive class only), "
        "the output's index for a multi-output regressor, null for one value."
    )
    base_value: float = strawberry.field(
        description="The model's output with no feature known: every row's contributions add "
        "up to its output minus this."
    )


@strawberry.type(
    description="How each row's contributions read: `contributions[k][j]` is feature "
    "`featureNames[j]`'s share of output `outputs[k]`, and `outputs[k].baseValue` plus the sum "
    "over j is that row's raw output k (in `outputSpace`)."
)
class Explanation:
    method: ExplanationMethod = strawberry.field(description="How the contributions were computed.")
    output_space: ExplanationOutput = strawberry.field(
        description="What the contributions add up to."
    )
    transformed: bool = strawberry.field(
        description="True for a Pipeline: its last step is explained, on the features its "
        "preprocessing makes (named by get_feature_names_out where it can)."
    )
    feature_names: list[str] = strawberry.field(
        description="The features, in the order of each contributions list."
    )
    outputs: list[ExplainedOutput] = strawberry.field(
        description="One entry per output (per class for a classifier)."
    )

    @classmethod
    def from_domain(cls, found: explanations.Explanation) -> Explanation:
        return cls(
            method=ExplanationMethod(found.method),
            output_space=ExplanationOutput(found.output_space),
            transformed=found.transformed,
            feature_names=found.feature_names,
            outputs=[
                ExplainedOutput(label=label, base_value=base)
                for label, base in zip(found.outputs, found.base_values, strict=True)
            ],
        )


@strawberry.type(description="The answer for one input row.")
class RowPrediction:
    value: JSON = strawberry.field(description="The predicted class or value.")
    probabilities: list[ClassProbability] | None = strawberry.field(
        description="Per class, when the model has predict_proba."
    )
    contributions: list[list[float]] | None = strawberry.field(
        default=None,
        description="With `explain: true`: per output, each feature's contribution (see "
        "`explanation`).",
    )


@strawberry.type(description="Predictions for a few rows, one object per row.")
class PredictionResult:
    request_id: str = strawberry.field(
        description="The request's id (the `X-Request-ID` header), also in the prediction log."
    )
    latency_ms: float = strawberry.field(description="Server time for the whole prediction.")
    runtime: str = strawberry.field(description="sklearn or onnx.")
    predictions: list[RowPrediction] = strawberry.field(description="One per input row, in order.")
    explanation: Explanation | None = strawberry.field(
        description="With `explain: true`: how the rows' contributions read. Explanations come "
        "from the original model, also where its compiled copy serves."
    )
    version_id: strawberry.Private[Any]

    @strawberry.field(description="The version that answered.")
    async def version(self, info: Info) -> ModelVersion:
        version = await info.context.loaders.version_by_id.load(self.version_id)
        assert version is not None
        return ModelVersion.from_table(version)

    @classmethod
    def from_domain(cls, result: Prediction) -> PredictionResult:
        rows = []
        classes = result.classes
        explained = result.explanation
        for i, value in enumerate(result.predictions):
            probabilities = None
            if result.probabilities is not None and classes is not None:
                probabilities = [
                    ClassProbability(label=label, probability=p)
                    for label, p in zip(classes, result.probabilities[i], strict=False)
                ]
            contributions = None if explained is None else explained.contributions[i]
            rows.append(
                RowPrediction(value=value, probabilities=probabilities, contributions=contributions)
            )
        return cls(
            request_id=result.request_id,
            latency_ms=round(result.latency_ms, 3),
            runtime=result.runtime,
            predictions=rows,
            explanation=None if explained is None else Explanation.from_domain(explained),
            version_id=result.target.version_id,
        )


@strawberry.type(
    description="Predictions for many rows, column-wise: `predictions[i]` answers row i and "
    "`probabilities[i][j]` is the probability of `classes[j]`."
)
class BatchPredictionResult:
    request_id: str = strawberry.field(
        description="The request's id (the `X-Request-ID` header), also in the prediction log."
    )
    latency_ms: float = strawberry.field(description="Server time for the whole prediction.")
    runtime: str = strawberry.field(description="sklearn or onnx.")
    rows: int = strawberry.field(description="How many rows were predicted.")
    predictions: JSON = strawberry.field(
        description="One predicted class or value per row, in order."
    )
    probabilities: JSON | None = strawberry.field(
        description="Per row, the probability of each of `classes`; null without predict_proba."
    )
    classes: JSON | None = strawberry.field(
        description="The class labels, in the order of each "
        "probabilities row; null for a regressor."
    )
    explanation: Explanation | None = strawberry.field(
        description="With `explain: true`: how `contributions` read."
    )
    contributions: JSON | None = strawberry.field(
        description="With `explain: true`: `contributions[i][k][j]` is feature j's share of "
        "output k for row i."
    )
    version_id: strawberry.Private[Any]

    @strawberry.field(description="The version that answered.")
    async def version(self, info: Info) -> ModelVersion:
        version = await info.context.loaders.version_by_id.load(self.version_id)
        assert version is not None
        return ModelVersion.from_table(version)

    @classmethod
    def from_domain(cls, result: Prediction) -> BatchPredictionResult:
        explained = result.explanation
        return cls(
            request_id=result.request_id,
            latency_ms=round(result.latency_ms, 3),
            runtime=result.runtime,
            rows=len(result.predictions),
            predictions=result.predictions,
            probabilities=result.probabilities,
            classes=result.classes,
            explanation=None if explained is None else Explanation.from_domain(explained),
            contributions=None if explained is None else explained.contributions,
            version_id=result.target.version_id,
        )


@strawberry.type(description="One model held in this server's memory.")
class CachedModel:
    version_id: strawberry.ID = strawberry.field(description="The cached version.")
    runtime: str = strawberry.field(description="sklearn or onnx.")
    size_bytes: float = strawberry.field(description="Its estimated size in memory, in bytes.")


@strawberry.type(description="This server's model cache (each replica has its own).")
class ModelCacheStats:
    hits: int = strawberry.field(description="Loads answered from memory since the server started.")
    misses: int = strawberry.field(description="Loads that were not in memory.")
    loads: int = strawberry.field(
        description="Artifacts loaded (from Redis or the artifact store)."
    )
    evictions: int = strawberry.field(description="Models dropped to stay within the limits.")
    redis_hits: int = strawberry.field(description="Misses answered from the Redis artifact cache.")
    redis_errors: int = strawberry.field(
        description="Redis cache calls that failed (the store answered instead)."
    )
    bytes: float = strawberry.field(description="Bytes held now.")
    max_bytes: float = strawberry.field(description="The limit (MODELSERVE_MODEL_CACHE_MAX_BYTES).")
    models: list[CachedModel] = strawberry.field(description="The models held now.")


_MODEL_REF = strawberry.argument(
    description="A version id, `owner/name` (its production alias, else its newest ready "
    "version), `owner/name:3` or `owner/name@staging`."
)


_ROWS = strawberry.argument(
    description="Rows of values in feature order (numbers, or strings for categorical "
    "columns); give this or `records`."
)
_RECORDS = strawberry.argument(
    description='Objects keyed by feature name, e.g. {"age": 41, "city": "Lyon"}; give this '
    "or `rows`."
)

_EXPLAIN = strawberry.argument(
    description="Also each row's feature contributions (exact TreeSHAP or linear; see "
    "`Explanation`). Costs MODELSERVE_EXPLAIN_COST_MULTIPLIER times the units (10 by default), "
    "takes at most MODELSERVE_EXPLAIN_MAX_ROWS rows (1000); a model with no explainer is "
    "EXPLANATION_UNSUPPORTED."
)


async def _predict(
    info: Info, model: str, rows: Any, records: Any, max_rows: int, explain: bool
) -> Prediction:
    context = info.context
    return await context.services.inference.predict(
        caller=await context.require_caller(),
        ref=model,
        rows=rows,
        records=records,
        max_rows=max_rows,
        request_id=context.request_id,
        explain=explain,
    )


@strawberry.type
class InferenceQuery:
    @strawberry.field(
        description="Predict a few rows (at most MODELSERVE_PREDICT_MAX_ROWS, 1000 by default). "
        "Give `rows` (numbers in feature order) or `records` (objects keyed by feature name).",
        permission_classes=[IsAuthenticated],
    )
    async def predict(
        self,
        info: Info,
        model: Annotated[str, _MODEL_REF],
        rows: Annotated[FeatureMatrix | None, _ROWS] = None,
        records: Annotated[list[JSON] | None, _RECORDS] = None,
        explain: Annotated[bool, _EXPLAIN] = False,
    ) -> PredictionResult:
        settings = info.context.services.settings
        result = await _predict(info, model, rows, records, settings.predict_max_rows, explain)
        return PredictionResult.from_domain(result)

    @strawberry.field(
        description="Predict many rows at once (at most MODELSERVE_PREDICT_BATCH_MAX_ROWS, "
        "10,000 by default), answered column-wise.",
        permission_classes=[IsAuthenticated],
    )
    async def predict_batch(
        self,
        info: Info,
        model: Annotated[str, _MODEL_REF],
        rows: Annotated[FeatureMatrix | None, _ROWS] = None,
        records: Annotated[list[JSON] | None, _RECORDS] = None,
        explain: Annotated[bool, _EXPLAIN] = False,
    ) -> BatchPredictionResult:
        settings = info.context.services.settings
        result = await _predict(
            info, model, rows, records, settings.predict_batch_max_rows, explain
        )
        return BatchPredictionResult.from_domain(result)

    @strawberry.field(
        description="The model cache of the server answering (administrators).",
        permission_classes=[IsAdmin],
    )
    async def model_cache(self, info: Info) -> ModelCacheStats:
        cache = info.context.services.inference.cache
        stats = cache.stats
        return ModelCacheStats(
            hits=stats.hits,
            misses=stats.misses,
            loads=stats.loads,
            evictions=stats.evictions,
            redis_hits=stats.redis_hits,
            redis_errors=stats.redis_errors,
            bytes=cache.bytes,
            max_bytes=cache.max_bytes,
            models=[
                CachedModel(
                    version_id=strawberry.ID(str(m.version_id)),
                    runtime=m.runtime,
                    size_bytes=m.size_bytes,
                )
                for m in cache.cached_versions()
            ],
        )


@strawberry.input(description="Only the fields given change.")
class SetVersionRuntimeInput:
    version_id: strawberry.ID = strawberry.field(description="The version to change (maintainers).")
    use_compiled: bool | None = strawberry.field(
        default=None,
        description="True: serve the verified ONNX copy; false: the original scikit-learn model.",
    )
    batch_max_rows: int | None = strawberry.field(
        default=None, description="Rows one micro-batch may join (1-100000)."
    )
    batch_max_wait_ms: float | None = strawberry.field(
        default=None, description="How long a batch under load may wait to fill (0-1000 ms)."
    )


@strawberry.type(description="The version, as it now serves.")
class SetVersionRuntimeSuccess:
    version: ModelVersion = strawberry.field(description="The changed version.")


SetVersionRuntimeResult = Annotated[
    SetVersionRuntimeSuccess | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union(
        "SetVersionRuntimeResult", description="The changed version, or why nothing changed."
    ),
]


@strawberry.type
class InferenceMutation:
    @strawberry.mutation(
        description="Choose how a version serves: runtime and micro-batching (maintainers).",
        permission_classes=[IsAuthenticated],
    )
    async def set_version_runtime(
        self,
        info: Info,
        input: Annotated[
            SetVersionRuntimeInput,
            strawberry.argument(
                description="The version and its new runtime or micro-batch settings."
            ),
        ],
    ) -> SetVersionRuntimeResult:
        version = await info.context.services.registry.set_version_runtime(
            caller=await info.context.require_caller(),
            version_id=parse_id(input.version_id, "Model version"),
            use_compiled=input.use_compiled,
            batch_max_rows=input.batch_max_rows,
            batch_max_wait_ms=input.batch_max_wait_ms,
        )
        return SetVersionRuntimeSuccess(version=ModelVersion.from_table(version))
