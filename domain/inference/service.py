"""Predictions: resolve a reference, check the caller and the rows, run the model, log it.

The hot path touches the database only on a cold reference: resolutions (with the alias's
traffic policy, see ``traffic``) and the callers' grants (shares) are kept for ``RESOLVE_TTL_S``
and dropped at once when a model event says the model changed (an alias moved or its traffic
policy changed, a version was archived, a share was given or taken, the model was deleted), here
and on every replica (``forget_model`` is the emitter's handler).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import time
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from domain.accounts import Caller
from domain.errors import Conflict, DomainError, FieldError, NotFound, ValidationFailed
from domain.events import ModelEvent, ModelEventKind
from domain.inference.batching import BatchOutput, MicroBatcher, PredictionFailed, PredictionTimeout
from domain.inference.cache import ArtifactRef, LoadedModel, ModelCache
from domain.inference.explain import Explainer, Explanation, ExplanationUnsupported, explainer_for
from domain.inference.frames import with_model_input
from domain.inference.outputs import UnservableOutput, plain_output, plain_values
from domain.inference.prediction_cache import PredictionCache, row_keys
from domain.inference.refs import DEFAULT_ALIAS, ModelRef, parse_ref
from domain.inference.shadow import ShadowJob, ShadowRunner
from domain.inference.traffic import Policy, Route
from domain.inference.validation import (
    InvalidInput,
    records_to_matrix,
    records_to_table,
    rows_to_matrix,
    rows_to_table,
    typed_columns,
)
from domain.predictions.log import PredictionLogWriter, PredictionRecord
from domain.quotas import Quotas
from domain.registry import access
from domain.registry.access import Access
from domain.singleflight import SingleFlight
from storage import tables

log = logging.getLogger("modelserve.inference")

# A model fit on a DataFrame warns on every call with a plain matrix; the columns are already
# in its order (the signature enforces it), so the warning says nothing here.
warnings.filterwarnings("ignore", message="X does not have valid feature names")

RESOLVE_TTL_S = 1.0
MAX_EXECUTOR_REPLACEMENTS = 16
MAX_CACHED_RESOLUTIONS = 10_000


@dataclass(frozen=True, slots=True)
class Target:
    """A servable version, with what the hot path needs from its model."""

    model_id: uuid.UUID
    owner_id: uuid.UUID
    log_policy: str
    version_id: uuid.UUID
    number: int
    signature: dict[str, Any]
    serving_key: str
    serving_format: str
    compiled_key: str | None
    use_compiled: bool
    batch_max_rows: int | None
    batch_max_wait_ms: float | None
    cache_ttl_s: int | None = None
    team_id: uuid.UUID | None = None  # the owning team, for a team's model

    @property
    def runtime(self) -> str:
        if self.serving_format == "onnx" or (self.compiled_key and self.use_compiled):
            return "onnx"
        return "sklearn"

    def artifact(self) -> ArtifactRef:
        if self.serving_format != "onnx" and self.compiled_key and self.use_compiled:
            return ArtifactRef(self.version_id, self.compiled_key, "onnx", "onnx")
        return ArtifactRef(self.version_id, self.serving_key, self.serving_format, self.runtime)

    def original(self) -> ArtifactRef:
        """The model as uploaded (not its compiled copy): what explanations read."""
        if self.serving_format == "onnx":
            raise ExplanationUnsupported("ONNX uploads")
        return ArtifactRef(self.version_id, self.serving_key, self.serving_format, "sklearn")

    @classmethod
    def of(cls, model: tables.Model, version: tables.ModelVersion) -> Target:
        return cls(
            model_id=model.id,
            owner_id=model.owner_id,
            team_id=model.team_id,
            log_policy=str(model.log_policy),
            version_id=version.id,
            number=version.number,
            signature=version.signature or {},
            serving_key=version.serving_key,
            serving_format=version.serving_format,
            compiled_key=version.compiled_key,
            use_compiled=version.use_compiled,
            batch_max_rows=version.batch_max_rows,
            batch_max_wait_ms=version.batch_max_wait_ms,
            cache_ttl_s=model.prediction_cache_ttl_s,
        )


@dataclass(frozen=True, slots=True)
class Prediction:
    target: Target
    runtime: str
    predictions: list[Any]
    probabilities: list[list[float]] | None
    classes: list[Any] | None
    latency_ms: float
    request_id: str
    explanation: Explanation | None = None


@dataclass(frozen=True, slots=True)
class InferenceConfig:
    workers: int
    timeout_s: float
    batch_max_rows: int
    batch_max_wait_ms: float
    explain_max_rows: int = 1000


# Estimators whose predict() is exactly classes_[argmax(predict_proba())]: for them one
# predict_proba call gives both answers, halving the cost of a classified row.
_PROBA_DECIDES = frozenset(
    {
        "RandomForestClassifier",
        "ExtraTreesClassifier",
        "DecisionTreeClassifier",
        "ExtraTreeClassifier",
    }
)


_FORESTS = frozenset({"RandomForestClassifier", "ExtraTreesClassifier"})


def _final_estimator(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def forest_proba(forest: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """``predict_proba`` of a single-output forest without joblib's per-tree dispatch.

    It makes the same calls in the same order as scikit-learn's sequential path (validate
    once, add each tree's probabilities, divide), so the result is bit-for-bit the same; what
    it skips is joblib's machinery, which costs more than the trees on a few rows.
    """
    validate = getattr(forest, "_validate_X_predict", None)
    estimators = getattr(forest, "estimators_", None)
    n_classes = getattr(forest, "n_classes_", None)
    if validate is None or not estimators or not isinstance(n_classes, int | np.integer):
        return None

    def proba(rows: np.ndarray) -> np.ndarray:
        X = validate(rows)
        total = np.zeros((X.shape[0], int(n_classes)), dtype=np.float64)
        for tree in estimators:
            total += tree.predict_proba(X, check_input=False)
        total /= len(estimators)
        return total

    return proba


def make_runner(loaded: LoadedModel) -> Callable[[np.ndarray], BatchOutput]:
    model = loaded.model
    joint = getattr(model, "predict_with_proba", None)
    if joint is not None:

        def run_joint(rows: np.ndarray) -> BatchOutput:
            labels, proba = joint(rows)
            return BatchOutput(np.asarray(labels), None if proba is None else np.asarray(proba))

        return run_joint
    if loaded.has_proba and type(_final_estimator(model)).__name__ in _PROBA_DECIDES:
        classes = np.asarray(model.classes_)
        is_forest = type(model).__name__ in _FORESTS
        predict_proba = (forest_proba(model) if is_forest else None) or model.predict_proba

        def run_from_proba(rows: np.ndarray) -> BatchOutput:
            proba = np.asarray(predict_proba(rows))
            return BatchOutput(classes.take(proba.argmax(axis=1)), proba)

        return run_from_proba

    def run(rows: np.ndarray) -> BatchOutput:
        labels = np.asarray(model.predict(rows))
        proba = np.asarray(model.predict_proba(rows)) if loaded.has_proba else None
        return BatchOutput(labels, proba)

    return run


@dataclass
class _Resolved:
    target: Target
    expires: float
    policy: Policy | None = None


class Inference:
    def __init__(
        self,
        *,
        config: InferenceConfig,
        cache: ModelCache,
        log_writer: PredictionLogWriter,
        prediction_cache: PredictionCache | None = None,
        on_prediction: Callable[[Target, str, int, float], None] | None = None,
        on_batch: Callable[[int, int], None] | None = None,
        quotas: Quotas | None = None,
        shadow_queue: int = 1000,
    ) -> None:
        self.config = config
        self.quotas = quotas
        self.cache = cache
        self.log_writer = log_writer
        self.prediction_cache = prediction_cache or PredictionCache()
        self._executor: Executor = ThreadPoolExecutor(
            max_workers=config.workers, thread_name_prefix="predict"
        )
        self._batchers: dict[tuple[uuid.UUID, str], MicroBatcher] = {}
        self._version_model: dict[uuid.UUID, uuid.UUID] = {}
        self._replaced = 0
        self._flights = SingleFlight()
        # An evicted model must not live on in its batcher's closure.
        cache.on_evict.append(
            lambda version_id, runtime: self._batchers.pop((version_id, runtime), None)
        )
        # Explainers by version, with the loaded (original) model they were built from.
        self._explainers: dict[uuid.UUID, tuple[Any, Explainer]] = {}
        cache.on_evict.append(lambda version_id, _: self._explainers.pop(version_id, None))
        self._resolved: dict[str, _Resolved] = {}
        self._generation = 0  # bumped by every event that drops grants
        self._grants: dict[tuple[uuid.UUID, uuid.UUID], tuple[access.Grant, float]] = {}
        self._on_prediction = on_prediction
        self._on_batch = on_batch
        # Shadow copies run in their own thread and batchers, so they never queue before callers.
        self._shadow_executor: Executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="shadow"
        )
        self._shadow_batchers: dict[tuple[uuid.UUID, str], MicroBatcher] = {}
        self._shadow_replaced = 0  # apart from callers' own, which shadows must not use up
        cache.on_evict.append(
            lambda version_id, runtime: self._shadow_batchers.pop((version_id, runtime), None)
        )
        self.shadows = ShadowRunner(
            run=self._shadow_predict, log_writer=log_writer, max_queue=shadow_queue
        )

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self.log_writer.start()
        self.shadows.start()

    async def close(self) -> None:
        await self.shadows.close()
        await self.log_writer.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._shadow_executor.shutdown(wait=False, cancel_futures=True)

    async def warm_up(self, *, alias: str = DEFAULT_ALIAS) -> int:
        """Load every model's ``alias`` version into the cache; returns how many loaded."""
        loaded = 0
        aliases = await tables.Alias.filter(name=alias, model__deleted_at=None).select_related(
            "model", "version"
        )
        for entry in aliases[: self.cache.max_models]:
            if entry.version.status != tables.VersionStatus.READY:
                continue
            try:
                await self.cache.get(Target.of(entry.model, entry.version).artifact())
                loaded += 1
            except Exception:
                log.warning("warm-up could not load %s", entry.version_id, exc_info=True)
        return loaded

    def clear_caches(self) -> None:
        """Forget every resolution, share level, batcher and loaded model of this process."""
        self._resolved.clear()
        self._grants.clear()
        self._batchers.clear()
        self._shadow_batchers.clear()
        self._explainers.clear()
        self.cache.drop(
            set(self._version_model) | {m.version_id for m in self.cache.cached_versions()}
        )
        self._version_model.clear()

    def forget_model(self, event: ModelEvent) -> None:
        """Drop what ``event`` makes stale: resolutions and grants of its model, and the
        loaded copies and batchers of a version that stopped serving as it was."""
        model_id = event.model_id
        self._generation += 1
        for key in [k for k, hit in self._resolved.items() if hit.target.model_id == model_id]:
            del self._resolved[key]
        for key in [k for k in self._grants if k[0] == model_id]:
            del self._grants[key]
        if event.kind is ModelEventKind.MODEL_DELETED:
            versions = {v for v, m in self._version_model.items() if m == model_id}
        elif event.version_id is not None and event.kind in {
            ModelEventKind.VERSION_ARCHIVED,
            ModelEventKind.VERSION_RUNTIME_CHANGED,
        }:
            versions = {event.version_id}
        else:
            return
        self.cache.drop(versions)
        for batchers in (self._batchers, self._shadow_batchers):
            for key in [k for k in batchers if k[0] in versions]:
                del batchers[key]
        for version_id in versions:
            self._version_model.pop(version_id, None)
            self._explainers.pop(version_id, None)

    def forget_resolutions(self) -> None:
        """Forget every resolution and grant: events from other replicas may have been missed."""
        self._generation += 1
        self._resolved.clear()
        self._grants.clear()

    # -- resolution ----------------------------------------------------------------------

    async def resolve(
        self, *, caller: Caller, ref: str | ModelRef, needed: Access = Access.PREDICTOR
    ) -> Target:
        """The version that answers ``caller`` for ``ref`` (an alias's split chooses it), when
        the caller has ``needed`` access to its model (describing one needs only ``VIEWER``)."""
        return (await self.resolve_route(caller=caller, ref=ref, needed=needed)).target

    async def resolve_route(
        self, *, caller: Caller, ref: str | ModelRef, needed: Access = Access.PREDICTOR
    ) -> Route:
        """The version that answers ``caller`` for ``ref``, and the shadow versions."""
        parsed = ref if isinstance(ref, ModelRef) else parse_ref(ref)
        key = str(parsed)
        now = time.monotonic()
        hit = self._resolved.get(key)
        if hit is None or hit.expires < now:
            # Keyed by caller too: the lookup checks this caller's access on the way. A lookup
            # that a model event overtook is used once, neither joined later nor kept.
            generation = self._generation
            hit = await self._flights.do(
                ("resolve", key, caller.user_id, caller.key_id, needed, generation),
                lambda: self._lookup_route(parsed, caller, now + RESOLVE_TTL_S, needed),
            )
            if generation == self._generation:
                self._resolved[key] = hit
            if len(self._resolved) > MAX_CACHED_RESOLUTIONS:
                self._resolved.clear()
        target = hit.target
        await self._check_access(
            caller,
            target.model_id,
            target.owner_id,
            target.team_id,
            hidden_as=_missing(parsed),
            needed=needed,
        )
        return hit.policy.route(caller, target) if hit.policy is not None else Route(target)

    async def _lookup_route(
        self, ref: ModelRef, caller: Caller, expires: float, needed: Access
    ) -> _Resolved:
        """The version ``ref`` names and, for an alias, its traffic policy."""
        target = await self._lookup(ref, caller, needed)
        if ref.version_id is not None or ref.number is not None:
            return _Resolved(target, expires)
        alias = ref.alias or DEFAULT_ALIAS
        routes = await tables.TrafficRoute.filter(
            model_id=target.model_id, alias=alias
        ).select_related("model", "version")
        servable = sorted(
            (r for r in routes if r.version.status == tables.VersionStatus.READY),
            key=lambda r: r.position,
        )
        if not servable:
            return _Resolved(target, expires)
        policy = Policy.build(
            alias,
            [
                (Target.of(r.model, r.version), r.weight)
                for r in servable
                if r.role == tables.RouteRole.SPLIT
            ],
            [Target.of(r.model, r.version) for r in servable if r.role == tables.RouteRole.SHADOW],
        )
        return _Resolved(target, expires, policy)

    async def _lookup(self, ref: ModelRef, caller: Caller, needed: Access) -> Target:
        """The servable version ``ref`` names. Access is checked as soon as the model is
        known, so a stranger learns nothing of its aliases, versions or their states."""
        if ref.version_id is not None:
            version = await tables.ModelVersion.get_or_none(id=ref.version_id).select_related(
                "model"
            )
            if version is None or version.model.deleted_at is not None:
                raise NotFound("Model version")
            model = version.model
            await self._check_access(
                caller,
                model.id,
                model.owner_id,
                model.team_id,
                hidden_as="Model version",
                needed=needed,
            )
            return self._servable(version.model, version)
        model = await tables.Model.get_or_none(namespace=ref.owner, name=ref.name, deleted_at=None)
        if model is None:
            raise NotFound("Model")
        await self._check_access(caller, model.id, model.owner_id, model.team_id, needed=needed)
        if ref.number is not None:
            version = await tables.ModelVersion.get_or_none(model_id=model.id, number=ref.number)
        else:
            alias = await tables.Alias.get_or_none(
                model_id=model.id, name=ref.alias or DEFAULT_ALIAS
            ).select_related("version")
            if alias is not None:
                version = alias.version
            elif ref.alias is not None:
                raise NotFound(f"Alias {ref.alias!r}")
            else:
                version = (
                    await tables.ModelVersion.filter(
                        model_id=model.id, status=tables.VersionStatus.READY
                    )
                    .order_by("-number")
                    .first()
                )
        if version is None:
            raise NotFound("Model version")
        return self._servable(model, version)

    @staticmethod
    def _servable(model: tables.Model, version: tables.ModelVersion) -> Target:
        if version.status != tables.VersionStatus.READY:
            raise Conflict(f"Version {version.number} is {version.status}; it does not serve.")
        return Target.of(model, version)

    async def _check_access(
        self,
        caller: Caller,
        model_id: uuid.UUID,
        owner_id: uuid.UUID,
        team_id: uuid.UUID | None,
        *,
        hidden_as: str = "Model",
        needed: Access = Access.PREDICTOR,
    ) -> None:
        """Raises NotFound, worded as for a missing ``hidden_as``, for a model the caller
        may not see, and Forbidden for one it may see but with less than ``needed``.

        The caller's grant is cached (share and team events drop it at once); the rule is
        ``access``'s.
        """
        grant = access.NO_GRANT
        if not caller.is_admin and not access.owns(caller, owner_id=owner_id, team_id=team_id):
            key = (model_id, caller.user_id)
            now = time.monotonic()
            cached = self._grants.get(key)
            if cached is None or cached[1] < now:
                # A grant read while a share or team event arrives may predate it: such a
                # read joins no later request and is not kept (the generation moved on).
                generation = self._generation
                grants = await self._flights.do(
                    ("grant", key, generation),
                    lambda: access.grants_for(caller, [access.ModelKey(model_id, team_id)]),
                )
                cached = (grants.get(model_id, access.NO_GRANT), now + RESOLVE_TTL_S)
                if len(self._grants) > MAX_CACHED_RESOLUTIONS:
                    self._grants.clear()
                if generation == self._generation:
                    self._grants[key] = cached
            grant = cached[0]
        level = access.decide(
            caller, model_id=model_id, owner_id=owner_id, team_id=team_id, grant=grant
        )
        access.check(level, needed, hidden_as=hidden_as)

    # -- prediction ----------------------------------------------------------------------

    async def admit(self, *, caller: Caller, ref: str) -> None:
        """Refuse, charging nothing, a prediction that neither the caller's budget nor the
        model's quota has a unit left for now (``RateLimited``).

        A REST face asks before it reads and decodes a body, so an over-budget caller is
        refused as cheaply as on GraphQL; ``predict`` still charges the exact cost.
        """
        if self.quotas is None:
            return
        (refusal,) = await self.quotas.refusals(caller=caller, rows=[0])
        if refusal is not None:
            raise refusal
        target = (await self.resolve_route(caller=caller, ref=ref)).target
        (refusal,) = await self.quotas.model_refusals(predictions=[(target.model_id, 0)])
        if refusal is not None:
            raise refusal

    async def predict(
        self,
        *,
        caller: Caller,
        ref: str,
        rows: Any = None,
        records: Any = None,
        columns: list[str] | None = None,
        max_rows: int,
        request_id: str,
        explain: bool = False,
    ) -> Prediction:
        """Predict ``rows`` (lists in feature order) or ``records`` (objects keyed by feature).

        ``columns`` names the cells of ``rows``, as a table does (MLflow's ``dataframe_split``,
        one v2 input per column): a model fit on named features takes them by name, any other
        model in the order given.

        With ``explain``, each row's feature contributions come too (``Prediction.explanation``),
        from the original model even where a compiled copy serves; the request costs
        ``explain_cost_multiplier`` times a plain one's units and takes at most
        ``explain_max_rows`` rows. ``ExplanationUnsupported`` when the model has no explainer.
        """
        started = time.perf_counter()
        if explain:
            max_rows = min(max_rows, self.config.explain_max_rows)
        # Limits first, so that a refused request costs no lookup, validation or model run.
        n_rows = min(_count(rows, records), max_rows)
        if self.quotas is not None:
            await self.quotas.charge_caller(caller=caller, rows=n_rows, explain=explain)
        route = await self.resolve_route(caller=caller, ref=ref)
        target = route.target
        if self.quotas is not None:
            await self.quotas.charge_model(model_id=target.model_id, rows=n_rows, explain=explain)
        explanation = None
        try:
            if columns is not None:
                rows, records = _by_name(rows, columns, target.signature, max_rows)
            matrix = self._matrix(target, rows, records, max_rows)
            explainer = await self._explainer(target) if explain else None
            loaded = await self.cache.get(target.artifact())
            if target.cache_ttl_s:
                output = await self._cached_predict(target, loaded, matrix)
            else:
                output = await self._batcher(target, loaded).submit(matrix)
                output = plain_output(output, len(matrix))
            classes = plain_values(loaded.classes, "class label")
            if explainer is not None:
                explanation = await self._explain(target, explainer, matrix)
        except DomainError as exc:
            latency = (time.perf_counter() - started) * 1000
            if isinstance(exc, UnservableOutput):
                # Once per request; the rows stay out of the log, as they may be personal data.
                log.warning(
                    "version %s of model %s: %s",
                    target.version_id,
                    target.model_id,
                    exc.message,
                    extra={"request_id": request_id},
                )
            self._log(
                caller,
                target,
                rows if rows is not None else records,
                None,
                request_id,
                latency,
                exc.code.value,
                n_rows=_count(rows, records),
            )
            raise
        latency = (time.perf_counter() - started) * 1000
        predictions = output.predictions.tolist()
        probabilities = None if output.probabilities is None else output.probabilities.tolist()
        self._log(
            caller, target, matrix, predictions, request_id, latency, None, n_rows=len(matrix)
        )
        for shadow in route.shadows:
            self.shadows.submit(ShadowJob(shadow, matrix, predictions, caller.user_id, request_id))
        return Prediction(
            target=target,
            runtime=loaded.runtime,
            predictions=predictions,
            probabilities=probabilities,
            classes=classes,
            latency_ms=latency,
            request_id=request_id,
            explanation=explanation,
        )

    # -- explanation ---------------------------------------------------------------------

    async def _explainer(self, target: Target) -> Explainer:
        """The version's explainer, built (off the event loop) once per loaded model."""
        loaded = await self.cache.get(target.original())
        cached = self._explainers.get(target.version_id)
        if cached is not None and cached[0] is loaded.model:
            return cached[1]
        build = functools.partial(
            explainer_for, loaded.model, feature_names=target.signature.get("feature_names")
        )

        async def built() -> Explainer:
            return await asyncio.get_running_loop().run_in_executor(self._executor, build)

        try:
            # Concurrent first explanations of a version wait for one build.
            explainer = await self._flights.do(
                ("explainer", target.version_id, id(loaded.model)), built
            )
        except ExplanationUnsupported:
            raise
        except Exception:
            # A model of a supported kind whose insides are not as expected: no explanation
            # rather than a wrong one.
            log.warning("version %s: no explainer", target.version_id, exc_info=True)
            raise ExplanationUnsupported(f"this {type(loaded.model).__name__} model") from None
        self._explainers[target.version_id] = (loaded.model, explainer)
        self._version_model[target.version_id] = target.model_id
        return explainer

    async def _explain(
        self, target: Target, explainer: Explainer, matrix: np.ndarray
    ) -> Explanation:
        """Explain ``matrix`` in the inference executor, under the prediction timeout."""
        run = with_model_input(explainer.explain, target.signature, "sklearn")
        try:
            return await asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(self._executor, run, matrix),
                self.config.timeout_s,
            )
        except TimeoutError:
            self._replace_executor()
            raise PredictionTimeout(self.config.timeout_s) from None
        except DomainError:
            raise
        except Exception as exc:
            raise PredictionFailed(f"{type(exc).__name__}: {str(exc)[:200]}") from None

    async def _cached_predict(
        self, target: Target, loaded: LoadedModel, matrix: np.ndarray
    ) -> BatchOutput:
        """Answer cached rows from the prediction cache; predict only the others."""
        assert target.cache_ttl_s is not None
        keys = row_keys(f"{target.version_id}:{loaded.runtime}", matrix)
        answers = await self.prediction_cache.get_many(keys)
        missing = [i for i, answer in enumerate(answers) if answer is None]
        if missing:
            fresh = await self._batcher(target, loaded).submit(matrix[missing])
            fresh = plain_output(fresh, len(missing))  # before the cache keeps it
            computed: dict[str, Any] = {}
            for j, i in enumerate(missing):
                proba = None if fresh.probabilities is None else fresh.probabilities[j].tolist()
                label = fresh.predictions[j]
                answers[i] = (label.item() if isinstance(label, np.generic) else label, proba)
                computed[keys[i]] = answers[i]
            await self.prediction_cache.set_many(computed, target.cache_ttl_s)
        predictions = np.asarray([answer[0] for answer in answers])  # type: ignore[index]
        has_proba = answers[0][1] is not None  # type: ignore[index]
        probabilities = (
            np.asarray([answer[1] for answer in answers]) if has_proba else None  # type: ignore[index]
        )
        return BatchOutput(predictions, probabilities)

    async def predict_unlogged(
        self, *, model: tables.Model, version: tables.ModelVersion, rows: list[list[Any]]
    ) -> list[Any]:
        """``version``'s predictions of ``rows``, for the server's own use (a drift reference):
        validated as any request's rows, but outside the log, the quotas and the answer cache.
        The caller of this has already checked access."""
        target = Target.of(model, version)
        matrix = self._matrix(target, rows, None, max(1, len(rows)))
        loaded = await self.cache.get(target.artifact())
        output = await self._batcher(target, loaded).submit(matrix)
        return plain_output(output, len(matrix)).predictions.tolist()

    def check_rows(self, target: Target, rows: list[Any], *, max_rows: int) -> None:
        """Raises ``InvalidInput`` naming the first rows that do not fit ``target``."""
        self._matrix(target, rows, None, max_rows)

    def _matrix(self, target: Target, rows: Any, records: Any, max_rows: int) -> np.ndarray:
        signature = target.signature
        allows_missing = bool(signature.get("allows_missing"))
        if (rows is None) == (records is None):
            raise ValidationFailed(
                [FieldError(("inputs",), "Give exactly one of `rows` or `records`.", "required")]
            )
        columns = typed_columns(signature)
        if columns is not None:
            if rows is not None:
                return rows_to_table(rows, columns=columns, max_rows=max_rows)
            return records_to_table(records, columns=columns, max_rows=max_rows)
        if rows is not None:
            return rows_to_matrix(
                rows,
                n_features=signature.get("n_features_in"),
                allows_missing=allows_missing,
                max_rows=max_rows,
            )
        return records_to_matrix(
            records,
            feature_names=signature.get("feature_names"),
            allows_missing=allows_missing,
            max_rows=max_rows,
        )

    def _batcher(self, target: Target, loaded: LoadedModel) -> MicroBatcher:
        key = (target.version_id, loaded.runtime)
        batcher = self._batchers.get(key)
        if batcher is None or batcher.model is not loaded.model:
            batcher = MicroBatcher(
                run=with_model_input(make_runner(loaded), target.signature, loaded.runtime),
                executor=lambda: self._executor,
                max_rows=target.batch_max_rows or self.config.batch_max_rows,
                max_wait_ms=(
                    target.batch_max_wait_ms
                    if target.batch_max_wait_ms is not None
                    else self.config.batch_max_wait_ms
                ),
                timeout_s=self.config.timeout_s,
                on_batch=self._on_batch,
                on_timeout=self._replace_executor,
            )
            batcher.model = loaded.model
            self._batchers[key] = batcher
            self._version_model[target.version_id] = target.model_id
        return batcher

    async def _shadow_predict(self, target: Target, rows: np.ndarray) -> list[Any]:
        """A shadow version's answers for ``rows``, off the callers' thread and batchers."""
        loaded = await self.cache.get(target.artifact())
        key = (target.version_id, loaded.runtime)
        batcher = self._shadow_batchers.get(key)
        if batcher is None or batcher.model is not loaded.model:
            batcher = MicroBatcher(
                run=with_model_input(make_runner(loaded), target.signature, loaded.runtime),
                executor=lambda: self._shadow_executor,
                max_rows=target.batch_max_rows or self.config.batch_max_rows,
                max_wait_ms=0,
                timeout_s=self.config.timeout_s,
                on_timeout=self._replace_shadow_executor,
            )
            batcher.model = loaded.model
            self._shadow_batchers[key] = batcher
            self._version_model[target.version_id] = target.model_id
        output = plain_output(await batcher.submit(rows), len(rows))
        return output.predictions.tolist()

    def _replace_shadow_executor(self) -> None:
        """A hung shadow keeps its thread; later shadows get a fresh one (as for callers)."""
        if self._shadow_replaced >= MAX_EXECUTOR_REPLACEMENTS:
            return
        self._shadow_replaced += 1
        old = self._shadow_executor
        self._shadow_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shadow")
        old.shutdown(wait=False)

    def _replace_executor(self) -> None:
        """A hung call keeps its thread; later work gets fresh threads instead of queuing.

        Work already queued in the old pool still runs there (nothing is cancelled). The
        number of replacements is capped, so slow requests cannot grow threads without end.
        """
        if self._replaced >= MAX_EXECUTOR_REPLACEMENTS:
            log.error(
                "prediction threads keep hanging; not adding more (%d replaced)", self._replaced
            )
            return
        self._replaced += 1
        old = self._executor
        self._executor = ThreadPoolExecutor(
            max_workers=self.config.workers, thread_name_prefix="predict"
        )
        old.shutdown(wait=False)

    def _log(
        self,
        caller: Caller,
        target: Target,
        inputs: Any,
        outputs: list[Any] | None,
        request_id: str,
        latency_ms: float,
        error_code: str | None,
        *,
        n_rows: int,
    ) -> None:
        policy = target.log_policy
        stored_inputs = None
        inputs_hash = None
        if isinstance(inputs, np.ndarray):
            inputs = inputs.tolist()
        elif not isinstance(inputs, list):
            inputs = None  # not even a list: nothing worth keeping
        if inputs is not None and policy != "none":
            plain = inputs
            if policy == "full":
                stored_inputs = plain
            else:
                inputs_hash = hashlib.sha256(
                    json.dumps(plain, separators=(",", ":"), default=str).encode()
                ).hexdigest()
        self.log_writer.record(
            PredictionRecord(
                model_id=target.model_id,
                version_id=target.version_id,
                caller_id=caller.user_id,
                request_id=request_id,
                status="error" if error_code else "ok",
                error_code=error_code,
                n_rows=n_rows,
                latency_ms=round(latency_ms, 3),
                inputs=stored_inputs,
                inputs_hash=inputs_hash,
                outputs=outputs if policy != "none" else None,
                version_number=target.number,
            )
        )
        if self._on_prediction is not None:
            self._on_prediction(target, error_code or "ok", n_rows, latency_ms)


def _by_name(
    rows: Any, columns: list[str], signature: dict[str, Any], max_rows: int
) -> tuple[Any, Any]:
    """Named rows as the model takes them: records when it was fit on named features,
    else the rows themselves (their cells in the order the columns were given)."""
    if len(set(columns)) != len(columns):
        raise InvalidInput(
            [FieldError(("inputs",), "Each column may be given once.", "duplicate_column")]
        )
    if not isinstance(rows, list) or len(rows) > max_rows:
        return rows, None  # refused by the row count (or shape), whatever its names
    # Every row has one value per named column, whether the model takes them by name or in
    # order (as pandas.DataFrame(data, columns=...) refuses a mismatch).
    width = len(columns)
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            message = f"Expected {width} values, one per column."
            raise InvalidInput([FieldError(("inputs", str(i)), message, "not_a_row")])
    if not signature.get("feature_names"):
        return rows, None
    return None, [dict(zip(columns, row, strict=True)) for row in rows]


def _count(rows: Any, records: Any) -> int:
    value = rows if rows is not None else records
    return len(value) if isinstance(value, list) else 0


def _missing(ref: ModelRef) -> str:
    """What a reference names, as a not-found answer words it."""
    return "Model version" if ref.version_id is not None else "Model"
