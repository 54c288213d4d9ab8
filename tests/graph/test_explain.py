"""Explanations through the GraphQL API: exact contributions per family, typed refusals, limits.

Each case checks, for every row and output, that the base value plus the row's contributions is
the model's own raw output (predict_proba, decision_function, XGBoost's output_margin, LightGBM's
raw_score, or predict for regressors), computed here from the fitted model, to 1e-6.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from domain.inference.explain import Explainer
from tests import factories
from tests.graph.queries import CREATE_MODEL
from tests.graph.test_accounts import codes, make_admin
from tests.graph.test_api_keys import CREATE_KEY

EXPLAIN = """
query Explain($model: String!, $rows: FeatureMatrix, $records: [JSON!], $explain: Boolean!) {
  predict(model: $model, rows: $rows, records: $records, explain: $explain) {
    runtime
    predictions { value contributions }
    explanation {
      method outputSpace transformed featureNames outputs { label baseValue }
    }
  }
}"""

EXPLAIN_BATCH = """
query Batch($model: String!, $rows: FeatureMatrix!) {
  predictBatch(model: $model, rows: $rows, explain: true) {
    rows predictions contributions
    explanation { outputSpace featureNames outputs { label baseValue } }
  }
}"""

USAGE = "{ usage { predictions { limit used remaining } explainCostMultiplier } }"

Raw = Callable[[Any, Any], np.ndarray]


def _proba(model: Any, X: Any) -> np.ndarray:
    return model.predict_proba(X)


def _margin(model: Any, X: Any) -> np.ndarray:
    return model.decision_function(X)


def _value(model: Any, X: Any) -> np.ndarray:
    return model.predict(X)


def _xgb_margin(model: Any, X: Any) -> np.ndarray:
    return model.predict(X, output_margin=True)


def _lgbm_raw(model: Any, X: Any) -> np.ndarray:
    return model.predict(X, raw_score=True)


def _frame() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.uniform(18, 80, 200).round(1),
            "city": rng.choice(["paris", "lyon", "nice"], 200).astype(object),
        }
    )
    return frame, ((frame.age > 45) ^ (frame.city == "nice")).astype(int).to_numpy()


def _xgboost(kind: str, **params: Any) -> Any:
    import xgboost

    return getattr(xgboost, kind)(n_estimators=10, max_depth=3, **params)


def _lightgbm(kind: str) -> Any:
    import lightgbm

    return getattr(lightgbm, kind)(n_estimators=10, verbose=-1)


# What each family is fit on: two classes, three, or a regression target (XGBoost computes in
# float32, so its regressor learns a target near 1 to keep its outputs' rounding under 1e-6).
BINARY, MULTI, REGRESSION, UNIT = "binary", "multi", "regression", "unit"

P, M, V = "PROBABILITY", "MARGIN", "VALUE"
TREES = {"n_estimators": 10, "random_state": 0}

FAMILIES: dict[str, tuple[Callable[[], Any], str, Raw, str]] = {
    "random_forest_classifier": (
        partial(RandomForestClassifier, max_depth=5, **TREES),
        BINARY,
        _proba,
        P,
    ),
    "random_forest_regressor": (
        partial(RandomForestRegressor, max_depth=6, **TREES),
        REGRESSION,
        _value,
        V,
    ),
    "gradient_boosting_classifier": (
        partial(GradientBoostingClassifier, **TREES),
        BINARY,
        _margin,
        M,
    ),
    "gradient_boosting_multiclass": (
        partial(GradientBoostingClassifier, **TREES),
        MULTI,
        _margin,
        M,
    ),
    "gradient_boosting_regressor": (
        partial(GradientBoostingRegressor, **TREES),
        REGRESSION,
        _value,
        V,
    ),
    "hist_gradient_boosting_classifier": (
        partial(HistGradientBoostingClassifier, max_iter=10),
        BINARY,
        _margin,
        M,
    ),
    "decision_tree_classifier": (partial(DecisionTreeClassifier, max_depth=6), MULTI, _proba, P),
    "decision_tree_regressor": (partial(DecisionTreeRegressor, max_depth=6), REGRESSION, _value, V),
    "logistic_regression": (partial(LogisticRegression, max_iter=500), BINARY, _margin, M),
    "logistic_regression_multiclass": (
        partial(LogisticRegression, max_iter=500),
        MULTI,
        _margin,
        M,
    ),
    "linear_regression": (LinearRegression, REGRESSION, _value, V),
    "xgboost_classifier": (partial(_xgboost, "XGBClassifier"), BINARY, _xgb_margin, M),
    "xgboost_multiclass": (partial(_xgboost, "XGBClassifier"), MULTI, _xgb_margin, M),
    "xgboost_regressor": (partial(_xgboost, "XGBRegressor"), UNIT, _xgb_margin, V),
    "lightgbm_classifier": (partial(_lightgbm, "LGBMClassifier"), BINARY, _lgbm_raw, M),
    "lightgbm_multiclass": (partial(_lightgbm, "LGBMClassifier"), MULTI, _lgbm_raw, M),
    "lightgbm_regressor": (partial(_lightgbm, "LGBMRegressor"), REGRESSION, _lgbm_raw, V),
}


@functools.cache
def family(name: str) -> tuple[Any, Any, Raw, str, list[Any]]:
    """(fitted model, rows to explain, its raw output, output space, output labels)."""
    make, data, raw, space = FAMILIES[name]
    X, y = factories.training_data(seed=1 if data == MULTI else 0)
    if data == MULTI:
        y = (y + (X[:, 0] > 1)).astype(int)  # three classes
        labels: list[Any] = [0, 1, 2]
    elif data == BINARY:
        labels = [0, 1] if space == P else [1]  # a margin explains class 1
    else:
        labels = [None]
    if data == REGRESSION:
        y = X @ np.array([1.0, -2.0, 0.5, 3.0])
    return make().fit(X, y), X[:12], raw, space, labels


@pytest.fixture
async def ada(signup) -> dict[str, Any]:
    return await signup("ada@example.com")


@pytest.fixture
def publish(gql, ada, upload):
    """Ada's model `ada/<name>` with one version of ``estimator``; returns its reference."""

    async def run(estimator: Any, name: str = "m", **fields: Any) -> str:
        token = ada["accessToken"]
        created = await gql(CREATE_MODEL, {"name": name}, token=token)
        model = created["data"]["createModel"]["model"]
        body = await upload(token, model["id"], factories.skops_bytes(estimator), **fields)
        result = body["data"]["uploadModelVersion"]
        assert result["__typename"] == "UploadModelVersionSuccess", body
        return f"ada/{name}"

    return run


def _sums(result: dict[str, Any]) -> np.ndarray:
    """Rows x outputs: each output's base value plus the row's contributions to it."""
    bases = np.asarray([o["baseValue"] for o in result["explanation"]["outputs"]])
    contributions = np.asarray([row["contributions"] for row in result["predictions"]])
    return contributions.sum(axis=2) + bases


@pytest.mark.parametrize("name", list(FAMILIES))
async def test_contributions_add_up_to_the_raw_output(gql, ada, publish, name):
    # Given a published model of this family
    model, rows, raw, space, labels = family(name)
    ref = await publish(model)

    # When its predictions are explained
    body = await gql(
        EXPLAIN, {"model": ref, "rows": rows.tolist(), "explain": True}, token=ada["accessToken"]
    )

    # Then each row's contributions plus the base value are the model's raw output
    assert "errors" not in body, body
    result = body["data"]["predict"]
    explanation = result["explanation"]
    assert explanation["outputSpace"] == space
    assert [o["label"] for o in explanation["outputs"]] == labels
    assert explanation["featureNames"] == ["x0", "x1", "x2", "x3"]
    assert explanation["transformed"] is False
    assert explanation["method"] == (
        "LINEAR" if "linear" in name or "logistic" in name else "TREE_SHAP"
    )
    expected = np.asarray(raw(model, rows), dtype=np.float64).reshape(len(rows), len(labels))
    np.testing.assert_allclose(_sums(result), expected, rtol=0, atol=1e-6)
    # And the predictions are the plain ones (from a compiled float32 copy, where one serves)
    values = [p["value"] for p in result["predictions"]]
    np.testing.assert_allclose(values, model.predict(rows), rtol=1e-5, atol=1e-5)


async def test_a_linear_model_is_explained_against_the_origin(gql, ada, publish):
    model, rows, _, _, _ = family("logistic_regression")
    ref = await publish(model)
    body = await gql(
        EXPLAIN,
        {"model": ref, "rows": rows[:2].tolist(), "explain": True},
        token=ada["accessToken"],
    )
    result = body["data"]["predict"]
    assert result["explanation"]["outputs"][0]["baseValue"] == pytest.approx(
        float(model.intercept_[0]), abs=1e-12
    )
    np.testing.assert_allclose(
        [row["contributions"][0] for row in result["predictions"]],
        model.coef_[0] * rows[:2],
        atol=1e-12,
    )


async def test_the_compiled_runtime_is_explained_with_the_original_model(gql, ada, publish):
    # Given a forest served by its compiled (ONNX, float32) copy
    model, rows, _, _, _ = family("random_forest_classifier")
    ref = await publish(model)

    body = await gql(
        EXPLAIN, {"model": ref, "rows": rows.tolist(), "explain": True}, token=ada["accessToken"]
    )

    # Then the predictions come from the copy and the explanation from the original, exactly
    result = body["data"]["predict"]
    assert result["runtime"] == "onnx"
    np.testing.assert_allclose(_sums(result), model.predict_proba(rows), rtol=0, atol=1e-6)


async def test_a_pipeline_is_explained_in_its_transformed_space(gql, ada, publish):
    # Given a scaled logistic regression and a one-hot forest fit on a DataFrame
    X, y = factories.training_data()
    scaled = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    frame, yf = _frame()
    encode = ColumnTransformer([("city", OneHotEncoder(), ["city"])], remainder="passthrough")
    forest = make_pipeline(encode, RandomForestClassifier(n_estimators=5, random_state=0))
    forest.fit(frame, yf)
    token = ada["accessToken"]
    scaled_ref = await publish(scaled, "scaled")
    records = frame.head(5).to_dict("records")
    forest_ref = await publish(forest, "forest", inputExampleRecords=records)

    # When both are explained (the second with records by column name)
    by_rows = await gql(
        EXPLAIN, {"model": scaled_ref, "rows": X[:5].tolist(), "explain": True}, token=token
    )
    by_records = await gql(
        EXPLAIN, {"model": forest_ref, "records": records, "explain": True}, token=token
    )

    # Then each is explained on its last step's inputs, named by the preprocessing
    scaled_result = by_rows["data"]["predict"]
    assert scaled_result["explanation"]["transformed"] is True
    assert scaled_result["explanation"]["featureNames"] == ["x0", "x1", "x2", "x3"]
    np.testing.assert_allclose(
        _sums(scaled_result)[:, 0], scaled.decision_function(X[:5]), rtol=0, atol=1e-6
    )
    forest_result = by_records["data"]["predict"]
    assert forest_result["explanation"]["featureNames"] == [
        "city__city_lyon",
        "city__city_nice",
        "city__city_paris",
        "remainder__age",
    ]
    np.testing.assert_allclose(
        _sums(forest_result), forest.predict_proba(frame.head(5)), rtol=0, atol=1e-6
    )


async def test_a_batch_is_explained_column_wise(gql, ada, publish):
    model, rows, raw, _, _ = family("gradient_boosting_multiclass")
    ref = await publish(model)
    body = await gql(EXPLAIN_BATCH, {"model": ref, "rows": rows.tolist()}, token=ada["accessToken"])
    result = body["data"]["predictBatch"]
    bases = np.asarray([o["baseValue"] for o in result["explanation"]["outputs"]])
    sums = np.asarray(result["contributions"]).sum(axis=2) + bases
    assert np.asarray(result["contributions"]).shape == (12, 3, 4)
    np.testing.assert_allclose(sums, raw(model, rows), rtol=0, atol=1e-6)


@pytest.mark.parametrize("estimator", [KNeighborsClassifier(n_neighbors=3), SVC(random_state=0)])
async def test_a_model_without_an_explainer_is_a_typed_error(gql, ada, publish, estimator):
    # Given a model no exact explainer covers
    X, y = factories.training_data()
    ref = await publish(estimator.fit(X, y))
    token = ada["accessToken"]
    variables = {"model": ref, "rows": X[:2].tolist()}

    # When it is asked to explain, then it answers with a typed error, and plain predictions work
    refused = await gql(EXPLAIN, {**variables, "explain": True}, token=token)
    assert codes(refused) == ["EXPLANATION_UNSUPPORTED"]
    assert refused["errors"][0]["message"].startswith(
        f"Explanations are not available for {type(estimator).__name__} models"
    )
    plain = await gql(EXPLAIN, {**variables, "explain": False}, token=token)
    assert "errors" not in plain, plain
    assert plain["data"]["predict"]["explanation"] is None
    assert plain["data"]["predict"]["predictions"][0]["contributions"] is None


async def test_an_explanation_spends_more_of_the_budget(gql, ada, publish):
    # Given a model and a key that may predict and read its usage
    model, rows, _, _, _ = family("logistic_regression")
    ref = await publish(model)
    made = await gql(
        CREATE_KEY, {"name": "ci", "scopes": ["PREDICT", "READ"]}, token=ada["accessToken"]
    )
    key = {"X-API-Key": made["data"]["createApiKey"]["secret"]}
    one_row = {"model": ref, "rows": rows[:1].tolist()}

    async def used() -> int:
        return (await gql(USAGE, headers=key))["data"]["usage"]["predictions"]["used"]

    # When it predicts once plainly, then once with an explanation
    await gql(EXPLAIN, {**one_row, "explain": False}, headers=key)
    after_plain = await used()
    await gql(EXPLAIN, {**one_row, "explain": True}, headers=key)
    after_explained = await used()

    # Then the plain call spent one unit and the explained one the multiplier's ten
    usage = (await gql(USAGE, headers=key))["data"]["usage"]
    assert usage["explainCostMultiplier"] == 10
    assert after_plain == 1
    assert after_explained - after_plain == 10


async def test_explanations_run_out_of_budget_first(app, gql, ada, publish):
    # Given ada limited to 15 prediction units a minute
    model, rows, _, _, _ = family("logistic_regression")
    ref = await publish(model)
    admin = await make_admin(app, gql)
    await gql(
        "mutation($user: ID!) { setUserLimits(input: {userId: $user, "
        "predictionUnitsPerMinute: 15}) { __typename } }",
        {"user": ada["user"]["id"]},
        token=admin["accessToken"],
    )
    token = ada["accessToken"]
    one_row = {"model": ref, "rows": rows[:1].tolist(), "explain": True}

    # When one document asks for two explanations (20 units), nothing runs
    both = await gql(
        "query($model: String!, $rows: FeatureMatrix) {"
        " a: predict(model: $model, rows: $rows, explain: true) { runtime }"
        " b: predict(model: $model, rows: $rows, explain: true) { runtime } }",
        {"model": ref, "rows": rows[:1].tolist()},
        token=token,
    )
    assert both["data"] is None
    assert codes(both) == ["RATE_LIMITED"]
    assert (await gql(USAGE, token=token))["data"]["usage"]["predictions"]["used"] == 0

    # Then one explanation fits, a second does not, and a plain prediction still does
    assert "errors" not in await gql(EXPLAIN, one_row, token=token)
    assert codes(await gql(EXPLAIN, one_row, token=token)) == ["RATE_LIMITED"]
    assert "errors" not in await gql(EXPLAIN, {**one_row, "explain": False}, token=token)
    assert (await gql(USAGE, token=token))["data"]["usage"]["predictions"]["used"] == 11


async def test_keys_without_the_predict_scope_cannot_explain(gql, ada, publish):
    model, rows, _, _, _ = family("logistic_regression")
    ref = await publish(model)
    made = await gql(CREATE_KEY, {"name": "ro", "scopes": ["READ"]}, token=ada["accessToken"])
    key = {"X-API-Key": made["data"]["createApiKey"]["secret"]}
    body = await gql(
        EXPLAIN, {"model": ref, "rows": rows[:1].tolist(), "explain": True}, headers=key
    )
    assert codes(body) == ["FORBIDDEN"]
    assert (await gql(USAGE, headers=key))["data"]["usage"]["predictions"]["used"] == 0


async def test_an_explanation_takes_at_most_the_explain_row_cap(gql, ada, publish):
    model, _, _, _, _ = family("logistic_regression")
    ref = await publish(model)
    rows = np.zeros((1001, 4)).tolist()
    body = await gql(EXPLAIN_BATCH, {"model": ref, "rows": rows}, token=ada["accessToken"])
    assert codes(body) == ["BAD_USER_INPUT"]
    plain = await gql(
        "query($model: String!, $rows: FeatureMatrix!) { predictBatch(model: $model, "
        "rows: $rows) { rows } }",
        {"model": ref, "rows": rows},
        token=ada["accessToken"],
    )
    assert plain["data"]["predictBatch"]["rows"] == 1001


async def test_explanations_run_in_the_inference_threads(gql, ada, publish, monkeypatch):
    # Given a record of the threads explanations run on
    threads: list[str] = []
    explain = Explainer.explain

    def recording(self: Explainer, X: Any) -> Any:
        threads.append(threading.current_thread().name)
        return explain(self, X)

    monkeypatch.setattr(Explainer, "explain", recording)
    model, rows, _, _, _ = family("gradient_boosting_classifier")
    ref = await publish(model)

    # When two requests are explained
    for _ in range(2):
        body = await gql(
            EXPLAIN,
            {"model": ref, "rows": rows.tolist(), "explain": True},
            token=ada["accessToken"],
        )
        assert "errors" not in body, body

    # Then both ran in the inference executor, not on the event loop's thread
    assert len(threads) == 2
    assert all(name.startswith("predict") for name in threads), threads
