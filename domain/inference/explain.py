"""Explanations: each feature's contribution to a model's raw output, row by row, exactly.

For every row and every output, ``base + sum(contributions)`` is the model's own raw output:

- tree ensembles, TreeSHAP (path-dependent, exact): XGBoost's and LightGBM's native
  ``pred_contribs`` / ``pred_contrib`` on the margin; scikit-learn's decision trees, random
  forests, extra trees, gradient boosting and histogram gradient boosting through
  ``domain.inference.treeshap``, on ``predict_proba`` for trees and forests that classify, on
  ``decision_function`` (the margin) for gradient boosting, on ``predict`` for regressors;
- linear models: ``coef * (x - reference)`` with the origin as the reference, so the base value is
  the intercept; on ``decision_function`` for classifiers, ``predict`` for regressors;
- a ``Pipeline`` whose last step is one of those: explained in the space its last step sees (the
  preprocessing's output, named by ``get_feature_names_out`` where it can), said by
  ``transformed``. Behind a ``StandardScaler`` the origin of that space is the training mean.

A binary classifier explained on its margin has one output, the positive class (``classes_[1]``).
Anything else (k-neighbours, kernel SVMs, networks, ONNX uploads, wrappers such as calibration or
voting) raises ``ExplanationUnsupported``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from domain.errors import DomainError, ErrorCode
from domain.inference.treeshap import TreeArrays, TreeShap

PROBABILITY = "probability"
MARGIN = "margin"
VALUE = "value"

_TREE_CLASSIFIERS = frozenset({"DecisionTreeClassifier", "ExtraTreeClassifier"})
_TREE_REGRESSORS = frozenset({"DecisionTreeRegressor", "ExtraTreeRegressor"})
_FOREST_CLASSIFIERS = frozenset({"RandomForestClassifier", "ExtraTreesClassifier"})
_FOREST_REGRESSORS = frozenset({"RandomForestRegressor", "ExtraTreesRegressor"})
_BOOSTING = frozenset({"GradientBoostingClassifier", "GradientBoostingRegressor"})
_HIST_BOOSTING = frozenset({"HistGradientBoostingClassifier", "HistGradientBoostingRegressor"})
# Linear in their inputs: decision_function (classifiers) or predict (regressors) is x @ coef.T
# + intercept, with no link on top.
_LINEAR = frozenset(
    {
        "LinearRegression",
        "Ridge",
        "RidgeCV",
        "Lasso",
        "LassoCV",
        "ElasticNet",
        "ElasticNetCV",
        "Lars",
        "LassoLars",
        "BayesianRidge",
        "ARDRegression",
        "HuberRegressor",
        "SGDRegressor",
        "LinearSVR",
        "LogisticRegression",
        "LogisticRegressionCV",
        "RidgeClassifier",
        "RidgeClassifierCV",
        "SGDClassifier",
        "LinearSVC",
        "Perceptron",
        "PassiveAggressiveClassifier",
    }
)


class ExplanationUnsupported(DomainError):
    """The model has no exact explainer here."""

    code = ErrorCode.EXPLANATION_UNSUPPORTED

    def __init__(self, what: str) -> None:
        super().__init__(
            f"Explanations are not available for {what}: only tree ensembles (scikit-learn, "
            "XGBoost, LightGBM) and linear models, alone or as a Pipeline's last step, are "
            "explained."
        )
        self.what = what


@dataclass(frozen=True, slots=True)
class Explanation:
    """Per row, per output, per feature contributions; ``base_values`` per output."""

    method: str  # "tree_shap" or "linear"
    output_space: str  # PROBABILITY, MARGIN or VALUE
    transformed: bool  # features are a Pipeline's preprocessed ones
    feature_names: list[str]
    outputs: list[Any]  # the class (or output index) each output explains; None for one value
    base_values: list[float]
    contributions: list[list[list[float]]]


Core = Callable[[Any], tuple[np.ndarray, np.ndarray]]  # X -> (rows x outputs x features, base)


@dataclass(frozen=True, slots=True)
class Explainer:
    """What explains one loaded model; built once and reused for its every request."""

    method: str
    output_space: str
    outputs: list[Any]
    feature_names: list[str] | None  # None: named after the preprocessing, per call
    core: Core
    prepare: Callable[[Any], Any] | None = None  # the Pipeline's preprocessing

    def explain(self, X: Any) -> Explanation:
        """Runs in an executor thread: NumPy and the boosters' own code, off the event loop."""
        if self.prepare is not None:
            X = self.prepare(X)
            if hasattr(X, "toarray"):
                X = X.toarray()
        contributions, base = self.core(X)
        contributions = np.asarray(contributions, dtype=np.float64)
        names = self.feature_names or _names_of(X, contributions.shape[2])
        if not np.isfinite(contributions).all() or not np.isfinite(base).all():
            raise ValueError("the explanation is not finite")
        return Explanation(
            method=self.method,
            output_space=self.output_space,
            transformed=self.prepare is not None,
            feature_names=names,
            outputs=self.outputs,
            base_values=np.asarray(base, dtype=np.float64).tolist(),
            contributions=contributions.tolist(),
        )


def explainer_for(model: Any, *, feature_names: list[str] | None) -> Explainer:
    """The explainer of ``model``; raises ``ExplanationUnsupported`` when it has none.

    ``feature_names`` are the signature's (the model's input columns), when it has them.
    """
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps and hasattr(model, "__getitem__"):
        final = steps[-1][1]
        if getattr(final, "steps", None) is not None:
            raise ExplanationUnsupported("a Pipeline ending in another Pipeline")
        if len(steps) == 1:
            return explainer_for(final, feature_names=feature_names)
        preprocessing = model[:-1]
        core, space, outputs, method = _core(final)
        names = None
        # A transformer without names leaves the columns numbered.
        with contextlib.suppress(Exception):
            names = [str(n) for n in preprocessing.get_feature_names_out()]
        return Explainer(method, space, outputs, names, core, prepare=_transform(preprocessing))
    core, space, outputs, method = _core(model)
    names = feature_names or _model_names(model)
    return Explainer(method, space, outputs, names, core)


def _transform(preprocessing: Any) -> Callable[[Any], Any]:
    def prepare(X: Any) -> Any:
        return preprocessing.transform(X)

    return prepare


def _core(model: Any) -> tuple[Core, str, list[Any], str]:
    kind = type(model).__name__
    module = type(model).__module__
    if module.startswith("xgboost"):
        return (*_xgboost(model), "tree_shap")
    if module.startswith("lightgbm"):
        return (*_lightgbm(model), "tree_shap")
    if module.startswith("sklearn."):
        if kind in _LINEAR:
            return (*_linear(model), "linear")
        trees = _sklearn_trees(model, kind)
        if trees is not None:
            return (*trees, "tree_shap")
    raise ExplanationUnsupported(f"{kind} models")


# -- boosters with their own TreeSHAP ------------------------------------------------------------


def _classes(model: Any) -> list[Any] | None:
    classes = getattr(model, "classes_", None)
    return None if classes is None else np.asarray(classes).tolist()


def _margin_outputs(classes: list[Any] | None, n_outputs: int) -> list[Any]:
    if classes is not None and len(classes) == 2 and n_outputs == 1:
        return [classes[1]]
    if classes is not None and len(classes) == n_outputs:
        return list(classes)
    return [None] if n_outputs == 1 else list(range(n_outputs))


def _split_bias(raw: np.ndarray, n_outputs: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows x outputs x features, base) from rows x outputs x (features + 1), bias last."""
    raw = np.asarray(raw, dtype=np.float64).reshape(len(raw), n_outputs, -1)
    base = raw[0, :, -1] if len(raw) else np.zeros(n_outputs)
    return raw[:, :, :-1], base


def _xgboost(model: Any) -> tuple[Core, str, list[Any]]:
    import xgboost

    booster = model if isinstance(model, xgboost.Booster) else model.get_booster()
    n_outputs = _xgboost_outputs(model, booster)
    classes = _classes(model)
    space = MARGIN if classes is not None else VALUE

    def core(X: Any) -> tuple[np.ndarray, np.ndarray]:
        matrix = xgboost.DMatrix(
            X,
            missing=getattr(model, "missing", np.nan),
            feature_types=getattr(model, "feature_types", None),
            enable_categorical=bool(getattr(model, "enable_categorical", False)),
        )
        kwargs: dict[str, Any] = {}
        iterations = getattr(model, "_get_iteration_range", None)
        if iterations is not None:
            kwargs["iteration_range"] = iterations(None)
        raw = booster.predict(matrix, pred_contribs=True, **kwargs)
        return _split_bias(raw, n_outputs)

    return core, space, _margin_outputs(classes, n_outputs)


def _xgboost_outputs(model: Any, booster: Any) -> int:
    n_classes = getattr(model, "n_classes_", None)
    if n_classes is not None and int(n_classes) > 2:
        return int(n_classes)
    try:
        import json

        config = json.loads(booster.save_config())
        learner = config["learner"]["learner_model_param"]
        return max(1, int(learner.get("num_class", "0")), int(learner.get("num_target", "1")))
    except Exception:
        return 1


def _lightgbm(model: Any) -> tuple[Core, str, list[Any]]:
    classes = _classes(model)
    booster = getattr(model, "booster_", model)
    n_outputs = int(booster.num_model_per_iteration())
    space = MARGIN if classes is not None else VALUE

    def core(X: Any) -> tuple[np.ndarray, np.ndarray]:
        raw = model.predict(X, pred_contrib=True)
        if isinstance(raw, list):  # sparse input: one matrix per class
            raw = np.stack([np.asarray(part.todense()) for part in raw], axis=1)
        return _split_bias(np.asarray(raw), n_outputs)

    return core, space, _margin_outputs(classes, n_outputs)


# -- linear models -------------------------------------------------------------------------------


def _linear(model: Any) -> tuple[Core, str, list[Any]]:
    coef = model.coef_
    if hasattr(coef, "toarray"):  # sparsify()'d
        coef = coef.toarray()
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    intercept = np.broadcast_to(
        np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64)), (len(coef),)
    ).copy()
    classes = _classes(model)
    space = MARGIN if classes is not None else VALUE

    def core(X: Any) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(X, dtype=np.float64)
        return x[:, None, :] * coef[None, :, :], intercept

    return core, space, _margin_outputs(classes, len(coef))


# -- scikit-learn's trees ------------------------------------------------------------------------


def _tree_arrays(tree: Any, values: np.ndarray) -> TreeArrays:
    return TreeArrays(
        left=np.asarray(tree.children_left),
        right=np.asarray(tree.children_right),
        feature=np.asarray(tree.feature),
        threshold=np.asarray(tree.threshold, dtype=np.float64),
        missing_left=np.asarray(tree.missing_go_to_left, dtype=bool),
        cover=np.asarray(tree.weighted_n_node_samples, dtype=np.float64),
        values=values,
    )


def _class_shares(tree: Any) -> np.ndarray:
    """A classifying tree's leaf probabilities, as ``predict_proba`` normalises them."""
    value = np.asarray(tree.value, dtype=np.float64)[:, 0, :]
    total = value.sum(axis=1, keepdims=True)
    total[total == 0] = 1.0
    return value / total


def _sklearn_trees(model: Any, kind: str) -> tuple[Core, str, list[Any]] | None:
    n_features = int(model.n_features_in_)
    classes = _classes(model)
    if kind in _TREE_CLASSIFIERS | _FOREST_CLASSIFIERS:
        if int(getattr(model, "n_outputs_", 1)) != 1:
            raise ExplanationUnsupported(f"multi-output {kind} models")
        estimators = model.estimators_ if kind in _FOREST_CLASSIFIERS else [model]
        share = 1 / len(estimators)
        trees = [_tree_arrays(e.tree_, _class_shares(e.tree_) * share) for e in estimators]
        explainer = TreeShap(trees, n_features, np.zeros(len(classes or [])))
        return _tree_core(explainer), PROBABILITY, list(classes or [])
    if kind in _TREE_REGRESSORS | _FOREST_REGRESSORS:
        estimators = model.estimators_ if kind in _FOREST_REGRESSORS else [model]
        n_outputs = int(getattr(model, "n_outputs_", 1))
        trees = [
            _tree_arrays(e.tree_, np.asarray(e.tree_.value)[:, :, 0] / len(estimators))
            for e in estimators
        ]
        explainer = TreeShap(trees, n_features, np.zeros(n_outputs))
        return _tree_core(explainer), VALUE, _margin_outputs(None, n_outputs)
    if kind in _BOOSTING:
        return _gradient_boosting(model, kind, n_features, classes)
    if kind in _HIST_BOOSTING:
        return _hist_gradient_boosting(model, kind, n_features, classes)
    return None


def _tree_core(explainer: TreeShap, *, float32: bool = True) -> Core:
    def core(X: Any) -> tuple[np.ndarray, np.ndarray]:
        return explainer.explain(np.asarray(X, dtype=np.float64), float32=float32), explainer.base

    return core


def _gradient_boosting(
    model: Any, kind: str, n_features: int, classes: list[Any] | None
) -> tuple[Core, str, list[Any]]:
    init = model.init_
    if not (init == "zero" or type(init).__name__ in {"DummyClassifier", "DummyRegressor"}):
        raise ExplanationUnsupported(f"{kind} models with a custom init estimator")
    # The init estimator's raw prediction is a constant (a prior): the same for any row.
    offset = np.asarray(model._raw_predict_init(np.zeros((1, n_features))), dtype=np.float64)[0]
    stages = model.estimators_  # stages x outputs
    n_outputs = stages.shape[1]
    trees = []
    for stage in stages:
        for k, estimator in enumerate(stage):
            values = np.zeros((estimator.tree_.node_count, n_outputs))
            values[:, k] = np.asarray(estimator.tree_.value)[:, 0, 0] * model.learning_rate
            trees.append(_tree_arrays(estimator.tree_, values))
    explainer = TreeShap(trees, n_features, offset)
    space = MARGIN if classes is not None else VALUE
    return _tree_core(explainer), space, _margin_outputs(classes, n_outputs)


def _hist_gradient_boosting(
    model: Any, kind: str, n_features: int, classes: list[Any] | None
) -> tuple[Core, str, list[Any]]:
    categorical = getattr(model, "is_categorical_", None)
    if getattr(model, "_preprocessor", None) is not None or (
        categorical is not None and np.any(categorical)
    ):
        raise ExplanationUnsupported(f"{kind} models with categorical features")
    offset = np.asarray(model._baseline_prediction, dtype=np.float64).reshape(-1)
    n_outputs = len(offset)
    trees = []
    for iteration in model._predictors:
        for k, predictor in enumerate(iteration):
            nodes = predictor.nodes
            leaf = nodes["is_leaf"].astype(bool)
            values = np.zeros((len(nodes), n_outputs))
            values[:, k] = nodes["value"]
            trees.append(
                TreeArrays(
                    left=np.where(leaf, -1, nodes["left"].astype(np.int64)),
                    right=np.where(leaf, -1, nodes["right"].astype(np.int64)),
                    feature=nodes["feature_idx"].astype(np.int64),
                    threshold=nodes["num_threshold"].astype(np.float64),
                    missing_left=nodes["missing_go_to_left"].astype(bool),
                    cover=nodes["count"].astype(np.float64),
                    values=values,
                )
            )
    explainer = TreeShap(trees, n_features, offset)
    space = MARGIN if classes is not None else VALUE
    # Histogram boosting compares float64 inputs with its thresholds.
    return _tree_core(explainer, float32=False), space, _margin_outputs(classes, n_outputs)


def _model_names(model: Any) -> list[str] | None:
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _names_of(X: Any, n_features: int) -> list[str]:
    columns = getattr(X, "columns", None)
    if columns is not None and len(columns) == n_features:
        return [str(c) for c in columns]
    return [f"x{i}" for i in range(n_features)]
