"""The models people train, uploaded through the API in each format and predicted with rows and
records: gradient boosting libraries, numpy-ufunc transformers, ColumnTransformers over
DataFrame columns, string encoders, missing values, regressors and multi-output models.

Models are fit once per session; each upload is one sandboxed load.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import math
import sys
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
    TargetEncoder,
)

from tests import factories
from tests.graph.queries import CREATE_MODEL
from tests.graph.test_accounts import codes

PREDICT = """
query Predict($model: String!, $rows: FeatureMatrix, $records: [JSON!]) {
  predict(model: $model, rows: $rows, records: $records) {
    runtime predictions { value probabilities { label probability } }
  }
}"""

UPLOAD_TYPED = """
mutation Upload($input: UploadModelVersionInput!) {
  uploadModelVersion(input: $input) {
    __typename
    ... on UploadModelVersionSuccess {
      version { id sourceFormat warnings signature { featureNames columns { name type nullable } } }
    }
    ... on ModelRejectedError { reason message }
    ... on ValidationError { fields { path message } }
  }
}"""


def _frame(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.uniform(18, 80, n).round(1),
            "income": rng.uniform(1, 100, n).round(2),
            "city": rng.choice(["paris", "lyon", "nice"], n).astype(object),
            "plan": rng.choice(["basic", "pro"], n).astype(object),
        }
    )
    y = ((frame.age > 45) ^ (frame.city == "nice")).astype(int).to_numpy()
    return frame, y


@functools.cache
def family(name: str) -> tuple[Any, Any, list[Any] | None]:
    """(fitted model, its input as fit, the input example) for one family, fit once."""
    X, y = factories.training_data()
    frame, yf = _frame()
    numeric = frame[["age", "income"]]
    if name == "lightgbm":
        import lightgbm

        return lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y), X, None
    if name == "xgboost":
        import xgboost

        return xgboost.XGBClassifier(n_estimators=10).fit(X, y), X, None
    if name == "log1p":
        model = make_pipeline(FunctionTransformer(np.log1p), LogisticRegression())
        return model.fit(np.abs(X), y), np.abs(X), None
    if name == "by_name":
        scale = ColumnTransformer([("scale", StandardScaler(), ["age", "income"])])
        return make_pipeline(scale, LogisticRegression()).fit(numeric, yf), numeric, None
    if name == "by_selector":
        select = make_column_selector(dtype_include="number")
        scale = ColumnTransformer([("scale", StandardScaler(), select)])
        return make_pipeline(scale, LogisticRegression()).fit(numeric, yf), numeric, None
    if name == "encoders":
        encode = ColumnTransformer(
            [
                ("onehot", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"]),
                (
                    "ordinal",
                    OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                    ["plan"],
                ),
                ("target", TargetEncoder(), ["city"]),
            ],
            remainder="passthrough",
        )
        model = make_pipeline(encode, LogisticRegression(max_iter=500)).fit(frame, yf)
        example = frame.head(3).to_dict("records")
        return model, frame, example
    if name == "hgb_nan":
        holes = numeric.copy()
        holes.loc[::5, "age"] = np.nan
        model = HistGradientBoostingClassifier(max_iter=10).fit(holes, yf)
        return model, holes, None
    if name == "hgb_categorical":
        # Native categorical support: the category column is split on, not one-hot encoded.
        categories = frame[["age", "city"]].astype({"city": "category"})
        holes = categories.copy()
        holes.loc[::7, "age"] = np.nan
        model = HistGradientBoostingClassifier(max_iter=10, categorical_features="from_dtype")
        example = frame[["age", "city"]].head(3).to_dict("records")
        return model.fit(holes, yf), holes, example
    if name == "regressor":
        return Ridge().fit(X, X @ np.arange(4.0)), X, None
    if name == "multi_output":
        targets = np.column_stack([X.sum(axis=1), X[:, 0] - X[:, 1]])
        return RandomForestRegressor(n_estimators=5, random_state=0).fit(X, targets), X, None
    raise KeyError(name)


@pytest.fixture
def upload(client):
    """``uploadModelVersion`` over multipart, answering with the signature's columns."""

    async def run(token: str, model_id: str, data: bytes, **fields: Any) -> dict[str, Any]:
        variables = {"input": {"modelId": model_id, "file": None, **fields}}
        response = await client.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD_TYPED, "variables": variables}),
                "map": json.dumps({"0": ["variables.input.file"]}),
            },
            files={"0": ("model.bin", data, "application/octet-stream")},
            headers={"Authorization": f"Bearer {token}", "X-ModelServe-CSRF": "1"},
        )
        return response.json()

    return run


def serialise(model: Any, fmt: str) -> bytes:
    if fmt == "skops":
        return factories.skops_bytes(model)
    if fmt == "pickle":
        return factories.pickle_bytes(model)
    if fmt == "joblib-lz4":
        buffer = io.BytesIO()
        joblib.dump(model, buffer, compress=("lz4", 3))
        return buffer.getvalue()
    return factories.joblib_bytes(model, compress=3)


async def _publish(gql, upload, token: str, name: str, data: bytes, **fields: Any) -> dict:
    created = await gql(CREATE_MODEL, {"name": name}, token=token)
    model = created["data"]["createModel"]["model"]
    return await upload(token, model["id"], data, **fields)


def _plain(values: Any) -> Any:
    return np.asarray(values).tolist()


CASES = [
    ("lightgbm", "joblib"),
    ("lightgbm", "skops"),
    ("lightgbm", "pickle"),
    ("xgboost", "skops"),
    ("xgboost", "joblib"),
    ("xgboost", "pickle"),
    ("log1p", "skops"),
    ("log1p", "joblib"),
    ("log1p", "pickle"),
    ("by_name", "skops"),
    ("by_name", "joblib"),
    ("by_selector", "pickle"),
    ("encoders", "skops"),
    ("encoders", "joblib"),
    ("encoders", "pickle"),
    ("hgb_nan", "skops"),
    ("hgb_categorical", "skops"),
    ("hgb_categorical", "joblib"),
    ("regressor", "joblib-lz4"),
    ("regressor", "pickle"),
    ("multi_output", "skops"),
    ("multi_output", "joblib"),
    ("hgb_nan", "pickle"),
]


@pytest.mark.parametrize(("name", "fmt"), CASES, ids=[f"{n}-{f}" for n, f in CASES])
async def test_family_uploads_and_predicts_rows_and_records(gql, signup, upload, name, fmt):
    # Given a model of this family, fit as people fit it, saved in this format
    token = (await signup("ada@example.com"))["accessToken"]
    model, X, example = family(name)
    fields = {"inputExampleRecords": example} if example is not None else {}

    # When it is uploaded
    body = await _publish(gql, upload, token, "m", serialise(model, fmt), **fields)

    # Then it is accepted
    result = body["data"]["uploadModelVersion"]
    assert result["__typename"] == "UploadModelVersionSuccess", result
    # And rows (numbers and strings in feature order) predict as the model does locally
    sample = X.iloc[:4] if isinstance(X, pd.DataFrame) else X[:4]
    expected = _plain(model.predict(sample))
    if isinstance(X, pd.DataFrame):
        rows = sample.astype(object).where(sample.notna(), None).to_numpy().tolist()
    else:
        rows = sample.tolist()
    answer = await gql(PREDICT, {"model": "ada/m", "rows": rows}, token=token)
    values = [p["value"] for p in answer["data"]["predict"]["predictions"]]
    # The compiled (ONNX, float32) runtime answers regressors within its 1e-4 check.
    np.testing.assert_allclose(np.asarray(values, float), np.asarray(expected, float), rtol=1e-4)
    if hasattr(model, "predict_proba"):
        predictions = answer["data"]["predict"]["predictions"]
        got = [[p["probability"] for p in row["probabilities"]] for row in predictions]
        np.testing.assert_allclose(got, model.predict_proba(sample), rtol=1e-6, atol=1e-9)
    # And so do records, for models fit on a DataFrame
    if isinstance(X, pd.DataFrame):
        records = [
            {key: None if _missing(value) else value for key, value in record.items()}
            for record in sample.to_dict("records")
        ]
        answer = await gql(PREDICT, {"model": "ada/m", "records": records}, token=token)
        values = [p["value"] for p in answer["data"]["predict"]["predictions"]]
        assert values == expected


def _missing(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


async def test_string_columns_are_typed_and_bad_values_named(gql, signup, upload):
    # Given the encoder pipeline, uploaded with a records example (one plan missing)
    token = (await signup("ada@example.com"))["accessToken"]
    model, _, example = family("encoders")
    example = [dict(record) for record in example]
    example[0]["plan"] = None
    body = await _publish(
        gql, upload, token, "m", serialise(model, "skops"), inputExampleRecords=example
    )
    result = body["data"]["uploadModelVersion"]
    assert result["__typename"] == "UploadModelVersionSuccess", result
    signature = result["version"]["signature"]

    # Then the signature records each column's name, type and nullability
    assert signature["columns"] == [
        {"name": "age", "type": "number", "nullable": False},
        {"name": "income", "type": "number", "nullable": False},
        {"name": "city", "type": "string", "nullable": False},
        {"name": "plan", "type": "string", "nullable": True},
    ]
    # And a null where the column is nullable predicts
    row = [30.0, 5.0, "lyon", None]
    answer = await gql(PREDICT, {"model": "ada/m", "rows": [row]}, token=token)
    assert answer["data"]["predict"]["predictions"][0]["value"] in (0, 1)
    # And every bad value is named by row and column
    bad = [[30.0, "x", "lyon", "pro"], [30.0, 5.0, 3, None], [None, 5.0, "nice", True]]
    answer = await gql(PREDICT, {"model": "ada/m", "rows": bad}, token=token)
    assert codes(answer) == ["BAD_USER_INPUT"]
    paths = [tuple(f["path"]) for f in answer["errors"][0]["extensions"]["fields"]]
    assert paths == [
        ("inputs", "0", "1"),
        ("inputs", "1", "2"),
        ("inputs", "2", "0"),
        ("inputs", "2", "3"),
    ]
    records = [{"age": 30.0, "income": 5.0, "city": 7, "plan": "pro", "colour": "red"}]
    answer = await gql(PREDICT, {"model": "ada/m", "records": records}, token=token)
    paths = [tuple(f["path"]) for f in answer["errors"][0]["extensions"]["fields"]]
    assert paths == [("inputs", "0", "colour"), ("inputs", "0", "city")]


async def test_rejections_are_logged_with_their_reason(gql, signup, upload, caplog):
    # Given a string-column model uploaded with a numbers-only example
    token = (await signup("ada@example.com"))["accessToken"]
    model, _, _ = family("encoders")
    caplog.set_level(logging.INFO, logger="modelserve.registry")

    body = await _publish(
        gql, upload, token, "m", serialise(model, "skops"), inputExample=[[1.0, 2.0, 3.0, 4.0]]
    )

    # Then it is refused, and the server log says why, for which model
    result = body["data"]["uploadModelVersion"]
    assert result["__typename"] == "ModelRejectedError"
    logged = [r for r in caplog.records if r.name == "modelserve.registry" and "rejected" in r.msg]
    assert logged and logged[0].reason == result["reason"] == "predict_failed"
    assert logged[0].levelno >= logging.INFO


async def test_lz4_joblib_without_lz4_is_refused_naming_it(gql, signup, upload, monkeypatch):
    # Given a server without the lz4 package (None in sys.modules makes its import fail)
    monkeypatch.setitem(sys.modules, "lz4", None)
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    token = (await signup("ada@example.com"))["accessToken"]
    model, _, _ = family("regressor")

    body = await _publish(gql, upload, token, "m", serialise(model, "joblib-lz4"))

    # Then it is refused before any sandbox runs, and the message says what is missing
    result = body["data"]["uploadModelVersion"]
    assert result["reason"] == "unknown_format"
    assert "lz4" in result["message"]
