"""Model analytics and the prediction log through the GraphQL API, on known log rows."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from storage import tables
from tests import factories
from tests.graph.queries import CREATE_MODEL, SHARE
from tests.graph.test_accounts import codes, make_admin

ANALYTICS = """
query Analytics(
  $model: ID!, $version: ID, $since: DateTime!, $until: DateTime!, $bucket: TimeBucket! = HOUR
) {
  modelAnalytics(
    modelId: $model, versionId: $version, since: $since, until: $until, bucket: $bucket
  ) {
    modelId versionId since until bucket count errorCount errorRate rows
    latency { p50 p95 p99 }
    throughput { start count errors }
    outputs {
      total
      values { value count }
      numeric { count min mean max histogram { lower upper count } }
    }
    topCallers { userId username count }
    versions { number count errorCount errorRate latency { p50 p95 p99 } version { id number } }
  }
}"""

LOG = """
query Log($model: ID!, $filter: PredictionLogFilter, $first: Int, $after: String) {
  predictionLog(modelId: $model, filter: $filter, first: $first, after: $after) {
    edges {
      cursor
      node {
        id requestId status errorCode nRows latencyMs inputs inputsHash outputs createdAt
        version { number }
        caller { username }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""

PREDICT = """
query Predict($model: String!, $rows: FeatureMatrix) {
  predict(model: $model, rows: $rows) { predictions { value } }
}"""

# Two days ago, on the hour: inside the log's retention, and whole hours for the buckets.
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)


def iso(at: datetime) -> str:
    return at.isoformat()


def percentile_cont(values: list[float], q: float) -> float:
    """PostgreSQL's percentile_cont, step for step (the SQLite path must match it exactly)."""
    ordered = sorted(values)
    h = q * (len(ordered) - 1)
    lo = math.floor(h)
    if lo == h:
        return ordered[lo]
    return ordered[lo] + (h - lo) * (ordered[lo + 1] - ordered[lo])


def user_id(login: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(login["user"]["id"])


@pytest.fixture
async def ada(signup) -> dict[str, Any]:
    return await signup("ada@example.com")


@pytest.fixture
async def bob(signup) -> dict[str, Any]:
    return await signup("bob@example.com")


@pytest.fixture
async def carol(signup) -> dict[str, Any]:
    return await signup("carol@example.com")


@pytest.fixture
def new_model(gql):
    """A model created through the API by the given user."""

    async def run(owner: dict[str, Any], name: str = "iris") -> dict[str, Any]:
        body = await gql(CREATE_MODEL, {"name": name}, token=owner["accessToken"])
        return body["data"]["createModel"]["model"]

    return run


async def add_version(model: dict[str, Any], number: int) -> tables.ModelVersion:
    """A version row; analytics never loads its artifact."""
    return await tables.ModelVersion.create(
        model_id=uuid.UUID(model["id"]),
        number=number,
        status="ready",
        artifact_key="sha256/" + "0" * 64,
        sha256=f"{number:064d}",
        size=1,
        source_format="skops",
        serving_key="sha256/" + "0" * 64,
        serving_format="skops",
        serving_size=1,
        framework="sklearn",
        estimator_class="LogisticRegression",
    )


def entry(
    model: dict[str, Any],
    version: tables.ModelVersion | None,
    caller: uuid.UUID | None,
    at: datetime,
    latency_ms: float,
    *,
    status: str = "ok",
    n_rows: int = 1,
    outputs: Any = None,
    inputs: Any = None,
    inputs_hash: str | None = None,
    request_id: str | None = None,
) -> tables.PredictionLog:
    return tables.PredictionLog(
        id=uuid.uuid4(),
        model_id=uuid.UUID(model["id"]),
        version_id=version.id if version else None,
        caller_id=caller,
        request_id=request_id or uuid.uuid4().hex,
        status=status,
        error_code="PREDICTION_FAILED" if status == "error" else None,
        n_rows=n_rows,
        latency_ms=latency_ms,
        inputs=inputs,
        inputs_hash=inputs_hash,
        outputs=outputs,
        created_at=at,
    )


async def analytics(gql, token: str, model_id: str, since: datetime, until: datetime, **more):
    variables = {"model": model_id, "since": iso(since), "until": iso(until), **more}
    return await gql(ANALYTICS, variables, token=token)


@pytest.fixture
async def known(ada, bob, carol, new_model):
    """Ten predictions of two versions over three hours, and rows that must not count.

    v1: 10, 20, 30 (error), 40, 50, 60 ms;  v2: 5, 15, 200 (error), 25 ms.
    """
    model = await new_model(ada)
    other = await new_model(ada, "other")
    v1, v2 = await add_version(model, 1), await add_version(model, 2)
    a, b, c = user_id(ada), user_id(bob), user_id(carol)
    m = timedelta(minutes=1)
    await tables.PredictionLog.bulk_create(
        [
            entry(model, v1, a, T0 + 5 * m, 10.0, n_rows=2, outputs=[0, 1]),
            entry(model, v1, a, T0 + 15 * m, 20.0, outputs=[1]),
            entry(model, v1, b, T0 + 25 * m, 30.0, status="error", n_rows=3),
            entry(model, v1, a, T0 + 65 * m, 40.0, n_rows=2, outputs=[1, 2]),
            entry(model, v1, b, T0 + 70 * m, 50.0, outputs=[1]),
            entry(model, v1, c, T0 + 130 * m, 60.0, outputs=[2]),
            entry(model, v2, a, T0 + 10 * m, 5.0, outputs=[0]),
            entry(model, v2, a, T0 + 80 * m, 15.0, n_rows=2, outputs=[0, 0]),
            entry(model, v2, b, T0 + 90 * m, 200.0, status="error"),
            entry(model, v2, a, T0 + 170 * m, 25.0, n_rows=4, outputs=[1, 1, 2, 0]),
            # Outside [T0, T0 + 3h), or another model's: never counted.
            entry(model, v1, a, T0 - timedelta(microseconds=1), 999.0, outputs=[9]),
            entry(model, v1, a, T0 + 180 * m, 999.0, outputs=[9]),
            entry(other, None, a, T0 + 30 * m, 999.0, outputs=[9]),
        ]
    )
    return {"model": model, "v1": v1, "v2": v2, "since": T0, "until": T0 + 180 * m}


async def test_known_predictions_give_hand_computed_figures(gql, ada, bob, carol, known):
    body = await analytics(gql, ada["accessToken"], known["model"]["id"], T0, known["until"])
    result = body["data"]["modelAnalytics"]
    assert "errors" not in body

    assert result["modelId"] == known["model"]["id"]
    assert result["versionId"] is None
    assert (result["since"], result["until"], result["bucket"]) == (
        iso(T0),
        iso(known["until"]),
        "HOUR",
    )
    assert (result["count"], result["errorCount"], result["errorRate"], result["rows"]) == (
        10,
        2,
        0.2,
        18,
    )
    # Sorted: 5 10 15 20 25 30 40 50 60 200. p50: h = 4.5 -> 25 + 0.5 * 5;
    # p95: h = 8.55 -> 60 + 0.55 * 140; p99: h = 8.91 -> 60 + 0.91 * 140.
    latencies = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 5.0, 15.0, 200.0, 25.0]
    latency = result["latency"]
    assert latency["p50"] == 27.5
    assert latency["p95"] == pytest.approx(137.0, rel=1e-12)
    assert latency["p99"] == pytest.approx(187.4, rel=1e-12)
    assert [latency["p50"], latency["p95"], latency["p99"]] == [
        percentile_cont(latencies, q) for q in (0.5, 0.95, 0.99)
    ]
    np.testing.assert_allclose(
        [latency["p50"], latency["p95"], latency["p99"]],
        np.percentile(latencies, [50, 95, 99], method="linear"),
        rtol=1e-12,
    )

    assert result["throughput"] == [
        {"start": iso(T0), "count": 4, "errors": 1},
        {"start": iso(T0 + timedelta(hours=1)), "count": 4, "errors": 1},
        {"start": iso(T0 + timedelta(hours=2)), "count": 2, "errors": 0},
    ]

    # Outputs 0 1 | 1 | 1 2 | 1 | 2 | 0 | 0 0 | 1 1 2 0: six 1s, five 0s, three 2s.
    outputs = result["outputs"]
    assert outputs["total"] == 14
    assert outputs["values"] == [
        {"value": 1, "count": 6},
        {"value": 0, "count": 5},
        {"value": 2, "count": 3},
    ]
    numeric = outputs["numeric"]
    assert (numeric["count"], numeric["min"], numeric["max"]) == (14, 0.0, 2.0)
    assert numeric["mean"] == pytest.approx(12 / 14, rel=1e-12)
    assert [b["count"] for b in numeric["histogram"]] == [5, 0, 0, 0, 0, 6, 0, 0, 0, 3]
    assert [b["lower"] for b in numeric["histogram"]] == pytest.approx(
        [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8]
    )
    assert numeric["histogram"][-1]["upper"] == 2.0

    assert result["topCallers"] == [
        {"userId": ada["user"]["id"], "username": "ada", "count": 6},
        {"userId": bob["user"]["id"], "username": "bob", "count": 3},
        {"userId": carol["user"]["id"], "username": "carol", "count": 1},
    ]
    # v2: 5 15 25 200 -> p50 = 15 + 0.5 * 10; v1: 10 20 30 40 50 60 -> p50 = 30 + 0.5 * 10.
    v2, v1 = result["versions"]
    assert (v2["number"], v2["count"], v2["errorCount"], v2["errorRate"]) == (2, 4, 1, 0.25)
    assert v2["latency"]["p50"] == 20.0
    assert v2["latency"]["p99"] == percentile_cont([5.0, 15.0, 25.0, 200.0], 0.99)
    assert v2["version"] == {"id": str(known["v2"].id), "number": 2}
    assert (v1["number"], v1["count"], v1["errorCount"]) == (1, 6, 1)
    assert v1["errorRate"] == pytest.approx(1 / 6, rel=1e-12)
    assert v1["latency"]["p50"] == 35.0
    assert v1["version"] == {"id": str(known["v1"].id), "number": 1}


async def test_a_version_restricts_every_figure(gql, ada, known):
    body = await analytics(
        gql,
        ada["accessToken"],
        known["model"]["id"],
        T0,
        known["until"],
        version=str(known["v1"].id),
    )
    result = body["data"]["modelAnalytics"]
    assert result["versionId"] == str(known["v1"].id)
    assert (result["count"], result["errorCount"], result["rows"]) == (6, 1, 10)
    assert result["latency"] == {
        "p50": 35.0,
        "p95": percentile_cont([10.0, 20.0, 30.0, 40.0, 50.0, 60.0], 0.95),
        "p99": percentile_cont([10.0, 20.0, 30.0, 40.0, 50.0, 60.0], 0.99),
    }
    assert [(b["count"], b["errors"]) for b in result["throughput"]] == [(3, 1), (2, 0), (1, 0)]
    assert [(v["value"], v["count"]) for v in result["outputs"]["values"]] == [
        (1, 4),
        (2, 2),
        (0, 1),
    ]
    assert [(c["username"], c["count"]) for c in result["topCallers"]] == [
        ("ada", 3),
        ("bob", 2),
        ("carol", 1),
    ]
    assert [v["number"] for v in result["versions"]] == [1]


async def test_a_version_of_another_model_is_not_found(gql, ada, known, new_model):
    elsewhere = await add_version(await new_model(ada, "elsewhere"), 1)
    token, model = ada["accessToken"], known["model"]["id"]
    foreign = await analytics(gql, token, model, T0, known["until"], version=str(elsewhere.id))
    malformed = await analytics(gql, token, model, T0, known["until"], version="nope")
    assert codes(foreign) == codes(malformed) == ["NOT_FOUND"]
    assert foreign["data"] == malformed["data"] == {"modelAnalytics": None}
    assert foreign["errors"][0]["message"] == "Model version not found."


async def test_percentiles_match_numpy_on_many_predictions(gql, ada, new_model):
    model = await new_model(ada)
    v1, v2 = await add_version(model, 1), await add_version(model, 2)
    rng = np.random.default_rng(7)
    latencies = [float(x) for x in np.round(rng.lognormal(3.0, 1.0, 257), 3)]
    latencies[10:20] = [latencies[0]] * 10  # ties
    rows = [
        entry(model, v1 if i % 3 else v2, None, T0 + timedelta(seconds=11 * i), latency)
        for i, latency in enumerate(latencies)
    ]
    await tables.PredictionLog.bulk_create(rows)

    body = await analytics(gql, ada["accessToken"], model["id"], T0, T0 + timedelta(hours=1))
    result = body["data"]["modelAnalytics"]

    qs = (0.5, 0.95, 0.99)
    got = [result["latency"][k] for k in ("p50", "p95", "p99")]
    assert got == [percentile_cont(latencies, q) for q in qs]
    np.testing.assert_allclose(got, np.percentile(latencies, [50, 95, 99]), rtol=1e-12)
    by_number = {v["number"]: v for v in result["versions"]}
    for number, version in ((1, v1), (2, v2)):
        mine = [r.latency_ms for r in rows if r.version_id == version.id]
        got = [by_number[number]["latency"][k] for k in ("p50", "p95", "p99")]
        assert by_number[number]["count"] == len(mine)
        assert got == [percentile_cont(mine, q) for q in qs]
        np.testing.assert_allclose(got, np.percentile(mine, [50, 95, 99]), rtol=1e-12)


async def test_one_prediction_is_every_percentile(gql, ada, new_model):
    model = await new_model(ada)
    await tables.PredictionLog.bulk_create([entry(model, None, None, T0, 42.5)])
    body = await analytics(gql, ada["accessToken"], model["id"], T0, T0 + timedelta(hours=1))
    result = body["data"]["modelAnalytics"]
    assert result["latency"] == {"p50": 42.5, "p95": 42.5, "p99": 42.5}
    assert result["versions"] == [
        {
            "number": None,
            "count": 1,
            "errorCount": 0,
            "errorRate": 0.0,
            "latency": {"p50": 42.5, "p95": 42.5, "p99": 42.5},
            "version": None,
        }
    ]


async def test_minute_and_day_buckets(gql, ada, new_model):
    model = await new_model(ada)
    s = timedelta(seconds=1)
    await tables.PredictionLog.bulk_create(
        [
            entry(model, None, None, T0 + 10 * s, 1.0),  # before `since`
            entry(model, None, None, T0 + 40 * s, 1.0),
            entry(model, None, None, T0 + 119 * s + timedelta(microseconds=999_999), 1.0),
            entry(model, None, None, T0 + 120 * s, 1.0, status="error"),
            entry(model, None, None, T0 + 270 * s, 1.0),
            entry(model, None, None, T0 + 300 * s, 1.0),  # at `until`
            entry(model, None, None, T0 + timedelta(days=1), 1.0),
        ]
    )
    token = ada["accessToken"]

    minutes = await analytics(gql, token, model["id"], T0 + 30 * s, T0 + 300 * s, bucket="MINUTE")
    assert minutes["data"]["modelAnalytics"]["throughput"] == [
        {"start": iso(T0), "count": 1, "errors": 0},
        {"start": iso(T0 + 60 * s), "count": 1, "errors": 0},
        {"start": iso(T0 + 120 * s), "count": 1, "errors": 1},
        {"start": iso(T0 + 180 * s), "count": 0, "errors": 0},
        {"start": iso(T0 + 240 * s), "count": 1, "errors": 0},
    ]

    day = T0.replace(hour=0)
    days = await analytics(gql, token, model["id"], T0, T0 + timedelta(days=2), bucket="DAY")
    assert [(b["start"], b["count"]) for b in days["data"]["modelAnalytics"]["throughput"]] == [
        (iso(day), 6),
        (iso(day + timedelta(days=1)), 1),
        *([(iso(day + timedelta(days=2)), 0)] if T0.hour else []),
    ]


async def test_regression_outputs_get_a_histogram(gql, ada, new_model):
    model = await new_model(ada)
    outputs = [[0.0, 1.25], [3.3], [7.9, 10.0], [10.0, 4.4, 4.5]]
    await tables.PredictionLog.bulk_create(
        [
            *(
                entry(model, None, None, T0 + timedelta(minutes=i), 1.0, outputs=o)
                for i, o in enumerate(outputs)
            ),
            # Kept nothing (log policy none), failed, or not a list: no outputs to count.
            entry(model, None, None, T0, 1.0, outputs=None),
            entry(model, None, None, T0, 1.0, status="error"),
            entry(model, None, None, T0, 1.0, outputs=5),
            entry(model, None, None, T0, 1.0, outputs={"value": 5}),
        ]
    )
    body = await analytics(gql, ada["accessToken"], model["id"], T0, T0 + timedelta(hours=1))
    result = body["data"]["modelAnalytics"]["outputs"]

    flat = [x for row in outputs for x in row]
    assert result["total"] == len(flat) == 8
    assert result["values"][0] == {"value": 10.0, "count": 2}
    assert len(result["values"]) == 7
    numeric = result["numeric"]
    assert (numeric["count"], numeric["min"], numeric["max"]) == (8, 0.0, 10.0)
    assert numeric["mean"] == pytest.approx(float(np.mean(flat)), rel=1e-12)
    counts, edges = np.histogram(flat, bins=10, range=(0.0, 10.0))
    assert [b["count"] for b in numeric["histogram"]] == counts.tolist()
    assert [b["lower"] for b in numeric["histogram"]] == pytest.approx(edges[:-1].tolist())
    assert [b["upper"] for b in numeric["histogram"]] == pytest.approx(edges[1:].tolist())


async def test_labels_of_every_json_type_are_told_apart(gql, ada, new_model):
    model = await new_model(ada)
    await tables.PredictionLog.bulk_create(
        [
            entry(model, None, None, T0, 1.0, outputs=["b", "a", "b", True, "true"]),
            entry(model, None, None, T0, 1.0, outputs=[1, 1.0, "b", [1, 2], None, "a"]),
        ]
    )
    body = await analytics(gql, ada["accessToken"], model["id"], T0, T0 + timedelta(hours=1))
    outputs = body["data"]["modelAnalytics"]["outputs"]
    # 1 and 1.0 are one JSON number; true is not 1, nor "true" true. Ties: by JSON text.
    assert outputs["total"] == 11
    assert outputs["values"] == [
        {"value": "b", "count": 3},
        {"value": "a", "count": 2},
        {"value": 1, "count": 2},
        {"value": "true", "count": 1},
        {"value": [1, 2], "count": 1},
        {"value": None, "count": 1},
        {"value": True, "count": 1},
    ]
    assert outputs["numeric"] == {
        "count": 2,
        "min": 1.0,
        "mean": 1.0,
        "max": 1.0,
        "histogram": [{"lower": 1.0, "upper": 1.0, "count": 2}],
    }


async def test_top_values_stop_at_twenty(gql, ada, new_model):
    model = await new_model(ada)
    # Label i predicted i + 1 times: the 20 most frequent are 24 down to 5.
    labels = [f"c{i:02d}" for i in range(25) for _ in range(i + 1)]
    await tables.PredictionLog.bulk_create([entry(model, None, None, T0, 1.0, outputs=labels)])
    body = await analytics(gql, ada["accessToken"], model["id"], T0, T0 + timedelta(hours=1))
    outputs = body["data"]["modelAnalytics"]["outputs"]
    assert outputs["total"] == len(labels) == 325
    assert outputs["values"] == [{"value": f"c{i:02d}", "count": i + 1} for i in range(24, 4, -1)]
    assert outputs["numeric"] is None


async def test_a_quiet_range_has_zeros_and_nulls(gql, ada, new_model):
    model = await new_model(ada)
    body = await analytics(gql, ada["accessToken"], model["id"], T0, T0 + timedelta(hours=2))
    assert body["data"]["modelAnalytics"] | {"modelId": None} == {
        "modelId": None,
        "versionId": None,
        "since": iso(T0),
        "until": iso(T0 + timedelta(hours=2)),
        "bucket": "HOUR",
        "count": 0,
        "errorCount": 0,
        "errorRate": None,
        "rows": 0,
        "latency": {"p50": None, "p95": None, "p99": None},
        "throughput": [
            {"start": iso(T0), "count": 0, "errors": 0},
            {"start": iso(T0 + timedelta(hours=1)), "count": 0, "errors": 0},
        ],
        "outputs": {"total": 0, "values": [], "numeric": None},
        "topCallers": [],
        "versions": [],
    }


async def test_times_in_any_offset_mean_the_same_instant(gql, ada, known):
    paris = "+01:00"
    since = (T0 + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S") + paris
    until = (known["until"] + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S") + paris
    body = await gql(
        ANALYTICS,
        {"model": known["model"]["id"], "since": since, "until": until},
        token=ada["accessToken"],
    )
    result = body["data"]["modelAnalytics"]
    assert (result["since"], result["count"]) == (iso(T0), 10)


@pytest.mark.parametrize(
    ("since", "until", "bucket", "fields"),
    [
        (T0, T0, "HOUR", [(["until"], "invalid_range")]),
        (T0, T0 - timedelta(hours=1), "HOUR", [(["until"], "invalid_range")]),
        (T0, T0 + timedelta(days=401), "DAY", [(["since"], "range_too_long")]),
        (
            T0,
            T0 + timedelta(days=401),
            "HOUR",
            [(["since"], "range_too_long"), (["bucket"], "too_many_buckets")],
        ),
        (T0, T0 + timedelta(minutes=2001), "MINUTE", [(["bucket"], "too_many_buckets")]),
        (T0 + timedelta(seconds=1), T0 + timedelta(minutes=2000), "MINUTE", []),
        (T0, T0 + timedelta(days=400), "DAY", []),
    ],
)
async def test_ranges_are_checked(gql, ada, new_model, since, until, bucket, fields):
    model = await new_model(ada)
    body = await analytics(gql, ada["accessToken"], model["id"], since, until, bucket=bucket)
    if not fields:
        assert "errors" not in body
        assert len(body["data"]["modelAnalytics"]["throughput"]) <= 2000
        return
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["data"] == {"modelAnalytics": None}
    assert [(f["path"], f["code"]) for f in body["errors"][0]["extensions"]["fields"]] == fields


async def test_who_sees_the_figures_and_the_log(gql, app, ada, bob, carol, known):
    model_id = known["model"]["id"]
    until = known["until"]
    bob_token, carol_token = bob["accessToken"], carol["accessToken"]

    # A stranger: the model might as well not exist.
    stranger = await analytics(gql, bob_token, model_id, T0, until)
    missing = await analytics(gql, bob_token, str(uuid.uuid4()), T0, until)
    malformed = await analytics(gql, bob_token, "nope", T0, until)
    assert stranger["data"] == missing["data"] == malformed["data"] == {"modelAnalytics": None}
    assert "errors" not in stranger and "errors" not in missing
    log = await gql(LOG, {"model": model_id}, token=bob_token)
    assert log["data"] == {"predictionLog": None}
    assert "errors" not in log

    # A viewer reads the aggregates, but neither who calls nor the log.
    await gql(
        SHARE, {"model": model_id, "user": "bob", "level": "VIEWER"}, token=ada["accessToken"]
    )
    viewer = (await analytics(gql, bob_token, model_id, T0, until))["data"]["modelAnalytics"]
    assert (viewer["count"], viewer["latency"]["p50"]) == (10, 27.5)
    assert viewer["topCallers"] is None
    log = await gql(LOG, {"model": model_id}, token=bob_token)
    assert codes(log) == ["FORBIDDEN"]
    assert log["errors"][0]["message"] == "Only maintainers can read a model's prediction log."
    assert log["data"] == {"predictionLog": None}

    # So does a predictor.
    await gql(
        SHARE, {"model": model_id, "user": "bob", "level": "PREDICTOR"}, token=ada["accessToken"]
    )
    assert codes(await gql(LOG, {"model": model_id}, token=bob_token)) == ["FORBIDDEN"]

    # A maintainer and an administrator see everything.
    await gql(
        SHARE, {"model": model_id, "user": "carol", "level": "MAINTAINER"}, token=ada["accessToken"]
    )
    admin_token = (await make_admin(app, gql))["accessToken"]
    for token in (carol_token, admin_token):
        result = (await analytics(gql, token, model_id, T0, until))["data"]["modelAnalytics"]
        assert [c["username"] for c in result["topCallers"]] == ["ada", "bob", "carol"]
        log = await gql(LOG, {"model": model_id, "first": 100}, token=token)
        assert len(log["data"]["predictionLog"]["edges"]) == 12

    # Without a token: nothing at all.
    anonymous = await gql(ANALYTICS, {"model": model_id, "since": iso(T0), "until": iso(until)})
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    assert codes(await gql(LOG, {"model": model_id})) == ["UNAUTHENTICATED"]


async def test_the_log_pages_newest_first(gql, ada, bob, new_model):
    model = await new_model(ada)
    v1 = await add_version(model, 1)
    same_time = T0 + timedelta(minutes=30)
    rows = [
        entry(
            model,
            v1,
            user_id(ada if i % 2 else bob),
            T0 + timedelta(minutes=i, microseconds=i),
            float(i),
        )
        for i in range(20)
    ] + [entry(model, v1, user_id(ada), same_time, 1.0) for _ in range(5)]
    await tables.PredictionLog.bulk_create(rows)
    expected = sorted(rows, key=lambda r: (r.created_at, str(r.id)), reverse=True)

    seen, pages, after = [], [], None
    while True:
        body = await gql(
            LOG, {"model": model["id"], "first": 10, "after": after}, token=ada["accessToken"]
        )
        page = body["data"]["predictionLog"]
        seen += [edge["node"] for edge in page["edges"]]
        pages.append((len(page["edges"]), page["pageInfo"]["hasNextPage"]))
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert pages == [(10, True), (10, True), (5, False)]
    assert [node["id"] for node in seen] == [str(r.id) for r in expected]
    assert seen[0]["createdAt"] == iso(same_time)
    assert seen[-1] | {"id": None, "requestId": None} == {
        "id": None,
        "requestId": None,
        "status": "OK",
        "errorCode": None,
        "nRows": 1,
        "latencyMs": 0.0,
        "inputs": None,
        "inputsHash": None,
        "outputs": None,
        "createdAt": iso(T0),
        "version": {"number": 1},
        "caller": {"username": "bob"},
    }


async def test_the_log_filters(gql, ada, known):
    model_id = known["model"]["id"]
    token = ada["accessToken"]
    await tables.PredictionLog.bulk_create(
        [
            entry(
                known["model"],
                known["v2"],
                user_id(ada),
                T0 + timedelta(minutes=100),
                7.5,
                n_rows=2,
                inputs=[[1.0, 2.0], [3.0, None]],
                outputs=[1, 0],
                request_id="req-full",
            ),
            entry(
                known["model"],
                None,
                None,
                T0 + timedelta(minutes=101),
                8.5,
                inputs_hash="ab" * 32,
                outputs=[2],
                request_id="req-hash",
            ),
        ]
    )

    async def nodes(**filter: Any) -> list[dict[str, Any]]:
        body = await gql(LOG, {"model": model_id, "filter": filter, "first": 100}, token=token)
        return [edge["node"] for edge in body["data"]["predictionLog"]["edges"]]

    assert len(await nodes()) == 14
    errors = await nodes(status="ERROR")
    assert [(n["latencyMs"], n["errorCode"], n["outputs"]) for n in errors] == [
        (200.0, "PREDICTION_FAILED", None),
        (30.0, "PREDICTION_FAILED", None),
    ]
    assert [n["latencyMs"] for n in await nodes(versionId=str(known["v2"].id))] == [
        25.0,
        7.5,
        200.0,
        15.0,
        5.0,
    ]
    window = await nodes(since=iso(T0 + timedelta(hours=1)), until=iso(T0 + timedelta(hours=2)))
    assert [n["latencyMs"] for n in window] == [8.5, 7.5, 200.0, 15.0, 50.0, 40.0]
    assert [n["latencyMs"] for n in await nodes(status="OK", versionId=str(known["v1"].id))] == [
        999.0,
        60.0,
        50.0,
        40.0,
        20.0,
        10.0,
        999.0,
    ]
    [full] = await nodes(requestId="req-full")
    assert (full["inputs"], full["inputsHash"], full["outputs"]) == (
        [[1.0, 2.0], [3.0, None]],
        None,
        [1, 0],
    )
    assert (full["version"], full["caller"], full["nRows"]) == (
        {"number": 2},
        {"username": "ada"},
        2,
    )
    [hashed] = await nodes(requestId="req-hash")
    assert (hashed["inputs"], hashed["inputsHash"], hashed["outputs"]) == (None, "ab" * 32, [2])
    assert (hashed["version"], hashed["caller"]) == (None, None)
    assert await nodes(requestId="nothing") == []
    assert await nodes(versionId=str(uuid.uuid4())) == []


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 0},
        {"first": 101},
        {"after": "not-a-cursor"},
        {"filter": {"since": iso(T0), "until": iso(T0)}},
    ],
)
async def test_bad_log_arguments_are_bad_user_input(gql, ada, new_model, variables):
    model = await new_model(ada)
    body = await gql(LOG, {"model": model["id"], **variables}, token=ada["accessToken"])
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["data"] == {"predictionLog": None}


async def test_log_entries_load_versions_and_callers_in_one_batch(
    gql, app, ada, bob, carol, new_model, monkeypatch
):
    model = await new_model(ada)
    versions = [await add_version(model, n) for n in (1, 2, 3)]
    callers = [user_id(u) for u in (ada, bob, carol)]
    await tables.PredictionLog.bulk_create(
        [
            entry(model, versions[i % 3], callers[i % 3], T0 + timedelta(seconds=i), 1.0)
            for i in range(30)
        ]
    )
    services = app.state.services
    calls: dict[str, list[int]] = {"versions": [], "users": []}
    versions_by_ids = services.registry.get_versions_by_ids
    users_by_ids = services.accounts.get_users_by_ids

    async def count_versions(*, ids):
        calls["versions"].append(len(ids))
        return await versions_by_ids(ids=ids)

    async def count_users(*, ids):
        calls["users"].append(len(ids))
        return await users_by_ids(ids=ids)

    monkeypatch.setattr(services.registry, "get_versions_by_ids", count_versions)
    monkeypatch.setattr(services.accounts, "get_users_by_ids", count_users)
    body = await gql(LOG, {"model": model["id"], "first": 30}, token=ada["accessToken"])
    assert len(body["data"]["predictionLog"]["edges"]) == 30
    assert calls == {"versions": [3], "users": [3]}


async def test_predictions_made_through_the_api_are_counted(gql, app, ada, new_model, upload):
    token = ada["accessToken"]
    model = await new_model(ada)
    clf = factories.logistic_regression()
    uploaded = await upload(token, model["id"], factories.skops_bytes(clf))
    assert uploaded["data"]["uploadModelVersion"]["version"]["number"] == 1
    started = datetime.now(UTC)
    batches = [
        [[0.5, -1.2, 0.3, 2.0]],
        [[0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0]],
        [[9, 9, 9, 9]],
    ]
    for rows in batches:
        body = await gql(PREDICT, {"model": "ada/iris", "rows": rows}, token=token)
        assert "errors" not in body, body
    refused = await gql(PREDICT, {"model": "ada/iris", "rows": [[1.0, 2.0]]}, token=token)
    assert codes(refused) == ["BAD_USER_INPUT"]
    await app.state.services.inference.log_writer.drain()

    since, until = started - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1)
    body = await analytics(gql, token, model["id"], since, until)
    result = body["data"]["modelAnalytics"]
    predicted = [int(label) for rows in batches for label in clf.predict(rows)]
    assert (result["count"], result["errorCount"], result["errorRate"], result["rows"]) == (
        4,
        1,
        0.25,
        5,
    )
    assert sum(b["count"] for b in result["throughput"]) == 4
    assert result["latency"]["p50"] > 0
    assert result["outputs"]["total"] == 4
    assert sorted((v["value"], v["count"]) for v in result["outputs"]["values"]) == sorted(
        (label, predicted.count(label)) for label in set(predicted)
    )
    assert result["topCallers"] == [{"userId": ada["user"]["id"], "username": "ada", "count": 4}]
    assert [(v["number"], v["count"], v["errorCount"]) for v in result["versions"]] == [(1, 4, 1)]

    log = await gql(LOG, {"model": model["id"]}, token=token)
    nodes = [edge["node"] for edge in log["data"]["predictionLog"]["edges"]]
    assert [n["status"] for n in nodes] == ["ERROR", "OK", "OK", "OK"]
    assert nodes[0]["errorCode"] == "BAD_USER_INPUT"
    assert [n["inputs"] for n in nodes[1:]] == [
        [[float(x) for x in r] for r in b] for b in batches
    ][::-1]
    assert [n["outputs"] for n in nodes[1:]] == [
        [int(label) for label in clf.predict(rows)] for rows in batches
    ][::-1]
    assert {(n["version"]["number"], n["caller"]["username"]) for n in nodes} == {(1, "ada")}
