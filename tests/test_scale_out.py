"""Scale-out on one machine: two ``serve`` processes (A and B) and one ``worker`` process share a
database, a Redis and an artifact store, and behave as one deployment.

On the PostgreSQL run the database is a fresh PostgreSQL database and the store a prefix of its
own in the S3-compatible test bucket; on the embedded run, one SQLite file and one artifacts
folder. Either way the Redis is a private one started here (tests/test_faults.py), and the API
processes run no background work: everything queued is the worker's.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import io
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests import factories
from tests.clients.node import require_node_modules, run_script
from tests.conftest import free_port
from tests.graph.conftest import post_multipart
from tests.graph.test_api_keys import CREATE_KEY, REVOKE
from tests.graph.test_jobs import CREATE_JOB, JOB, download, matrix_csv
from tests.test_backup import own_store
from tests.test_faults import _create_model, _sign_up, _upload, serving
from tests.test_shutdown import _post
from tests.test_worker import Deployment, deployment

pytestmark = [pytest.mark.fault, pytest.mark.timeout(300)]

# Prediction units a key may spend a minute; a prediction of ROWS rows costs 1 + ROWS // 100.
BUDGET = 120
ROWS = 999
COST = 1 + ROWS // 100

PREDICT = """query($model: String!, $rows: FeatureMatrix!) { predict(model: $model, rows: $rows) {
  requestId predictions { value } version { number } } }"""
SET_ALIAS = """mutation($model: ID!, $version: ID!) {
  setAlias(input: {modelId: $model, alias: "production", versionId: $version}) { __typename } }"""
ROW = [[0.1, 0.2, 0.3, 0.4]]


@dataclasses.dataclass
class ScaledOut:
    deploy: Deployment
    a: httpx.AsyncClient
    b: httpx.AsyncClient
    worker_metrics: str
    headers: dict[str, str]
    model_id: str
    versions: list[dict[str, Any]]

    @property
    def token(self) -> str:
        return self.headers["Authorization"].removeprefix("Bearer ")


def _address(http: httpx.AsyncClient) -> str:
    return f"{http.base_url.host}:{http.base_url.port}"


async def _gql(http: httpx.AsyncClient, query: str, variables: dict, headers: dict) -> dict:
    return (await _post(http, query, variables, headers=headers)).json()


@pytest.fixture(scope="module")
async def scaled(
    tmp_path_factory: pytest.TempPathFactory, artifact_store_url: str | None
) -> AsyncIterator[ScaledOut]:
    tmp_path: Path = tmp_path_factory.mktemp("scale-out")
    async with deployment(tmp_path) as (deploy, _redis), contextlib.AsyncExitStack() as stack:
        deploy.env |= {
            # Everything shared goes through the one private Redis, the queue's.
            "MODELSERVE_REDIS_URL": deploy.env["MODELSERVE_QUEUE_URL"],
            "MODELSERVE_WORKER_IN_PROCESS": "false",
            "MODELSERVE_TEST_TICK_S": "1",
            "MODELSERVE_PREDICTION_UNITS_PER_MINUTE": str(BUDGET),
            # A late reply on a busy machine must not open the circuit: the limit is shared.
            "MODELSERVE_REDIS_DEADLINE_S": "5",
        }
        if artifact_store_url:
            deploy.env["MODELSERVE_ARTIFACT_STORE_URL"] = own_store(artifact_store_url, "scale")
        # A first: on SQLite it migrates the shared file before anyone else opens it.
        _server_a, a = await stack.enter_async_context(serving(deploy.env, tmp_path / "a.log"))
        _server_b, b = await stack.enter_async_context(serving(deploy.env, tmp_path / "b.log"))
        metrics_port = free_port()
        worker = deploy.start_worker("--metrics-port", str(metrics_port))
        await deploy.ready(worker)

        headers = await _sign_up(a)
        model_id = await _create_model(a, headers)
        versions = []
        for seed in (0, 1):
            data = factories.skops_bytes(factories.logistic_regression(seed))
            uploaded = (await _upload(a, headers, model_id, data)).json()
            result = uploaded["data"]["uploadModelVersion"]
            assert result["__typename"] == "UploadModelVersionSuccess", uploaded
            versions.append(result["version"])
        yield ScaledOut(
            deploy, a, b, f"http://127.0.0.1:{metrics_port}/metrics", headers, model_id, versions
        )


async def test_a_model_uploaded_on_a_is_predicted_on_b(scaled):
    answer = await _gql(scaled.b, PREDICT, {"model": "ada/iris:1", "rows": ROW}, scaled.headers)

    assert "errors" not in answer, f"B could not predict the model uploaded on A: {answer}"
    expected = factories.logistic_regression(0).predict(np.array(ROW)).tolist()
    assert [p["value"] for p in answer["data"]["predict"]["predictions"]] == expected, (
        f"B's prediction differs from the uploaded model's: {answer}"
    )


async def test_a_subscriber_on_a_sees_a_prediction_made_on_b(scaled):
    require_node_modules("graphql-ws", "ws")
    config = {
        "ws": f"ws://{_address(scaled.a)}/graphql",
        "http": f"http://{_address(scaled.b)}/graphql",
        "token": scaled.token,
        "model": "ada/iris",
        "modelId": scaled.model_id,
        "versionId": scaled.versions[0]["id"],
    }
    seen = await run_script("graphql_ws.mjs", "streams", json.dumps(config))

    made_on_b = {p["requestId"] for p in seen["made"]}
    event = seen["prediction"]["data"]["predictions"]
    assert event["requestId"] in made_on_b, (
        f"the subscriber on A saw {event}, not one of B's predictions {sorted(made_on_b)}"
    )
    assert seen["modelEvent"]["data"]["modelEvents"]["kind"], seen


async def _production_on_b(scaled: ScaledOut) -> int:
    answer = await _gql(
        scaled.b, PREDICT, {"model": "ada/iris@production", "rows": ROW}, scaled.headers
    )
    assert "errors" not in answer, answer
    return answer["data"]["predict"]["version"]["number"]


async def _move_production_on_a(scaled: ScaledOut, version: dict[str, Any]) -> None:
    variables = {"model": scaled.model_id, "version": version["id"]}
    moved = await _gql(scaled.a, SET_ALIAS, variables, scaled.headers)
    assert moved["data"]["setAlias"]["__typename"] == "SetAliasSuccess", moved


async def _until_production_on_b(scaled: ScaledOut, number: int, bound_s: float) -> float:
    started = time.monotonic()
    while (seen := await _production_on_b(scaled)) != number:
        waited = time.monotonic() - started
        assert waited < bound_s, f"B still serves version {seen} at production after {waited:.1f} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_an_alias_moved_on_a_takes_effect_on_b(scaled):
    first, second = scaled.versions
    await _move_production_on_a(scaled, first)
    await _until_production_on_b(scaled, first["number"], 30)  # B has it cached now

    await _move_production_on_a(scaled, second)
    delay = await _until_production_on_b(scaled, second["number"], 10)

    print(f"\nalias moved on A served by B after {delay * 1000:.0f} ms")
    assert delay < 10, f"the alias took {delay:.1f} s to reach B"


async def _new_key(scaled: ScaledOut, name: str) -> dict[str, Any]:
    variables = {"name": name, "scopes": ["PREDICT"]}
    created = (await _gql(scaled.a, CREATE_KEY, variables, scaled.headers))["data"]["createApiKey"]
    assert created["__typename"] == "CreateApiKeySuccess", created
    return created


async def _predict_with_key(http: httpx.AsyncClient, secret: str, rows: list) -> httpx.Response:
    variables = {"model": "ada/iris:1", "rows": rows}
    return await _post(http, PREDICT, variables, headers={"X-API-Key": secret})


def _codes(response: httpx.Response) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in response.json().get("errors", [])]


async def test_a_key_revoked_on_a_is_refused_on_b_at_once(scaled):
    key = await _new_key(scaled, "revoked")
    before = await _predict_with_key(scaled.b, key["secret"], ROW)
    assert _codes(before) == [], f"B refused a live key: {before.text}"

    revoked = await _gql(scaled.a, REVOKE, {"id": key["key"]["id"]}, scaled.headers)
    assert revoked["data"]["revokeApiKey"]["__typename"] == "RevokeApiKeySuccess", revoked
    after = await _predict_with_key(scaled.b, key["secret"], ROW)

    assert _codes(after) == ["UNAUTHENTICATED"], (
        f"B's next request with the key revoked on A was not refused: {after.status_code} "
        f"{after.text}"
    )


async def test_a_keys_rate_limit_is_shared_by_both_api_processes(scaled):
    key = await _new_key(scaled, "budget")
    rows = np.random.default_rng(2).normal(size=(ROWS, 4)).round(3).tolist()
    allowed = BUDGET // COST
    outcomes = []
    for i in range(allowed + 8):
        response = await _predict_with_key((scaled.a, scaled.b)[i % 2], key["secret"], rows)
        outcomes.append(_codes(response))

    refused = sum(codes == ["RATE_LIMITED"] for codes in outcomes)
    answered = sum(codes == [] for codes in outcomes)
    assert answered == allowed, (
        f"{answered} predictions answered across A and B, the shared budget allows {allowed}: "
        f"{outcomes}"
    )
    assert refused == 8, f"{refused} of the 8 past the shared budget refused: {outcomes}"


async def test_a_batch_job_submitted_on_b_is_run_by_the_worker(scaled):
    X = np.random.default_rng(3).normal(size=(50, 4)).round(4)
    variables = {"input": {"model": "ada/iris:1", "file": None}}
    body = await post_multipart(
        scaled.b, CREATE_JOB, variables, ("rows.csv", matrix_csv(X), "text/csv"), scaled.headers
    )
    result = body["data"]["createBatchJob"]
    assert result["__typename"] == "JobSuccess", f"B refused the job: {body}"
    job_id = result["job"]["id"]

    for _ in range(600):
        job = (await _gql(scaled.b, JOB, {"id": job_id}, scaled.headers))["data"]["job"]
        if job["status"] in {"SUCCEEDED", "FAILED", "CANCELLED"}:
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "SUCCEEDED", f"the job did not succeed: {job}"
    assert (job["rowsDone"], job["rowsFailed"]) == (50, 0), job
    table = list(csv.reader(io.StringIO((await download(scaled.b, job_id, scaled.token)).text)))
    expected = factories.logistic_regression(0).predict(X).tolist()
    assert [int(row[5]) for row in table[1:]] == expected, "the job's results are not the model's"

    async with httpx.AsyncClient(timeout=10) as http:
        scraped = (await http.get(scaled.worker_metrics)).text
    assert 'modelserve_background_tasks_total{outcome="ok",task="jobs.run"} 1.0' in scraped, (
        "the worker process did not run the job"
    )
    for name, api in (("A", scaled.a), ("B", scaled.b)):
        queue = (await api.get("/readyz")).json()["queue"]
        assert queue["worker_in_process"] is False, f"{name} runs background work itself: {queue}"


async def test_a_scheduled_task_runs_once_per_interval(scaled):
    deploy = scaled.deploy
    marks = await deploy.until(
        lambda m: len({t[1] for t in m if t[0] == "tick"}) >= 5, "five slots ticked"
    )

    slots = [tick[1] for tick in marks if tick[0] == "tick"]
    assert len(slots) == len(set(slots)), f"a slot ran more than once: {slots}"
    runners = {int(tick[2]) for tick in marks if tick[0] == "tick"}
    assert runners == {deploy.workers[0].pid}, f"ticks ran in {runners}, not only the worker"
