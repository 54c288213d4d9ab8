"""Predictions through the GraphQL API: references, validation, runtimes, batching, faults."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

import domain.inference.service as inference_service
from domain.events import ModelEvent, ModelEventKind
from domain.inference.batching import BatchOutput
from graph.app import create_app
from settings import BATCH_WIDTH_FEATURES
from storage import tables
from tests import factories
from tests.conftest import TEST_REDIS_URL, make_settings
from tests.graph.queries import CREATE_MODEL, SET_ALIAS, SHARE, UNSHARE
from tests.graph.test_accounts import codes

PREDICT = """
query Predict($model: String!, $rows: FeatureMatrix, $records: [JSON!]) {
  predict(model: $model, rows: $rows, records: $records) {
    requestId latencyMs runtime
    predictions { value probabilities { label probability } }
    version { number }
  }
}"""

PREDICT_BATCH = """
query Batch($model: String!, $rows: FeatureMatrix!) {
  predictBatch(model: $model, rows: $rows) { rows runtime predictions probabilities classes }
}"""


@pytest.fixture
async def ada(signup) -> dict[str, Any]:
    return await signup("ada@example.com")


@pytest.fixture
async def published(gql, ada, upload):
    """Ada's model `ada/<name>` with one uploaded version of the given estimator."""

    async def run(estimator: Any = None, data: bytes | None = None, name: str = "iris", **fields):
        token = ada["accessToken"]
        created = await gql(CREATE_MODEL, {"name": name}, token=token)
        model = created["data"]["createModel"]["model"]
        estimator = estimator if estimator is not None else factories.logistic_regression()
        body = await upload(token, model["id"], data or factories.skops_bytes(estimator), **fields)
        version = body["data"]["uploadModelVersion"]["version"]
        return token, model, version, estimator

    return run


async def test_predict_one_row_matches_the_model(gql, published):
    token, _, version, clf = await published()
    row = [0.5, -1.2, 0.3, 2.0]
    body = await gql(PREDICT, {"model": "ada/iris", "rows": [row]}, token=token)
    result = body["data"]["predict"]
    expected_label = int(clf.predict([row])[0])
    expected_proba = clf.predict_proba([row])[0]
    assert result["predictions"][0]["value"] == expected_label
    probabilities = result["predictions"][0]["probabilities"]
    assert [p["label"] for p in probabilities] == [0, 1]
    np.testing.assert_allclose([p["probability"] for p in probabilities], expected_proba, rtol=1e-4)
    assert result["version"] == {"number": version["number"]}
    assert result["latencyMs"] > 0
    assert body["_headers"]["x-request-id"] == result["requestId"]


async def test_every_reference_form(gql, published, upload):
    token, model, v1, _ = await published()
    v2 = (
        await upload(
            token, model["id"], factories.skops_bytes(factories.logistic_regression(seed=7))
        )
    )["data"]["uploadModelVersion"]["version"]
    row = {"rows": [[0.0, 0.0, 0.0, 0.0]]}

    async def number(ref: str) -> Any:
        body = await gql(PREDICT, {"model": ref, **row}, token=token)
        return body["data"]["predict"]["version"]["number"] if body.get("data") else codes(body)

    # No production alias yet: the newest ready version answers.
    assert await number("ada/iris") == 2
    assert await number("ada/iris:1") == 1
    assert await number(v1["id"]) == 1
    assert await number("ada/iris@production") == ["NOT_FOUND"]
    await gql(
        SET_ALIAS, {"model": model["id"], "alias": "production", "version": v1["id"]}, token=token
    )
    assert await number("ada/iris@production") == 1
    assert await number("ada/iris") == 1
    # Moving the alias takes effect at once, cached resolutions notwithstanding.
    await gql(
        SET_ALIAS, {"model": model["id"], "alias": "production", "version": v2["id"]}, token=token
    )
    assert await number("ada/iris@production") == 2
    assert await number("ada/iris:9") == ["NOT_FOUND"]
    assert await number("not a reference!") == ["BAD_USER_INPUT"]


async def test_access_levels(gql, published, signup):
    token, model, _, _ = await published()
    bob = (await signup("bob@example.com"))["accessToken"]
    row = {"model": "ada/iris", "rows": [[0.0, 0.0, 0.0, 0.0]]}
    stranger = await gql(PREDICT, row, token=bob)
    missing = await gql(PREDICT, {**row, "model": "ada/nothing"}, token=bob)
    assert codes(stranger) == codes(missing) == ["NOT_FOUND"]
    assert stranger["errors"][0]["message"] == missing["errors"][0]["message"]

    # Share events drop the cached grant at once: no waiting for it to expire.
    await gql(SHARE, {"model": model["id"], "user": "bob", "level": "VIEWER"}, token=token)
    assert codes(await gql(PREDICT, row, token=bob)) == ["FORBIDDEN"]
    await gql(SHARE, {"model": model["id"], "user": "bob", "level": "PREDICTOR"}, token=token)
    assert "errors" not in await gql(PREDICT, row, token=bob)
    assert codes(await gql(PREDICT, row)) == ["UNAUTHENTICATED"]


async def test_a_revoked_share_stops_predicting_at_once(gql, published, signup):
    # Given bob predicting with a share (his grant now cached)
    token, model, _, _ = await published()
    bob = (await signup("bob@example.com"))["accessToken"]
    row = {"model": "ada/iris", "rows": [[0.0, 0.0, 0.0, 0.0]]}
    await gql(SHARE, {"model": model["id"], "user": "bob", "level": "PREDICTOR"}, token=token)
    assert "errors" not in await gql(PREDICT, row, token=bob)

    # When ada lowers it, then takes it away
    await gql(SHARE, {"model": model["id"], "user": "bob", "level": "VIEWER"}, token=token)
    lowered = await gql(PREDICT, row, token=bob)
    unshared = await gql(UNSHARE, {"model": model["id"], "user": "bob"}, token=token)

    # Then the very next predictions are refused, the last as for a model that does not exist
    assert codes(lowered) == ["FORBIDDEN"]
    assert unshared["data"]["unshareModel"] == {"__typename": "DoneSuccess", "changed": True}
    assert codes(await gql(PREDICT, row, token=bob)) == ["NOT_FOUND"]


# Replicas share events through Redis; the embedded default has one process.
if TEST_REDIS_URL:

    async def test_a_share_revoked_on_one_replica_stops_predicting_on_another(
        settings, gql, published, signup
    ):
        # Given bob predicting through replica B, which caches his grant
        token, model, _, _ = await published()
        bob = (await signup("bob@example.com"))["accessToken"]
        await gql(SHARE, {"model": model["id"], "user": "bob", "level": "PREDICTOR"}, token=token)
        replica_b = create_app(
            make_settings(
                settings.data_dir,
                settings.database_url,
                artifact_store_url=settings.artifact_store_url,
            )
        )
        services_b = replica_b.state.services
        services_b.start()
        heard = asyncio.Event()
        services_b.emitter.on(
            ModelEvent, lambda e: heard.set() if e.kind is ModelEventKind.MODEL_UNSHARED else None
        )
        body = {"query": PREDICT, "variables": {"model": "ada/iris", "rows": [[0.0] * 4]}}
        headers = {"Authorization": f"Bearer {bob}"}
        try:
            await asyncio.wait_for(services_b.emitter.ready.wait(), 10)
            transport = httpx.ASGITransport(app=replica_b, client=("127.0.0.2", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as http:
                assert (
                    "errors" not in (await http.post("/graphql", json=body, headers=headers)).json()
                )

                # When ada unshares through replica A
                await gql(UNSHARE, {"model": model["id"], "user": "bob"}, token=token)
                await asyncio.wait_for(heard.wait(), 10)

                # Then B refuses bob's very next prediction
                after = (await http.post("/graphql", json=body, headers=headers)).json()
            assert codes(after) == ["NOT_FOUND"]
        finally:
            await services_b.close()


@pytest.mark.parametrize(
    ("rows", "path", "code"),
    [
        ([[1.0, 2.0, 3.0]], ["inputs", "0"], "wrong_feature_count"),
        ([[1.0, 2.0, "x", 4.0]], ["inputs", "0", "2"], "not_a_number"),
        ([[1.0, 2.0, None, 4.0]], ["inputs", "0", "2"], "missing"),
        ([[1.0, 2.0, 3.0, 4.0], [1.0]], ["inputs", "1"], "wrong_feature_count"),
        ([], ["inputs"], "empty"),
        ("not rows", ["inputs"], "not_a_list"),
    ],
    ids=["count", "string", "null", "ragged", "empty", "not-a-list"],
)
async def test_bad_rows_are_refused_before_the_model_runs(gql, published, rows, path, code):
    token, _, _, _ = await published()
    body = await gql(PREDICT, {"model": "ada/iris", "rows": rows}, token=token)
    assert codes(body) == ["BAD_USER_INPUT"]
    fields = body["errors"][0]["extensions"]["fields"]
    assert fields[0]["path"] == path
    assert fields[0]["code"] == code


async def test_non_finite_values_are_refused(app, published):
    """JSON has no NaN, but a client library may send one: it is refused, not predicted."""
    token, _, _, _ = await published()
    caller = await app.state.services.accounts.authenticate(token)
    with pytest.raises(inference_service.ValidationFailed) as raised:
        await app.state.services.inference.predict(
            caller=caller,
            ref="ada/iris",
            rows=[[float("nan"), 0.0, 0.0, 0.0], [float("inf"), 0.0, 0.0, 0.0]],
            max_rows=10,
            request_id="r",
        )
    assert [e.code for e in raised.value.errors] == ["not_finite", "not_finite"]


async def test_problems_are_capped_at_ten(gql, published):
    token, _, _, _ = await published()
    rows = [["a", "b", "c", "d"]] * 5
    body = await gql(PREDICT, {"model": "ada/iris", "rows": rows}, token=token)
    assert len(body["errors"][0]["extensions"]["fields"]) == 10


async def test_too_many_rows(gql, published, app):
    token, _, _, _ = await published()
    limit = app.state.settings.predict_max_rows
    body = await gql(PREDICT, {"model": "ada/iris", "rows": [[0.0] * 4] * (limit + 1)}, token=token)
    assert body["errors"][0]["extensions"]["fields"][0]["code"] == "too_many_rows"
    batch = await gql(
        PREDICT_BATCH, {"model": "ada/iris", "rows": [[0.0] * 4] * (limit + 1)}, token=token
    )
    assert batch["data"]["predictBatch"]["rows"] == limit + 1


async def test_records_by_feature_name(gql, published):
    X, y = factories.training_data()
    frame = pd.DataFrame(X, columns=["sepal", "petal", "stem", "leaf"])
    clf = LogisticRegression(max_iter=500).fit(frame, y)
    token, _, _, _ = await published(clf)
    record = {"leaf": 1.0, "sepal": 0.5, "stem": -0.3, "petal": 0.1}
    body = await gql(PREDICT, {"model": "ada/iris", "records": [record]}, token=token)
    expected = clf.predict(pd.DataFrame([record])[["sepal", "petal", "stem", "leaf"]])[0]
    assert body["data"]["predict"]["predictions"][0]["value"] == int(expected)

    bad = await gql(
        PREDICT, {"model": "ada/iris", "records": [{"sepal": 1.0, "colour": 2.0}]}, token=token
    )
    problems = {(tuple(f["path"]), f["code"]) for f in bad["errors"][0]["extensions"]["fields"]}
    assert (("inputs", "0", "colour"), "unknown_feature") in problems
    assert (("inputs", "0", "leaf"), "missing_feature") in problems


async def test_batch_is_columnar_and_matches(gql, published):
    token, _, _, clf = await published()
    rows = np.random.default_rng(1).normal(size=(500, 4)).tolist()
    body = await gql(PREDICT_BATCH, {"model": "ada/iris", "rows": rows}, token=token)
    result = body["data"]["predictBatch"]
    assert result["rows"] == 500
    assert result["classes"] == [0, 1]
    assert result["predictions"] == clf.predict(np.asarray(rows)).tolist()
    np.testing.assert_allclose(
        result["probabilities"], clf.predict_proba(np.asarray(rows)), atol=1e-5
    )


async def test_compiled_runtime_agrees_and_can_be_switched_off(gql, published):
    X, y = factories.training_data()
    forest = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0).fit(X, y)
    token, _, version, _ = await published(forest)
    details = await gql(
        "query($id: ID!) { modelVersion(id: $id) { "
        "compiledAvailable compiledMaxAbsDiff runtime } }",
        {"id": version["id"]},
        token=token,
    )
    info = details["data"]["modelVersion"]
    assert info["compiledAvailable"] is True
    assert info["compiledMaxAbsDiff"] <= 1e-4
    assert info["runtime"] == "onnx"
    rows = X[:200].tolist()
    onnx = (await gql(PREDICT_BATCH, {"model": "ada/iris", "rows": rows}, token=token))["data"][
        "predictBatch"
    ]
    assert onnx["runtime"] == "onnx"

    switched = await gql(
        "mutation($id: ID!) { setVersionRuntime(input: {versionId: $id, useCompiled: false}) "
        "{ __typename ... on SetVersionRuntimeSuccess { version { runtime } } } }",
        {"id": version["id"]},
        token=token,
    )
    assert switched["data"]["setVersionRuntime"]["version"]["runtime"] == "sklearn"
    plain = (await gql(PREDICT_BATCH, {"model": "ada/iris", "rows": rows}, token=token))["data"][
        "predictBatch"
    ]
    assert plain["runtime"] == "sklearn"
    assert onnx["predictions"] == plain["predictions"] == forest.predict(X[:200]).tolist()
    np.testing.assert_allclose(onnx["probabilities"], plain["probabilities"], atol=1e-4)


async def test_onnx_upload_is_served_by_onnxruntime(gql, published):
    clf = factories.logistic_regression()
    token, _, version, _ = await published(clf, data=factories.onnx_bytes(clf), filename="m.onnx")
    assert version["servingFormat"] == "onnx"
    rows = factories.training_data()[0][:50].tolist()
    result = (await gql(PREDICT_BATCH, {"model": "ada/iris", "rows": rows}, token=token))["data"][
        "predictBatch"
    ]
    assert result["runtime"] == "onnx"
    assert result["predictions"] == clf.predict(np.asarray(rows)).tolist()
    np.testing.assert_allclose(
        result["probabilities"], clf.predict_proba(np.asarray(rows)), atol=1e-4
    )


async def test_concurrent_single_rows_are_batched_with_identical_results(app, published):
    token, _, _, clf = await published()
    caller = await app.state.services.accounts.authenticate(token)
    inference = app.state.services.inference
    rows = np.random.default_rng(3).normal(scale=3, size=(200, 4))
    batches: list[tuple[int, int]] = []
    previous = inference._on_batch
    inference._on_batch = lambda requests, n: batches.append((requests, n))
    inference._batchers.clear()
    try:
        results = await asyncio.gather(
            *(
                inference.predict(
                    caller=caller,
                    ref="ada/iris",
                    rows=[row.tolist()],
                    max_rows=10,
                    request_id=str(i),
                )
                for i, row in enumerate(rows)
            )
        )
    finally:
        inference._on_batch = previous
    got = [r.predictions[0] for r in results]
    assert got == clf.predict(rows).tolist()
    assert len(set(got)) == 2  # both classes present: results were not mixed up
    # The default runtime is the compiled (float32) copy: agreement to 1e-5, not bit-exact.
    np.testing.assert_allclose(
        [r.probabilities[0] for r in results], clf.predict_proba(rows), atol=1e-5
    )
    assert sum(n for _, n in batches) == 200
    assert len(batches) < 200  # concurrent requests shared calls
    assert max(n for _, n in batches) <= app.state.settings.batch_max_rows


async def test_a_model_that_answers_in_microseconds_runs_on_the_loop_with_the_same_answers(
    app, gql, published
):
    token, _, _, clf = await published()
    inference = app.state.services.inference
    inference._batchers.clear()
    rows = np.random.default_rng(5).normal(scale=3, size=(40, 4))
    answers = []
    for row in rows:  # one at a time: each is its own batch
        body = await gql(PREDICT, {"model": "ada/iris", "rows": [row.tolist()]}, token=token)
        answers.append(body["data"]["predict"]["predictions"][0]["value"])
    (batcher,) = inference._batchers.values()
    assert answers == clf.predict(rows).tolist()
    # The first batches ran in the thread, timed; the compiled model's later ones inline.
    assert 0 < batcher.inline_batches <= 40 - 8


async def test_a_slow_model_never_runs_on_the_loop(app, gql, published, monkeypatch):
    token, _, _, _ = await published()
    inference = app.state.services.inference

    def slow_runner(loaded):
        def run(rows):
            deadline = time.thread_time() + 0.002  # ten times the inline ceiling, computing
            while time.thread_time() < deadline:
                pass
            return BatchOutput(np.zeros(len(rows), dtype=int), None)

        return run

    monkeypatch.setattr(inference_service, "make_runner", slow_runner)
    inference._batchers.clear()
    try:
        for _ in range(20):
            body = await gql(PREDICT, {"model": "ada/iris", "rows": [[0.0] * 4]}, token=token)
            assert "errors" not in body
        (batcher,) = inference._batchers.values()
        assert batcher.inline_batches == 0
    finally:
        inference._batchers.clear()


async def test_a_model_that_waits_runs_on_the_loop_ever_more_rarely(
    app, gql, published, monkeypatch
):
    # A model that sleeps costs its thread no CPU, so it looks fast there; on the loop its
    # wall time shows, and each slow call doubles the batches it then spends in the thread:
    # 8 timed there, 1 inline, 16, 1, 32, 1 (59 calls), then 64 more before the next try.
    token, _, _, _ = await published()
    inference = app.state.services.inference

    def waiting_runner(loaded):
        def run(rows):
            time.sleep(0.002)
            return BatchOutput(np.zeros(len(rows), dtype=int), None)

        return run

    monkeypatch.setattr(inference_service, "make_runner", waiting_runner)
    inference._batchers.clear()
    try:
        for _ in range(100):
            body = await gql(PREDICT, {"model": "ada/iris", "rows": [[0.0] * 4]}, token=token)
            assert "errors" not in body
        (batcher,) = inference._batchers.values()
        assert batcher.inline_batches == 3
    finally:
        inference._batchers.clear()


async def test_first_requests_load_the_model_once(app, published):
    token, _, version, _ = await published()
    caller = await app.state.services.accounts.authenticate(token)
    inference = app.state.services.inference
    inference.cache.drop({__import__("uuid").UUID(version["id"])})
    before = inference.cache.stats.loads
    await asyncio.gather(
        *(
            inference.predict(
                caller=caller,
                ref="ada/iris",
                rows=[[0.0] * 4],
                max_rows=10,
                request_id=str(i),
            )
            for i in range(100)
        )
    )
    assert inference.cache.stats.loads - before == 1


async def test_archived_version_stops_serving(gql, published):
    token, _, version, _ = await published()
    assert "errors" not in await gql(
        PREDICT, {"model": "ada/iris:1", "rows": [[0.0] * 4]}, token=token
    )
    await gql(
        "mutation($id: ID!) { archiveVersion(id: $id) { __typename } }",
        {"id": version["id"]},
        token=token,
    )
    body = await gql(PREDICT, {"model": "ada/iris:1", "rows": [[0.0] * 4]}, token=token)
    assert codes(body) == ["CONFLICT"]


async def test_slow_model_times_out_and_server_stays_responsive(
    app, client, gql, published, monkeypatch
):
    token, _, _, _ = await published()
    inference = app.state.services.inference

    def slow_runner(loaded):
        def run(rows):
            time.sleep(1.5)
            return BatchOutput(np.zeros(len(rows)), None)

        return run

    monkeypatch.setattr(inference_service, "make_runner", slow_runner)
    inference._batchers.clear()
    original = inference.config
    inference.config = type(original)(
        workers=original.workers,
        timeout_s=0.5,
        batch_max_rows=original.batch_max_rows,
        batch_max_wait_ms=original.batch_max_wait_ms,
    )
    try:
        call = asyncio.create_task(
            gql(PREDICT, {"model": "ada/iris", "rows": [[0.0] * 4]}, token=token)
        )
        await asyncio.sleep(0.1)
        health = await client.get("/healthz")
        # Answered while the model still holds its call: the model runs off the event loop.
        answered_during_call = not call.done()
        body = await call
    finally:
        inference.config = original
        inference._batchers.clear()
    assert health.status_code == 200
    assert answered_during_call
    assert codes(body) == ["PREDICTION_TIMEOUT"]


async def test_failing_model_gives_prediction_failed_and_server_carries_on(
    app, gql, published, monkeypatch
):
    token, _, _, _ = await published()
    inference = app.state.services.inference

    def failing_runner(loaded):
        def run(rows):
            raise ValueError("boom in the model")

        return run

    monkeypatch.setattr(inference_service, "make_runner", failing_runner)
    inference._batchers.clear()
    body = await gql(PREDICT, {"model": "ada/iris", "rows": [[0.0] * 4]}, token=token)
    assert codes(body) == ["PREDICTION_FAILED"]
    assert body["errors"][0]["message"] == "The model failed: ValueError: boom in the model"
    monkeypatch.undo()
    inference._batchers.clear()
    assert "errors" not in await gql(
        PREDICT, {"model": "ada/iris", "rows": [[0.0] * 4]}, token=token
    )


async def test_predictions_are_logged(app, gql, published):
    token, _, version, _ = await published()
    dropped_before = app.state.services.inference.log_writer.stats.dropped
    await gql(PREDICT, {"model": "ada/iris", "rows": [[0.0] * 4, [1.0] * 4]}, token=token)
    await gql(PREDICT, {"model": "ada/iris", "rows": [[1.0]]}, token=token)
    writer = app.state.services.inference.log_writer
    for _ in range(50):
        if await tables.PredictionLog.all().count() == 2:
            break
        await asyncio.sleep(0.05)
    logs = await tables.PredictionLog.all().order_by("created_at")
    assert [(entry.status, entry.n_rows, entry.error_code) for entry in logs] == [
        ("ok", 2, None),
        ("error", 1, "BAD_USER_INPUT"),
    ]
    assert logs[0].inputs == [[0.0] * 4, [1.0] * 4]
    assert str(logs[0].version_id) == version["id"]
    assert writer.stats.dropped == dropped_before


async def test_prediction_cache_answers_repeated_rows(app, gql, published):
    token, model, _, clf = await published()
    updated = await gql(
        "mutation($id: ID!) { updateModel(input: {id: $id, predictionCacheTtlS: 60}) "
        "{ ... on ModelSuccess { model { predictionCacheTtlS } } } }",
        {"id": model["id"]},
        token=token,
    )
    assert updated["data"]["updateModel"]["model"]["predictionCacheTtlS"] == 60
    await asyncio.sleep(0.05)  # the update event reaches the resolver cache
    cache = app.state.services.inference.prediction_cache
    hits, misses = cache.hits, cache.misses
    rows = [[0.5, 0.1, -0.2, 1.0], [2.0, 2.0, 2.0, 2.0]]
    first = await gql(PREDICT_BATCH, {"model": "ada/iris", "rows": rows}, token=token)
    second = await gql(PREDICT_BATCH, {"model": "ada/iris", "rows": rows[:1]}, token=token)
    assert (cache.hits - hits, cache.misses - misses) == (1, 2)
    assert first["data"]["predictBatch"]["predictions"] == clf.predict(np.asarray(rows)).tolist()
    assert (
        second["data"]["predictBatch"]["probabilities"][0]
        == first["data"]["predictBatch"]["probabilities"][0]
    )
    off = await gql(
        "mutation($id: ID!) { updateModel(input: {id: $id, predictionCacheTtlS: 0}) "
        "{ ... on ModelSuccess { model { predictionCacheTtlS } } } }",
        {"id": model["id"]},
        token=token,
    )
    assert off["data"]["updateModel"]["model"]["predictionCacheTtlS"] is None


async def test_warm_up_loads_production_versions(app, gql, published):
    token, model, version, _ = await published()
    await gql(
        SET_ALIAS,
        {"model": model["id"], "alias": "production", "version": version["id"]},
        token=token,
    )
    inference = app.state.services.inference
    inference.clear_caches()
    assert await inference.warm_up() == 1
    assert [str(m.version_id) for m in inference.cache.cached_versions()] == [version["id"]]


async def test_per_version_batch_size(app, gql, published):
    token, _, version, _ = await published()
    configured = await gql(
        "mutation($id: ID!) { setVersionRuntime(input: {versionId: $id, batchMaxRows: 2, "
        "batchMaxWaitMs: 0}) { ... on SetVersionRuntimeSuccess { version { batchMaxRows } } } }",
        {"id": version["id"]},
        token=token,
    )
    assert configured["data"]["setVersionRuntime"]["version"]["batchMaxRows"] == 2
    await asyncio.sleep(0.05)  # the runtime event reaches the resolver cache
    caller = await app.state.services.accounts.authenticate(token)
    inference = app.state.services.inference
    batches: list[int] = []
    previous = inference._on_batch
    inference._on_batch = lambda requests, rows: batches.append(rows)
    try:
        await asyncio.gather(
            *(
                inference.predict(
                    caller=caller,
                    ref="ada/iris",
                    rows=[[float(i)] * 4],
                    max_rows=10,
                    request_id=str(i),
                )
                for i in range(20)
            )
        )
    finally:
        inference._on_batch = previous
    assert sum(batches) == 20
    assert max(batches) <= 2

    refused = await gql(
        "mutation($id: ID!) { setVersionRuntime(input: {versionId: $id, batchMaxRows: 0}) "
        "{ __typename ... on ValidationError { fields { path code } } } }",
        {"id": version["id"]},
        token=token,
    )
    assert refused["data"]["setVersionRuntime"] == {
        "__typename": "ValidationError",
        "fields": [{"path": ["input", "batchMaxRows"], "code": "out_of_range"}],
    }


@pytest.mark.parametrize("forest_class", ["RandomForestClassifier", "ExtraTreesClassifier"])
def test_forest_fast_path_is_bit_for_bit_scikit_learn(forest_class):
    import sklearn.ensemble

    X, y = factories.training_data(n_features=6)
    y = y + (X[:, 0] > 1)  # three classes
    forest = getattr(sklearn.ensemble, forest_class)(n_estimators=15, random_state=0).fit(X, y)
    fast = inference_service.forest_proba(forest)
    assert fast is not None
    rows = np.random.default_rng(0).normal(size=(300, 6))
    assert np.array_equal(fast(rows), forest.predict_proba(rows))
    assert np.array_equal(fast(rows[:1]), forest.predict_proba(rows[:1]))


async def test_strangers_learn_nothing_from_references(gql, published, signup):
    token, _, version, _ = await published()
    await gql(
        "mutation($id: ID!) { archiveVersion(id: $id) { __typename } }",
        {"id": version["id"]},
        token=token,
    )
    bob = (await signup("bob@example.com"))["accessToken"]
    answers = set()
    for ref in ("ada/iris@nope", "ada/iris:1", "ada/iris:7", version["id"], "ada/nothing"):
        body = await gql(PREDICT, {"model": ref, "rows": [[0.0] * 4]}, token=bob)
        answers.add((tuple(codes(body)), body["errors"][0]["message"].split()[0]))
    # Only "Model not found." or "Model version not found." — never an alias name or a state.
    assert answers == {(("NOT_FOUND",), "Model")}


async def test_a_hidden_version_reads_exactly_like_a_missing_one(gql, published, signup):
    # Given a version of ada's and a stranger
    _, _, version, _ = await published()
    bob = (await signup("bob@example.com"))["accessToken"]

    # When the stranger names it, a random version id, ada's model and a model that is not there
    def answer(body: dict) -> tuple:
        return [(e["message"], e["extensions"]["code"]) for e in body["errors"]], body["data"]

    async def predict(ref: str) -> tuple:
        return answer(await gql(PREDICT, {"model": ref, "rows": [[0.0] * 4]}, token=bob))

    hidden_version = await predict(version["id"])
    missing_version = await predict(str(uuid.uuid4()))
    again = await predict(version["id"])  # now from the resolution cache
    hidden_model, missing_model = await predict("ada/iris"), await predict("ada/nothing")

    # Then each pair is word for word the same
    assert hidden_version == missing_version == again
    assert hidden_version[0] == [("Model version not found.", "NOT_FOUND")]
    assert hidden_model == missing_model
    assert hidden_model[0] == [("Model not found.", "NOT_FOUND")]


async def test_the_widest_batch_the_caps_promise_fits_in_one_body(gql, published, settings):
    # Given a 32-feature model (the width the JSON body cap is derived for)
    wide = factories.logistic_regression(n_features=BATCH_WIDTH_FEATURES)
    token, *_ = await published(wide, name="wide")
    rows = np.random.default_rng(1).normal(size=(settings.predict_batch_max_rows, 32))
    # Each value written as long as JSON ever writes a float64
    rows = np.where(rows < 0, -2.2250738585072014e-308, 2.2250738585072014e-308)

    # When a full batch of them is sent as JSON
    body = await gql(PREDICT_BATCH, {"model": "ada/wide", "rows": rows.tolist()}, token=token)

    # Then it is answered, not refused by the body cap
    assert "errors" not in body, body.get("errors")
    assert body["data"]["predictBatch"]["rows"] == settings.predict_batch_max_rows
