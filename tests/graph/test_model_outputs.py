"""What a model answers is coerced to JSON at serve time, or refused as PREDICTION_FAILED."""

from __future__ import annotations

import logging
import math
from decimal import Decimal
from typing import Any

import httpx
import numpy as np
import pytest

import domain.inference.service as inference_service
from domain.inference.batching import BatchOutput
from tests.graph.test_accounts import codes
from tests.graph.test_inference import PREDICT, PREDICT_BATCH

ROW = [[0.0, 0.0, 0.0, 0.0]]


@pytest.fixture
async def stored(gql, signup, upload) -> str:
    """Ada's token, with `ada/m` published (an ordinary model, as stored before any change)."""
    from tests import factories
    from tests.graph.queries import CREATE_MODEL

    token = (await signup("ada@example.com"))["accessToken"]
    model = (await gql(CREATE_MODEL, {"name": "m"}, token=token))["data"]["createModel"]["model"]
    body = await upload(token, model["id"], factories.skops_bytes(factories.logistic_regression()))
    assert body["data"]["uploadModelVersion"]["__typename"] == "UploadModelVersionSuccess", body
    return token


@pytest.fixture
def answering(app, monkeypatch):
    """Make every model answer ``labels`` (and ``proba``), as a stored odd model would."""
    inference = app.state.services.inference

    def patch(labels: Any, proba: Any = None) -> None:
        def runner(loaded):
            def run(rows):
                n = len(rows)
                return BatchOutput(
                    np.asarray(labels[:n] if isinstance(labels, list) else labels),
                    None if proba is None else np.asarray(proba),
                )

            return run

        monkeypatch.setattr(inference_service, "make_runner", runner)
        inference._batchers.clear()

    yield patch
    monkeypatch.undo()
    inference._batchers.clear()


class Opaque:
    """Something a pickled model could answer that no JSON encoder knows."""


def object_array(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@pytest.mark.parametrize(
    "labels",
    [
        object_array([b"yes"]),
        np.asarray([b"yes"]),  # numpy's own bytes dtype
        object_array([Opaque()]),
        object_array([Decimal("1.5")]),
        object_array([{"a": b"x"}]),
        np.asarray([1 + 2j]),
        np.asarray(["2024-01-01"], dtype="datetime64[D]"),
    ],
    ids=["bytes", "numpy-bytes", "object", "decimal", "nested-bytes", "complex", "datetime"],
)
async def test_an_output_json_cannot_carry_is_prediction_failed(
    gql, stored, answering, labels, caplog
):
    answering(labels)
    with caplog.at_level(logging.WARNING, logger="modelserve.inference"):
        body = await gql(PREDICT, {"model": "ada/m", "rows": ROW}, token=stored)
    assert body["_status"] == 200
    assert codes(body) == ["PREDICTION_FAILED"]
    assert body["errors"][0]["message"].startswith("The model answered")
    assert body["data"] is None
    request_id = body["_headers"]["x-request-id"]
    assert body["extensions"]["requestId"] == request_id
    refused = [r for r in caplog.records if r.name == "modelserve.inference"]
    assert len(refused) == 1  # once, and without the rows
    assert refused[0].levelno == logging.WARNING
    assert getattr(refused[0], "request_id", None) == request_id
    assert "0.0" not in refused[0].getMessage()


async def test_numpy_and_plain_values_are_coerced(gql, stored, answering):
    answering(
        object_array([np.int64(3), np.float32(0.5), np.bool_(True), np.str_("a"), [np.int8(1)]])
    )
    rows = ROW * 5
    body = await gql(PREDICT_BATCH, {"model": "ada/m", "rows": rows}, token=stored)
    assert "errors" not in body, body
    assert body["data"]["predictBatch"]["predictions"] == [3, 0.5, True, "a", [1]]


@pytest.mark.parametrize(
    ("labels", "proba"),
    [
        ([1.5, math.nan], None),
        ([math.inf, 0.0], None),
        (object_array([2, np.float32("-inf")]), None),
        ([0, 1], [[math.nan, 1.0], [0.5, 0.5]]),
    ],
    ids=["nan", "inf", "object-inf", "probability"],
)
async def test_non_finite_answers_are_prediction_failed(gql, stored, answering, labels, proba):
    """JSON has no NaN; the schema promises a value per row and a number per probability."""
    answering(labels, proba)
    for query in (PREDICT, PREDICT_BATCH):
        body = await gql(query, {"model": "ada/m", "rows": ROW * 2}, token=stored)
        assert codes(body) == ["PREDICTION_FAILED"]
        assert "NaN or infinite" in body["errors"][0]["message"]


async def test_a_wrong_number_of_answers_is_prediction_failed(gql, stored, answering):
    answering(np.asarray([0, 1, 0]))  # three answers for one row
    body = await gql(PREDICT, {"model": "ada/m", "rows": ROW}, token=stored)
    assert codes(body) == ["PREDICTION_FAILED"]


async def test_a_refused_output_leaves_the_connection_usable(live_server, stored, answering):
    """Over a real server: the refusal is a JSON answer and the next request on the same
    connection is served."""
    answering(object_array([b"yes"]))
    query = {"query": PREDICT, "variables": {"model": "ada/m", "rows": ROW}}
    headers = {"Authorization": f"Bearer {stored}"}
    async with httpx.AsyncClient(
        base_url=f"http://{live_server}", timeout=30, headers=headers
    ) as http:
        refused = await http.post("/graphql", json=query)
        refused_stream = refused.extensions["network_stream"]
        assert refused.status_code == 200
        assert refused.headers["content-type"].startswith("application/json")
        assert codes(refused.json()) == ["PREDICTION_FAILED"]
        assert refused.json()["extensions"]["requestId"] == refused.headers["x-request-id"]

        answering(np.asarray([1]))
        served = await http.post("/graphql", json=query)
        assert served.extensions["network_stream"] is refused_stream  # the same connection
        assert served.status_code == 200
        assert served.json()["data"]["predict"]["predictions"][0]["value"] == 1
