"""Drift detection through the public API: reference profiles, reports, the scheduled check.

Predictions are made through GraphQL so they land in the prediction log; the statistics are
checked against scipy on the same data, and PSI against a computation by hand.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from domain.events import DriftEvent, model_message
from graph.app import create_app
from storage import tables
from tests import factories
from tests.conftest import TEST_REDIS_URL, make_settings
from tests.graph.queries import CREATE_MODEL, SHARE
from tests.graph.test_api_keys import CREATE_KEY
from tests.graph.test_streams import subscribe
from tests.graph.test_webhooks import Receiver, eventually, register, verify
from tests.graph.test_websocket import receive

CITIES = ["paris", "lyon", "nice"]
EPSILON = timedelta(microseconds=1)
UPLOAD_VERSION = """
mutation Upload($input: UploadModelVersionInput!) {
  uploadModelVersion(input: $input) {
    __typename
    ... on UploadModelVersionSuccess { version { id number } }
    ... on Error { message }
  }
}"""
UPLOAD_REFERENCE = """
mutation Reference($input: UploadDriftReferenceInput!) {
  uploadDriftReference(input: $input) {
    __typename
    ... on DriftProfileSuccess {
      profile { source rows features { name kind count missing } prediction { name kind count } }
    }
    ... on ReferenceRejectedError { message reason }
    ... on PayloadTooLargeError { message }
    ... on Error { message }
  }
}"""
FROM_LOG = """
mutation FromLog($version: ID!) {
  createDriftProfileFromLog(versionId: $version) {
    __typename
    ... on DriftProfileSuccess { profile { source rows } }
    ... on NotEnoughDataError { message rows needed }
    ... on Error { message }
  }
}"""
THRESHOLDS = """
mutation Thresholds($input: SetDriftThresholdsInput!) {
  setDriftThresholds(input: $input) {
    __typename
    ... on DriftThresholdsSuccess { thresholds { psi ksPValue chiSquarePValue minRows } }
    ... on ValidationError { fields { path code } }
    ... on Error { message }
  }
}"""
FEATURE = """
  name kind referenceCount windowCount windowMissing psi ksStatistic ksPValue chiSquare
  chiSquarePValue drifted bins { lower upper referenceCount windowCount }
  categories { value referenceCount windowCount }
"""
REPORT = f"""
query Report($model: String!, $window: DriftWindow) {{
  driftReport(model: $model, window: $window) {{
    versionNumber rows enoughData drifted driftedFeatures
    thresholds {{ psi ksPValue chiSquarePValue minRows }}
    features {{ {FEATURE} }}
    prediction {{ {FEATURE} }}
  }}
}}"""
PROFILE = """
query Profile($version: ID!) { driftProfile(versionId: $version) { source rows driftedSince } }"""
PREDICT = """
query Predict($model: String!, $rows: FeatureMatrix) {
  predict(model: $model, rows: $rows) { predictions { value } }
}"""


def frame(seed: int, n: int, *, shift: float = 0.0, cities: list[float] | None = None):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.normal(40 + shift, 10, n).round(3),
            "income": rng.normal(50, 15, n).round(3),
            "city": rng.choice(CITIES, n, p=cities or [0.5, 0.3, 0.2]).astype(object),
        }
    )


def fitted_model() -> Any:
    train = frame(99, 300)
    y = ((train.age > 42) ^ (train.city == "nice")).astype(int).to_numpy()
    encode = ColumnTransformer(
        [("city", OneHotEncoder(handle_unknown="ignore"), ["city"])], remainder="passthrough"
    )
    return make_pipeline(encode, LogisticRegression(max_iter=500)).fit(train, y)


def to_csv(data: pd.DataFrame) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["label", *data.columns])  # an extra column is ignored
    for row in data.itertuples(index=False):
        writer.writerow(["x", *row])
    return out.getvalue().encode()


def hand_psi(reference: list[float], window: list[float], bins: int = 10) -> float:
    """PSI over the reference's decile bins, computed step by step."""
    ref = sorted(reference)
    edges = sorted({float(np.quantile(ref, i / bins)) for i in range(1, bins)})

    def counts(values: list[float]) -> list[int]:
        out = [0] * (len(edges) + 1)
        for v in values:
            out[sum(1 for e in edges if v >= e)] += 1
        return out

    total = 0.0
    for r, w in zip(counts(ref), counts(window), strict=True):
        p = max(r / len(ref), 1e-4)
        q = max(w / len(window), 1e-4)
        total += (q - p) * math.log(q / p)
    return total


def chi_square_by_scipy(reference: list[str], window: list[str]) -> tuple[float, float]:
    categories = sorted(set(reference), key=lambda c: (-reference.count(c), c))
    ref = [reference.count(c) for c in categories]
    obs = [window.count(c) for c in categories]
    n = sum(obs)
    expected = [n * (r + 0.5) / (sum(ref) + 0.5 * len(ref)) for r in ref]
    result = stats.chisquare(obs, expected)
    return float(result.statistic), float(result.pvalue)


@pytest.fixture
def multipart(client):
    async def run(token: str, query: str, variables: dict[str, Any], path: str, data: bytes):
        response = await client.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": query, "variables": variables}),
                "map": json.dumps({"0": [path]}),
            },
            files={"0": ("file.bin", data, "application/octet-stream")},
            headers={"Authorization": f"Bearer {token}", "X-ModelServe-CSRF": "1"},
        )
        return response.json()

    return run


@pytest.fixture
async def published(gql, signup, multipart) -> dict[str, Any]:
    """Ada's model `ada/m`, one version taking (age, income, city)."""
    login = await signup("ada@example.com")
    token = login["accessToken"]
    model = (await gql(CREATE_MODEL, {"name": "m"}, token=token))["data"]["createModel"]["model"]
    example = frame(5, 3).to_dict("records")
    body = await multipart(
        token,
        UPLOAD_VERSION,
        {"input": {"modelId": model["id"], "file": None, "inputExampleRecords": example}},
        "variables.input.file",
        factories.skops_bytes(fitted_model()),
    )
    result = body["data"]["uploadModelVersion"]
    assert result["__typename"] == "UploadModelVersionSuccess", body
    return {"token": token, "model": model, "version": result["version"], "login": login}


async def predict_all(gql, app, token: str, data: pd.DataFrame) -> list[Any]:
    rows = data.astype(object).to_numpy().tolist()
    body = await gql(PREDICT, {"model": "ada/m", "rows": rows}, token=token)
    assert "errors" not in body, body
    await app.state.services.inference.log_writer.drain()
    return [p["value"] for p in body["data"]["predict"]["predictions"]]


async def reference_upload(multipart, published, data: bytes) -> dict[str, Any]:
    body = await multipart(
        published["token"],
        UPLOAD_REFERENCE,
        {"input": {"versionId": published["version"]["id"], "file": None}},
        "variables.input.file",
        data,
    )
    return body["data"]["uploadDriftReference"]


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in report["features"]}


async def test_shifted_window_is_flagged_and_unshifted_is_not_with_scipys_statistics(
    gql, app, published, multipart
):
    # Given a reference dataset uploaded for the version
    token = published["token"]
    reference = frame(1, 400)
    profiled = await reference_upload(multipart, published, to_csv(reference))
    assert profiled["__typename"] == "DriftProfileSuccess", profiled
    assert profiled["profile"]["source"] == "UPLOAD"
    assert profiled["profile"]["rows"] == 400
    assert [(f["name"], f["kind"]) for f in profiled["profile"]["features"]] == [
        ("age", "NUMERIC"),
        ("income", "NUMERIC"),
        ("city", "CATEGORICAL"),
    ]
    assert profiled["profile"]["prediction"] == {
        "name": "prediction",
        "kind": "CATEGORICAL",
        "count": 400,
    }
    expected_predictions = fitted_model().predict(reference).tolist()

    # When an unshifted window is predicted through the API
    start = datetime.now(UTC).isoformat()
    calm = frame(2, 300)
    calm_predictions = await predict_all(gql, app, token, calm)
    middle = datetime.now(UTC).isoformat()
    body = await gql(REPORT, {"model": "ada/m", "window": {"since": start}}, token=token)
    report = body["data"]["driftReport"]

    # Then it is not flagged, and each statistic is scipy's on the same data
    assert report["rows"] == 300 and report["enoughData"] is True
    assert report["drifted"] is False, report["driftedFeatures"]
    features = by_name(report)
    for name in ("age", "income"):
        ks = stats.ks_2samp(reference[name].tolist(), calm[name].tolist())
        assert features[name]["ksStatistic"] == pytest.approx(ks.statistic, abs=1e-9)
        assert features[name]["ksPValue"] == pytest.approx(ks.pvalue, abs=1e-9)
        psi = hand_psi(reference[name].tolist(), calm[name].tolist())
        assert features[name]["psi"] == pytest.approx(psi, abs=1e-9)
        assert sum(b["referenceCount"] for b in features[name]["bins"]) == 400
        assert sum(b["windowCount"] for b in features[name]["bins"]) == 300
    chi, p = chi_square_by_scipy(reference.city.tolist(), calm.city.tolist())
    assert features["city"]["chiSquare"] == pytest.approx(chi, abs=1e-9)
    assert features["city"]["chiSquarePValue"] == pytest.approx(p, abs=1e-9)
    labels = [json.dumps(v) for v in expected_predictions]
    chi, p = chi_square_by_scipy(labels, [json.dumps(v) for v in calm_predictions])
    assert report["prediction"]["chiSquare"] == pytest.approx(chi, abs=1e-9)
    assert report["prediction"]["chiSquarePValue"] == pytest.approx(p, abs=1e-9)

    # When a shifted window follows (older ages, more of Nice)
    shifted = frame(3, 300, shift=8.0, cities=[0.2, 0.3, 0.5])
    await predict_all(gql, app, token, shifted)
    body = await gql(REPORT, {"model": "ada/m", "window": {"since": middle}}, token=token)
    report = body["data"]["driftReport"]

    # Then it is flagged, on the features that moved, with scipy's figures again
    assert report["rows"] == 300
    assert report["drifted"] is True
    features = by_name(report)
    assert features["age"]["drifted"] is True
    assert features["city"]["drifted"] is True
    ks = stats.ks_2samp(reference.age.tolist(), shifted.age.tolist())
    assert features["age"]["ksStatistic"] == pytest.approx(ks.statistic, abs=1e-9)
    assert features["age"]["ksPValue"] == pytest.approx(ks.pvalue, abs=1e-9)
    assert features["age"]["psi"] == pytest.approx(
        hand_psi(reference.age.tolist(), shifted.age.tolist()), abs=1e-9
    )
    chi, p = chi_square_by_scipy(reference.city.tolist(), shifted.city.tolist())
    assert features["city"]["chiSquare"] == pytest.approx(chi, abs=1e-9)
    assert features["city"]["chiSquarePValue"] == pytest.approx(p, abs=1e-9)
    assert {"age", "city"} <= set(report["driftedFeatures"])


async def test_scheduled_check_emits_once_per_episode(gql, app, published, multipart):
    # Given a profiled version and a calm hour of predictions
    services = app.state.services
    token = published["token"]
    await reference_upload(multipart, published, to_csv(frame(1, 400)))
    await predict_all(gql, app, token, frame(2, 300))

    # When the check runs: nothing is emitted
    assert await services.drift.check_all() == []

    # When shifted inputs arrive and the check runs twice
    await predict_all(gql, app, token, frame(3, 600, shift=10.0, cities=[0.1, 0.2, 0.7]))
    first = await services.drift.check_all()
    second = await services.drift.check_all()

    # Then one drift.detected event, for the episode, names what drifted
    assert len(first) == 1 and second == []
    event = first[0]
    assert str(event.model_id) == published["model"]["id"]
    assert event.number == 1 and event.rows == 900
    assert {"age", "city"} <= set(event.features)
    profile = await tables.DriftProfile.get(version_id=published["version"]["id"])
    assert profile.drifted_since is not None
    # And its message round-trips for other replicas and live streams
    assert model_message(event.to_message()) == event
    assert DriftEvent.from_message(event.to_message()) == event


async def test_profile_from_log_needs_n_rows(gql, app, published):
    token, version = published["token"], published["version"]["id"]
    needed = app.state.settings.drift_profile_log_rows

    # Given fewer logged rows than N: a typed error
    await predict_all(gql, app, token, frame(1, 10))
    body = await gql(FROM_LOG, {"version": version}, token=token)
    result = body["data"]["createDriftProfileFromLog"]
    assert result["__typename"] == "NotEnoughDataError"
    assert (result["rows"], result["needed"]) == (10, needed)
    assert await tables.DriftProfile.all().count() == 0

    # Given N rows or more: the first N make the profile
    await predict_all(gql, app, token, frame(2, needed))
    body = await gql(FROM_LOG, {"version": version}, token=token)
    result = body["data"]["createDriftProfileFromLog"]
    assert result == {
        "__typename": "DriftProfileSuccess",
        "profile": {"source": "LOG", "rows": needed},
    }


async def test_bad_reference_files_get_typed_errors(published, multipart):
    cases = [
        (b"", "invalid_csv"),
        (b"age,income\n1,2\n", "invalid_csv"),  # no city column
        (b"age,income,city\n", "invalid_csv"),  # header only
        (b"age,income,city\n1,2,paris\n3,4\n", "invalid_csv"),  # short row
        (b"age,income,city\nold,2,paris\n", "invalid_csv"),  # not a number
        (b"age,income,city\n1,2,\xff\xfe\n", "invalid_csv"),  # not UTF-8
        (b"age,income,city\n1,2," + b"x" * 2000 + b"\n", "invalid_csv"),  # string too long
        (b"age,income,city\n1,2," + b"x" * 70_000 + b"\n", "invalid_csv"),  # field too long
        (b"age,age,city\n1,2,paris\n", "invalid_csv"),  # a column twice
        (b"age,income,city\n1,,paris\n", "invalid_rows"),  # the model takes no missing values
    ]
    for data, reason in cases:
        result = await reference_upload(multipart, published, data)
        assert result["__typename"] == "ReferenceRejectedError", (data, result)
        assert result["reason"] == reason
    assert await tables.DriftProfile.all().count() == 0


async def test_a_reference_with_a_bom_crlf_and_quoted_cells_is_read(published, multipart):
    data = '\ufeffcity,age,income\r\n"nice",30,1.5\r\n"lyon, centre",41,"2"\r\n'.encode()
    result = await reference_upload(multipart, published, data)
    assert result["__typename"] == "DriftProfileSuccess", result
    assert result["profile"]["rows"] == 2
    assert [(f["name"], f["count"], f["missing"]) for f in result["profile"]["features"]] == [
        ("age", 2, 0),
        ("income", 2, 0),
        ("city", 2, 0),
    ]


async def test_thresholds_for_maintainers_reports_for_viewers(
    gql, app, published, signup, multipart
):
    # Given Bob, who may only view Ada's model
    bob = await signup("bob@example.com")
    model_id = published["model"]["id"]
    shared = await gql(
        SHARE, {"model": model_id, "user": "bob", "level": "VIEWER"}, token=published["token"]
    )
    assert shared["data"]["shareModel"]["__typename"] == "ShareSuccess", shared

    # When Bob sets thresholds: refused, nothing stored
    body = await gql(
        THRESHOLDS, {"input": {"modelId": model_id, "psi": 0.5}}, token=bob["accessToken"]
    )
    assert body["data"]["setDriftThresholds"]["__typename"] == "ForbiddenError"
    assert await tables.DriftThresholds.all().count() == 0

    # When Ada sets them (one out of range first)
    body = await gql(
        THRESHOLDS, {"input": {"modelId": model_id, "ksPValue": 2}}, token=published["token"]
    )
    assert body["data"]["setDriftThresholds"]["fields"] == [
        {"path": ["input", "ksPValue"], "code": "range"}
    ]
    body = await gql(
        THRESHOLDS,
        {"input": {"modelId": model_id, "psi": 0.5, "minRows": 10}},
        token=published["token"],
    )
    assert body["data"]["setDriftThresholds"]["thresholds"] == {
        "psi": 0.5,
        "ksPValue": 0.01,
        "chiSquarePValue": 0.01,
        "minRows": 10,
    }

    # Then Bob reads the profile and the report, with them, once there is one; Carol sees none
    body = await gql(REPORT, {"model": "ada/m"}, token=bob["accessToken"])
    assert body["data"]["driftReport"] is None and "errors" not in body
    version = published["version"]["id"]
    body = await gql(PROFILE, {"version": version}, token=bob["accessToken"])
    assert body["data"]["driftProfile"] is None and "errors" not in body
    await reference_upload(multipart, published, to_csv(frame(1, 100)))
    body = await gql(PROFILE, {"version": version}, token=bob["accessToken"])
    assert body["data"]["driftProfile"] == {"source": "UPLOAD", "rows": 100, "driftedSince": None}
    await predict_all(gql, app, published["token"], frame(2, 20))
    body = await gql(REPORT, {"model": "ada/m"}, token=bob["accessToken"])
    report = body["data"]["driftReport"]
    assert report["rows"] == 20 and report["enoughData"] is True
    assert report["thresholds"]["psi"] == 0.5
    carol = await signup("carol@example.com")
    body = await gql(REPORT, {"model": "ada/m"}, token=carol["accessToken"])
    assert body["data"]["driftReport"] is None
    body = await gql(REPORT, {"model": model_id}, token=carol["accessToken"])
    assert body["data"]["driftReport"] is None
    body = await gql(PROFILE, {"version": version}, token=carol["accessToken"])
    assert body["data"]["driftProfile"] is None


MODEL_EVENTS = """subscription($model: String!) { modelEvents(model: $model) {
  kind modelId versionNumber driftedFeatures } }"""


async def test_drift_reaches_model_event_subscribers(
    gql, app, published, multipart, signup, live_server
):
    # Given Bob, a viewer, watching the model's events over a websocket
    bob = await signup("bob@example.com")
    await gql(
        SHARE,
        {"model": published["model"]["id"], "user": "bob", "level": "VIEWER"},
        token=published["token"],
    )
    await reference_upload(multipart, published, to_csv(frame(1, 400)))
    ws = await subscribe(live_server, bob["accessToken"], MODEL_EVENTS, "ada/m")
    try:
        # When shifted inputs arrive and the scheduled check runs
        await predict_all(gql, app, published["token"], frame(3, 300, shift=10.0))
        (event,) = await app.state.services.drift.check_all()

        # Then Bob sees DRIFT_DETECTED, naming what drifted
        message = (await receive(ws, timeout=30))["payload"]["data"]["modelEvents"]
        assert message == {
            "kind": "DRIFT_DETECTED",
            "modelId": published["model"]["id"],
            "versionNumber": 1,
            "driftedFeatures": list(event.features),
        }
        assert "age" in message["driftedFeatures"]
    finally:
        await ws.close()


async def test_api_keys_need_read_for_reports_and_publish_for_profiles(
    gql, client, published, multipart
):
    async def key(*scopes: str) -> str:
        body = await gql(
            CREATE_KEY, {"name": "ci", "scopes": list(scopes)}, token=published["token"]
        )
        return body["data"]["createApiKey"]["secret"]

    reader, predictor = await key("READ"), await key("PREDICT")
    await reference_upload(multipart, published, to_csv(frame(1, 100)))

    # A READ key reads the report; a PREDICT-only key is refused before anything runs
    body = await gql(REPORT, {"model": "ada/m"}, headers={"X-API-Key": reader})
    assert body["data"]["driftReport"]["versionNumber"] == 1
    body = await gql(REPORT, {"model": "ada/m"}, headers={"X-API-Key": predictor})
    assert body["_status"] == 403
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]

    # And neither may make a profile or set thresholds (PUBLISH)
    model_id = published["model"]["id"]
    for secret in (reader, predictor):
        body = await gql(
            THRESHOLDS, {"input": {"modelId": model_id, "psi": 0.3}}, headers={"X-API-Key": secret}
        )
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        body = await gql(
            FROM_LOG, {"version": published["version"]["id"]}, headers={"X-API-Key": secret}
        )
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await tables.DriftThresholds.all().count() == 0


def replica(settings, **overrides: Any) -> Any:
    """Another server process's app on the same database (and Redis, in that run)."""
    app = create_app(
        make_settings(
            settings.data_dir,
            settings.database_url,
            artifact_store_url=settings.artifact_store_url,
            **overrides,
        )
    )
    app.state.services.start()
    return app


async def test_a_reference_over_the_cap_is_refused_and_leaves_nothing(settings, published):
    # Given a server whose reference cap is 4 KiB
    small = replica(settings, drift_reference_max_bytes=4096)
    spool = settings.data_dir / "spool"
    before = sorted(spool.iterdir()) if spool.exists() else []
    try:
        transport = httpx.ASGITransport(app=small, client=("127.0.0.2", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://small") as http:
            variables = {"input": {"versionId": published["version"]["id"], "file": None}}
            response = await http.post(
                "/graphql",
                data={
                    "operations": json.dumps({"query": UPLOAD_REFERENCE, "variables": variables}),
                    "map": json.dumps({"0": ["variables.input.file"]}),
                },
                files={"0": ("big.csv", to_csv(frame(1, 400)), "text/csv")},
                headers={
                    "Authorization": f"Bearer {published['token']}",
                    "X-ModelServe-CSRF": "1",
                },
            )
        result = response.json()["data"]["uploadDriftReference"]
    finally:
        await small.state.services.close()

    # Then the answer names the cap, and no profile or spool file is left
    assert result == {
        "__typename": "PayloadTooLargeError",
        "message": "Payload exceeds the limit of 4096 bytes.",
    }
    assert await tables.DriftProfile.all().count() == 0
    assert (sorted(spool.iterdir()) if spool.exists() else []) == before


# Replicas share events through Redis; the embedded default has one process.
if TEST_REDIS_URL:

    async def test_a_drift_event_reaches_another_replicas_handlers(
        gql, app, settings, published, multipart
    ):
        # Given replica B listening for drift events
        other = replica(settings)
        seen: list[DriftEvent] = []
        other.state.services.emitter.on(DriftEvent, seen.append)
        try:
            await asyncio.wait_for(other.state.services.emitter.ready.wait(), 10)
            await reference_upload(multipart, published, to_csv(frame(1, 400)))
            await predict_all(gql, app, published["token"], frame(3, 300, shift=10.0))

            # When replica A's check finds drift
            (event,) = await app.state.services.drift.check_all()

            # Then B's handlers get the same event
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.1)
            assert seen == [event]
        finally:
            await other.state.services.close()


async def test_a_new_episode_after_a_calm_window_emits_again(
    gql, app, settings, published, multipart
):
    # Given a version that drifted: one event
    drift = app.state.services.drift
    await reference_upload(multipart, published, to_csv(frame(1, 400)))
    await predict_all(gql, app, published["token"], frame(3, 300, shift=15.0))
    assert len(await drift.check_all()) == 1
    assert await drift.check_all() == []

    # When a window of calm traffic alone (the one logged call after the shift) is checked
    await predict_all(gql, app, published["token"], frame(2, 300))
    calm = await tables.PredictionLog.all().order_by("-created_at").first()
    assert calm is not None and calm.n_rows == 300
    narrow = replica(settings, drift_check_window_s=1e-6)
    try:
        assert await narrow.state.services.drift.check_all(now=calm.created_at + EPSILON) == []
    finally:
        await narrow.state.services.close()

    # Then the episode is over, and drift seen again opens a new one
    profile = await tables.DriftProfile.get(version_id=published["version"]["id"])
    assert profile.drifted_since is None
    (again,) = await drift.check_all()
    assert again.rows == 600 and "age" in again.features


async def test_drift_detected_reaches_the_models_webhook_signed(
    gql, app, published, multipart, monkeypatch
):
    # Given Ada's endpoint for drift.detected on her profiled model, and a local receiver
    services = app.state.services
    monkeypatch.setattr(services.settings, "webhook_allow_loopback", True)
    receiver = Receiver()
    await receiver.start()
    try:
        token = published["token"]
        created = await register(
            gql, token, receiver.url(), ["DRIFT_DETECTED"], modelId=published["model"]["id"]
        )
        assert created["__typename"] == "WebhookSecretSuccess", created
        await reference_upload(multipart, published, to_csv(frame(1, 400)))

        # When shifted inputs arrive and the scheduled check runs twice
        await predict_all(gql, app, token, frame(3, 600, shift=10.0, cities=[0.1, 0.2, 0.7]))
        assert len(await services.drift.check_all()) == 1
        assert await services.drift.check_all() == []
        await eventually(services.webhooks, lambda: receiver.received, then_drains=3)

        # Then one signed drift.detected delivery names the version and what drifted
        assert len(receiver.received) == 1
        payload = verify(created["secret"], receiver.received[0])
        assert payload["type"] == "drift.detected"
        assert payload["data"]["model"] == {"id": published["model"]["id"], "fullName": "ada/m"}
        assert payload["data"]["versionId"] == published["version"]["id"]
        assert payload["data"]["rows"] == 600
        assert {"age", "city"} <= set(payload["data"]["features"])
    finally:
        await receiver.stop()
