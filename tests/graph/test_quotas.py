"""Rate limits and quotas through the GraphQL API: over HTTP, in one document, over a websocket."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from domain.inference.batching import MicroBatcher
from storage import tables
from tests import factories
from tests.graph.queries import CREATE_MODEL, SHARE
from tests.graph.test_accounts import codes, make_admin
from tests.graph.test_inference import PREDICT, PREDICT_BATCH
from tests.graph.test_websocket import authenticated, receive, send

USAGE = """
{ usage {
    predictions { limit used remaining resetsInSeconds windowSeconds }
    uploads { limit used remaining resetsInSeconds windowSeconds }
    predictionRowsPerUnit
} }"""

SET_USER_LIMITS = """
mutation Limits($user: ID!, $predictions: Int, $uploads: Int) {
  setUserLimits(input: {userId: $user, predictionUnitsPerMinute: $predictions,
                        uploadsPerHour: $uploads}) {
    __typename
    ... on SetUserLimitsSuccess { limits { userId predictionUnitsPerMinute uploadsPerHour
                                           effectivePredictionUnitsPerMinute } }
    ... on ValidationError { fields { path code } }
    ... on NotFoundError { message }
  }
}"""

SET_MODEL_QUOTA = """
mutation Quota($model: ID!, $perMinute: Int, $perDay: Int) {
  setModelQuota(input: {modelId: $model, perMinute: $perMinute, perDay: $perDay}) {
    __typename
    ... on SetModelQuotaSuccess { model { quota { perMinute perDay } } }
    ... on ValidationError { fields { path code } }
    ... on NotFoundError { message }
    ... on ForbiddenError { message }
  }
}"""

MODEL_QUOTA = """
query Model($id: ID!) {
  model(id: $id) { quota { perMinute perDay minute { limit used remaining } day { limit used } } }
}"""

ROW = [[0.1, 0.2, 0.3, 0.4]]


@pytest.fixture
async def served(gql, signup, upload) -> dict[str, Any]:
    """Ada's model `ada/iris` with one ready version, and an administrator."""
    ada = await signup("ada@example.com")
    created = await gql(CREATE_MODEL, {"name": "iris"}, token=ada["accessToken"])
    model = created["data"]["createModel"]["model"]
    body = await upload(
        ada["accessToken"], model["id"], factories.skops_bytes(factories.logistic_regression())
    )
    assert body["data"]["uploadModelVersion"]["__typename"] == "UploadModelVersionSuccess", body
    return {"ada": ada, "model": model, "token": ada["accessToken"]}


@pytest.fixture
async def admin(app, gql) -> dict[str, Any]:
    return await make_admin(app, gql)


@pytest.fixture
def model_runs(monkeypatch) -> list[int]:
    """Rows of every prediction request that reached its model's micro-batcher."""
    runs: list[int] = []
    submit = MicroBatcher.submit

    async def counting(self: MicroBatcher, rows: Any) -> Any:
        runs.append(len(rows))
        return await submit(self, rows)

    monkeypatch.setattr(MicroBatcher, "submit", counting)
    return runs


async def limit_user(gql, admin, user: dict[str, Any], **limits: int) -> None:
    body = await gql(
        SET_USER_LIMITS, {"user": user["user"]["id"], **limits}, token=admin["accessToken"]
    )
    assert body["data"]["setUserLimits"]["__typename"] == "SetUserLimitsSuccess", body


async def test_prediction_over_the_limit_is_429_with_retry_after_and_consistent_figures(
    gql, served, admin, model_runs
):
    # Given Ada's limit lowered to 3 units a minute
    await limit_user(gql, admin, served["ada"], predictions=3)
    token = served["token"]
    # When she predicts 4 rows one at a time
    accepted = [await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=token) for _ in "abc"]
    refused = await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=token)
    # Then the first 3 answer and the 4th is a 429 whose headers and extensions agree
    assert [body["_status"] for body in accepted] == [200, 200, 200]
    assert refused["_status"] == 429
    assert refused["data"] is None
    assert codes(refused) == ["RATE_LIMITED"]
    extensions = refused["errors"][0]["extensions"]
    retry_after = refused["_headers"]["retry-after"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
    assert extensions["retryAfter"] == int(retry_after)
    assert extensions["rateLimit"] == {"limit": 3, "remaining": 0, "limitedBy": "predictions"}
    assert refused["_headers"]["ratelimit-limit"] == "3"
    assert refused["_headers"]["ratelimit-remaining"] == "0"
    assert refused["_headers"]["ratelimit-reset"] == retry_after
    # And the refused request never reached the model; usage says the same as the error
    assert model_runs == [1, 1, 1]
    usage = (await gql(USAGE, token=token))["data"]["usage"]
    assert usage["predictions"]["limit"] == 3
    assert usage["predictions"]["used"] == 3
    assert usage["predictions"]["remaining"] == 0
    assert 1 <= usage["predictions"]["resetsInSeconds"] <= 60
    assert usage["predictions"]["windowSeconds"] == 60
    assert usage["predictionRowsPerUnit"] == 100


async def test_a_caller_reads_their_own_usage_at_the_defaults(gql, served, app):
    # Given Ada's one prediction of 250 rows (1 + 250 // 100 = 3 units)
    rows = [[0.1, 0.2, 0.3, 0.4]] * 250
    body = await gql(PREDICT_BATCH, {"model": "ada/iris", "rows": rows}, token=served["token"])
    assert body["data"]["predictBatch"]["rows"] == 250
    # When she reads her usage
    usage = (await gql(USAGE, token=served["token"]))["data"]["usage"]
    # Then it shows the defaults from settings, the 3 units and her one upload
    settings = app.state.settings
    assert usage["predictions"]["limit"] == settings.prediction_units_per_minute
    assert usage["predictions"]["used"] == 3
    assert usage["predictions"]["remaining"] == settings.prediction_units_per_minute - 3
    assert usage["uploads"] == {
        "limit": settings.uploads_per_hour,
        "used": 1,
        "remaining": settings.uploads_per_hour - 1,
        "resetsInSeconds": usage["uploads"]["resetsInSeconds"],
        "windowSeconds": 3600,
    }
    assert 1 <= usage["uploads"]["resetsInSeconds"] <= 3600


async def test_rows_weigh_more_than_requests(gql, served, admin, model_runs):
    # Given a limit of 20 units and a 1,000-row batch (1 + 1000 // 100 = 11 units)
    await limit_user(gql, admin, served["ada"], predictions=20)
    token = served["token"]
    rows = [[0.1, 0.2, 0.3, 0.4]] * 1000
    # When Ada sends the batch twice, then one row
    first = await gql(PREDICT_BATCH, {"model": "ada/iris", "rows": rows}, token=token)
    second = await gql(PREDICT_BATCH, {"model": "ada/iris", "rows": rows}, token=token)
    one = await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=token)
    # Then the second batch finds 9 units left and is refused, while one row still fits
    assert first["data"]["predictBatch"]["rows"] == 1000
    assert codes(second) == ["RATE_LIMITED"]
    assert second["errors"][0]["extensions"]["rateLimit"]["remaining"] == 9
    assert one["_status"] == 200
    assert model_runs == [1000, 1]
    usage = (await gql(USAGE, token=token))["data"]["usage"]["predictions"]
    assert (usage["used"], usage["remaining"]) == (12, 8)


async def test_aliases_beyond_the_limit_in_one_document_each_get_rate_limited(
    gql, served, admin, model_runs
):
    # Given a limit of 3 units
    await limit_user(gql, admin, served["ada"], predictions=3)
    token = served["token"]
    # When one document asks for 5 one-row predictions under aliases (one through a fragment)
    fields = " ".join(
        f'p{i}: predict(model: "ada/iris", rows: [[0.1, 0.2, 0.3, 0.4]]) {{ runtime }}'
        for i in range(4)
    )
    query = (
        f"query($rows: FeatureMatrix) {{ {fields} ...More }} fragment More on Query "
        '{ p4: predict(model: "ada/iris", rows: $rows) { runtime } }'
    )
    body = await gql(query, {"rows": ROW}, token=token)
    # Then the two beyond the limit each get RATE_LIMITED, none runs and nothing is spent
    assert (body["_status"], body["data"]) == (429, None)
    assert codes(body) == ["RATE_LIMITED", "RATE_LIMITED"]
    assert [error["path"] for error in body["errors"]] == [["p3"], ["p4"]]
    assert body["errors"][0]["extensions"]["rateLimit"] == {
        "limit": 3,
        "remaining": 3,
        "limitedBy": "predictions",
    }
    assert model_runs == []
    usage = (await gql(USAGE, token=token))["data"]["usage"]["predictions"]
    assert usage["used"] == 0
    # And a document within the limit runs every field
    fitting = " ".join(
        f'p{i}: predict(model: "ada/iris", rows: [[0.1, 0.2, 0.3, 0.4]]) {{ runtime }}'
        for i in range(3)
    )
    answered = await gql(f"{{ {fitting} }}", token=token)
    assert "errors" not in answered
    assert sorted(answered["data"]) == ["p0", "p1", "p2"]
    assert model_runs == [1, 1, 1]


async def test_aliases_beyond_a_models_quota_in_one_document_run_none(gql, served, model_runs):
    # Given a model quota of 3 units a minute
    model_id = served["model"]["id"]
    await gql(SET_MODEL_QUOTA, {"model": model_id, "perMinute": 3}, token=served["token"])
    # When one document asks for 5 one-row predictions of it under aliases
    fields = " ".join(
        f'p{i}: predict(model: "ada/iris", rows: [[0.1, 0.2, 0.3, 0.4]]) {{ runtime }}'
        for i in range(5)
    )
    body = await gql(f"{{ {fields} }}", token=served["token"])
    # Then the two beyond the quota each get RATE_LIMITED, none runs, the quota is unspent
    assert (body["_status"], body["data"]) == (429, None)
    assert [e["path"] for e in body["errors"]] == [["p3"], ["p4"]]
    assert body["errors"][0]["extensions"]["rateLimit"]["limitedBy"] == "model_per_minute"
    assert model_runs == []
    quota = (await gql(MODEL_QUOTA, {"id": model_id}, token=served["token"]))["data"]
    assert quota["model"]["quota"]["minute"]["used"] == 0


async def test_fifty_concurrent_predictions_on_a_limit_of_ten_accept_exactly_ten(
    gql, served, admin, model_runs
):
    # Given a limit of 10 units
    await limit_user(gql, admin, served["ada"], predictions=10)
    # When 50 predictions arrive at once
    variables = {"model": "ada/iris", "rows": ROW}
    bodies = await asyncio.gather(
        *(gql(PREDICT, variables, token=served["token"]) for _ in range(50))
    )
    # Then exactly 10 are answered and 40 refused, and the model ran 10 times
    statuses = [body["_status"] for body in bodies]
    assert (statuses.count(200), statuses.count(429)) == (10, 40)
    assert len(model_runs) == 10


async def test_one_users_exhausted_limit_leaves_another_user_alone(gql, served, admin, signup):
    # Given Ada's model shared with Bob, and Ada's limit spent
    bob = await signup("bob@example.com")
    await gql(
        SHARE, {"model": served["model"]["id"], "user": "bob", "level": "PREDICTOR"},
        token=served["token"],
    )  # fmt: skip
    await limit_user(gql, admin, served["ada"], predictions=1)
    await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=served["token"])
    refused = await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=served["token"])
    # When Bob predicts with the same model
    answered = await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=bob["accessToken"])
    # Then Ada is refused and Bob is not
    assert codes(refused) == ["RATE_LIMITED"]
    assert answered["_status"] == 200
    assert "errors" not in answered


async def test_a_models_quota_is_shared_by_its_callers_and_set_by_its_maintainers(
    gql, served, signup, model_runs
):
    bob = await signup("bob@example.com")
    carol = await signup("carol@example.com")
    model_id = served["model"]["id"]
    share = {"model": model_id, "user": "bob", "level": "PREDICTOR"}
    await gql(SHARE, share, token=served["token"])
    # Given Ada's quota of 2 units a minute on her model
    body = await gql(SET_MODEL_QUOTA, {"model": model_id, "perMinute": 2}, token=served["token"])
    assert body["data"]["setModelQuota"] == {
        "__typename": "SetModelQuotaSuccess",
        "model": {"quota": {"perMinute": 2, "perDay": None}},
    }
    # When Ada and Bob predict once each, then Bob again
    await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=served["token"])
    await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=bob["accessToken"])
    refused = await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=bob["accessToken"])
    # Then the third is refused by the model's quota, and the model ran twice
    assert codes(refused) == ["RATE_LIMITED"]
    assert refused["errors"][0]["extensions"]["rateLimit"] == {
        "limit": 2,
        "remaining": 0,
        "limitedBy": "model_per_minute",
    }
    assert model_runs == [1, 1]
    quota = (await gql(MODEL_QUOTA, {"id": model_id}, token=served["token"]))["data"]
    assert quota["model"]["quota"] == {
        "perMinute": 2,
        "perDay": None,
        "minute": {"limit": 2, "used": 2, "remaining": 0},
        "day": None,
    }
    # And a predictor may not change the quota, a stranger may not even see the model
    forbidden = await gql(SET_MODEL_QUOTA, {"model": model_id}, token=bob["accessToken"])
    hidden = await gql(SET_MODEL_QUOTA, {"model": model_id}, token=carol["accessToken"])
    assert forbidden["data"]["setModelQuota"]["__typename"] == "ForbiddenError"
    assert hidden["data"]["setModelQuota"] == {
        "__typename": "NotFoundError",
        "message": "Model not found.",
    }
    assert await tables.ModelQuota.filter(model_id=model_id).count() == 1
    # And clearing it (both bounds null) lets predictions through again
    cleared = await gql(SET_MODEL_QUOTA, {"model": model_id}, token=served["token"])
    assert cleared["data"]["setModelQuota"]["model"] == {"quota": None}
    again = await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=bob["accessToken"])
    assert again["_status"] == 200


async def test_changing_a_quota_keeps_what_was_spent(gql, served, model_runs):
    model_id = served["model"]["id"]
    await gql(SET_MODEL_QUOTA, {"model": model_id, "perDay": 5}, token=served["token"])
    for _ in range(2):
        await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=served["token"])
    # When the quota is lowered to 2 a day
    await gql(SET_MODEL_QUOTA, {"model": model_id, "perDay": 2}, token=served["token"])
    refused = await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=served["token"])
    # Then the 2 already spent count against it
    assert codes(refused) == ["RATE_LIMITED"]
    assert refused["errors"][0]["extensions"]["rateLimit"]["limitedBy"] == "model_per_day"
    assert model_runs == [1, 1]


async def test_quota_bounds_are_validated(gql, served):
    body = await gql(
        SET_MODEL_QUOTA,
        {"model": served["model"]["id"], "perMinute": 0, "perDay": 2_000_000},
        token=served["token"],
    )
    assert body["data"]["setModelQuota"] == {
        "__typename": "ValidationError",
        "fields": [
            {"path": ["input", "perMinute"], "code": "out_of_range"},
            {"path": ["input", "perDay"], "code": "out_of_range"},
        ],
    }
    assert await tables.ModelQuota.all().count() == 0


async def test_only_administrators_override_user_limits(gql, served, admin, signup):
    bob = await signup("bob@example.com")
    # When Bob tries to raise his own limits, and to read Ada's
    raised = await gql(
        SET_USER_LIMITS, {"user": bob["user"]["id"], "predictions": 100_000},
        token=bob["accessToken"],
    )  # fmt: skip
    read = await gql(
        "query($id: ID!) { userLimits(userId: $id) { uploadsPerHour } }",
        {"id": served["ada"]["user"]["id"]},
        token=bob["accessToken"],
    )
    # Then both are FORBIDDEN and nothing is stored
    assert (raised["_status"], codes(raised)) == (403, ["FORBIDDEN"])
    assert codes(read) == ["FORBIDDEN"]
    assert await tables.UserLimits.all().count() == 0
    # And an administrator may set, read and clear them, and any model's quota
    await limit_user(gql, admin, bob, uploads=2)
    limits = await gql(
        "query($id: ID!) { userLimits(userId: $id) { uploadsPerHour predictionUnitsPerMinute "
        "effectivePredictionUnitsPerMinute } }",
        {"id": bob["user"]["id"]},
        token=admin["accessToken"],
    )
    assert limits["data"]["userLimits"] == {
        "uploadsPerHour": 2,
        "predictionUnitsPerMinute": None,
        "effectivePredictionUnitsPerMinute": 600,
    }
    quota = await gql(
        SET_MODEL_QUOTA, {"model": served["model"]["id"], "perDay": 9}, token=admin["accessToken"]
    )
    assert quota["data"]["setModelQuota"]["model"]["quota"] == {"perMinute": None, "perDay": 9}
    cleared = await gql(SET_USER_LIMITS, {"user": bob["user"]["id"]}, token=admin["accessToken"])
    assert cleared["data"]["setUserLimits"]["limits"]["uploadsPerHour"] is None
    assert await tables.UserLimits.all().count() == 0


async def test_uploads_are_limited_per_caller(gql, served, admin, upload):
    # Given Ada allowed one upload an hour, and already made it (the fixture's)
    await limit_user(gql, admin, served["ada"], uploads=1)
    data = factories.skops_bytes(factories.logistic_regression(seed=1))
    # When she uploads again
    body = await upload(served["token"], served["model"]["id"], data)
    # Then she is refused before intake, and no version is added
    assert (body["_status"], codes(body)) == (429, ["RATE_LIMITED"])
    assert body["errors"][0]["extensions"]["rateLimit"] == {
        "limit": 1,
        "remaining": 0,
        "limitedBy": "uploads",
    }
    assert await tables.ModelVersion.filter(model_id=served["model"]["id"]).count() == 1


async def test_limits_hold_over_a_websocket(live_server, gql, served, admin, model_runs):
    # Given a limit of 2 units, one spent over HTTP
    await limit_user(gql, admin, served["ada"], predictions=2)
    await gql(PREDICT, {"model": "ada/iris", "rows": ROW}, token=served["token"])
    ws = await authenticated(live_server, served["token"])
    try:
        # When two more predictions come over the websocket
        results = []
        for op in ("1", "2"):
            payload = {"query": PREDICT, "variables": {"model": "ada/iris", "rows": ROW}}
            await send(ws, {"id": op, "type": "subscribe", "payload": payload})
            message = await receive(ws)
            while message["type"] == "complete":
                message = await receive(ws)
            results.append(message)
    finally:
        await ws.close()
    # Then the first answers and the second is refused the same way as over HTTP
    assert results[0]["type"] == "next"
    assert results[0]["payload"]["data"]["predict"]["runtime"]
    refused = results[1]["payload"]
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["RATE_LIMITED"]
    assert refused["errors"][0]["extensions"]["rateLimit"]["limit"] == 2
    assert model_runs == [1, 1]


async def test_readyz_reports_the_rate_limiter(client, app, monkeypatch):
    ready = (await client.get("/readyz")).json()
    limiter = app.state.services.limiter
    assert ready["rate_limiter"] == {
        "status": "ok",
        "backend": limiter.backend,
        "fallbacks": limiter.fallbacks,
    }

    async def failing_probe() -> bool:
        # Through monkeypatch, so the session's limiter is healthy again for later tests.
        monkeypatch.setattr(limiter, "degraded", True)
        return False

    monkeypatch.setattr(limiter, "probe", failing_probe)
    degraded = await client.get("/readyz")
    assert degraded.status_code == 200
    assert degraded.json()["status"] == "degraded"
    assert degraded.json()["rate_limiter"]["status"] == "degraded"
