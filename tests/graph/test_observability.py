"""Metrics, structured logs, the request id in responses, Sentry, readiness and `health`."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
import sentry_sdk
from prometheus_client.parser import text_string_to_metric_families
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from graph import metrics
from graph.app import create_app
from graph.logs import JsonFormatter, TextFormatter, logging_config, request_id_var
from graph.observability import init_sentry
from settings import LogFormat
from tests import factories
from tests.background_tasks import read_marks
from tests.conftest import (
    DEFAULT_PASSWORD,
    LOGIN,
    REGISTER,
    TEST_REDIS_URL,
    make_settings,
)
from tests.graph.test_accounts import ME, REFRESH, codes, make_admin
from tests.graph.test_inference import PREDICT

ROOT = Path(__file__).resolve().parents[2]

HEALTH = """
query Health {
  health {
    status
    checks { name ok state }
    modelCache { status bytes maxBytes models }
    pubsub { status backend subscribers }
    predictionLog { status depth dropped }
  }
}"""


@pytest.fixture
async def model(owner, create_model, upload) -> dict[str, Any]:
    """Ada's `ada/iris` with one version (four features)."""
    created = await create_model(owner["accessToken"])
    data = factories.skops_bytes(factories.logistic_regression())
    body = await upload(owner["accessToken"], created["id"], data)
    assert body["data"]["uploadModelVersion"]["__typename"] == "UploadModelVersionSuccess", body
    return created


@pytest.fixture
def json_log(caplog) -> io.StringIO:
    """Every log line at INFO and above, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    caplog.set_level(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


async def scrape(client: httpx.AsyncClient, **headers: str) -> str:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` whose labels include ``labels`` (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return sample.value
    return 0.0


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def access_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in lines(stream) if line["logger"] == "modelserve.access"]


# -- /metrics --------------------------------------------------------------------------------


async def test_metrics_count_predictions_operations_batches_and_cache(
    app, client, gql, owner, model
):
    token = owner["accessToken"]
    services = app.state.services
    before = await scrape(client)

    ok = await gql(PREDICT, {"model": "ada/iris", "rows": [[0.0] * 4, [1.0] * 4]}, token=token)
    bad = await gql(PREDICT, {"model": "ada/iris", "rows": [[0.0]]}, token=token)
    await services.inference.log_writer.drain()
    after = await scrape(client)

    assert "errors" not in ok
    assert codes(bad) == ["BAD_USER_INPUT"]

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    version = {"model": model["id"], "version": "1"}
    assert delta("modelserve_predictions_total", **version, status="ok") == 1
    assert delta("modelserve_predictions_total", **version, status="BAD_USER_INPUT") == 1
    assert delta("modelserve_prediction_duration_seconds_count", model=model["id"]) == 2
    predict = {"operation": "Predict", "type": "query"}
    assert delta("modelserve_graphql_requests_total", **predict, outcome="ok") == 1
    assert delta("modelserve_graphql_requests_total", **predict, outcome="error") == 1
    assert delta("modelserve_graphql_request_duration_seconds_count", **predict) == 1
    assert delta("modelserve_batch_rows_count") == 1
    assert delta("modelserve_batch_rows_sum") == 2
    assert delta("modelserve_batch_requests_sum") == 1
    assert delta("modelserve_model_cache_misses_total") == 1
    assert delta("modelserve_model_cache_loads_total") == 1
    assert delta("modelserve_model_cache_hits_total") == 0  # the refused rows never got that far
    assert delta("modelserve_prediction_log_written_total") == 2
    cache = services.inference.cache
    assert value(after, "modelserve_model_cache_models") == len(cache) == 1
    assert value(after, "modelserve_model_cache_bytes") == cache.bytes > 0
    assert value(after, "modelserve_prediction_log_queue_depth") == 0
    assert value(after, "modelserve_pubsub_subscribers") == services.pubsub.subscriber_count
    assert value(after, "modelserve_rate_limiter_degraded") == 0


async def test_metrics_time_garbage_collections_by_generation(app, client):
    before = await scrape(client)
    gc.collect()
    gc.collect(0)
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("modelserve_gc_pause_seconds_count", generation="2") >= 1
    assert delta("modelserve_gc_pause_seconds_count", generation="0") >= 1
    assert delta("modelserve_gc_pause_seconds_sum", generation="2") > 0


async def test_metrics_count_background_tasks_and_the_queue(app, client, monkeypatch, tmp_path):
    marks = tmp_path / "marks"
    monkeypatch.setenv("MODELSERVE_TEST_MARKS", str(marks))
    before = await scrape(client)

    await app.state.services.queue.enqueue("tests.record", mark="a")
    await app.state.services.queue.enqueue("tests.fail", mark="b")  # two attempts
    for _ in range(300):
        done = read_marks(marks)
        if ["done", "a"] in [m[:2] for m in done] and [m[0] for m in done].count("fail") == 2:
            break
        await asyncio.sleep(0.05)
    for _ in range(200):  # a scheduled webhook drain may be waiting its turn a moment
        after = await scrape(client)
        if value(after, "modelserve_queue_depth", state="waiting") == 0:
            break
        await asyncio.sleep(0.05)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    tasks = "modelserve_background_tasks_total"
    assert delta(tasks, task="tests.record", outcome="ok") == 1
    assert delta(tasks, task="tests.fail", outcome="failed") == 2
    assert value(after, "modelserve_queue_depth", state="waiting") == 0


async def test_metrics_count_dropped_log_records(app, client, gql, owner, model, monkeypatch):
    writer = app.state.services.inference.log_writer
    dropped = "modelserve_prediction_log_dropped_total"
    before = value(await scrape(client), dropped, reason="shutdown")
    monkeypatch.setattr(writer, "_closing", True)  # a closing writer refuses (and counts) records

    body = await gql(
        PREDICT, {"model": "ada/iris", "rows": [[0.0] * 4]}, token=owner["accessToken"]
    )
    after = value(await scrape(client), dropped, reason="shutdown")

    assert "errors" not in body
    assert after - before == 1


def test_operation_names_are_bounded(monkeypatch):
    seen = {f"Op{i}" for i in range(metrics.MAX_OPERATION_NAMES)}
    monkeypatch.setattr(metrics, "_operation_names", seen)

    assert metrics.operation_label("Op7") == "Op7"
    assert metrics.operation_label("OneTooMany") == "other"
    assert metrics.operation_label(None) == "anonymous"
    assert len(seen) == metrics.MAX_OPERATION_NAMES


async def test_metrics_want_the_token_when_one_is_set(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url, metrics_token="scrape-" + "t" * 24)
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        missing = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer scrape-wrong"})
        basic = await http.get("/metrics", headers={"Authorization": "Basic scrape-" + "t" * 24})
        text = await scrape(http, authorization="Bearer scrape-" + "t" * 24)

    assert [r.status_code for r in (missing, wrong, basic)] == [401, 401, 401]
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "modelserve_" not in missing.text + wrong.text + basic.text
    assert value(text, "modelserve_rate_limiter_degraded") == 0


@pytest.mark.parametrize("public", [False, True], ids=["closed", "public"])
async def test_production_metrics_want_a_token_unless_made_public(tmp_path, database_url, public):
    settings = make_settings(
        tmp_path,
        database_url,
        environment="production",
        secret_key="production-secret-" + "k" * 32,
        metrics_public=public,
        production_allow="public-metrics" if public else "",
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/metrics")

    if public:
        assert response.status_code == 200
        assert "modelserve_" in response.text
    else:
        assert response.status_code == 401
        assert "MODELSERVE_METRICS_TOKEN" in response.text
        assert "modelserve_" not in response.text


async def test_metrics_disabled_is_not_found(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url, metrics_enabled=False)
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/metrics")

    assert response.status_code == 404


MULTIPROCESS_SCRIPT = """
import os, sys, uuid
from domain.inference.service import Target
from graph import metrics
from prometheus_client import generate_latest, multiprocess

target = Target(uuid.UUID(int=1), uuid.UUID(int=2), "full", uuid.UUID(int=3), 1, {}, "k",
                "skops", None, False, None, None)

def work(models):
    metrics.observe_prediction(target, "ok", 1, 5.0)
    metrics.CACHE_MODELS.set(models)

work(2)
pid = os.fork()
if pid == 0:  # a second worker that exits: its counts stay, its gauges go
    work(3)
    multiprocess.mark_process_dead(os.getpid())
    os._exit(0)
os.waitpid(pid, 0)
pid = os.fork()
if pid == 0:  # a third worker, still running when scraped
    work(5)
    os._exit(0)
os.waitpid(pid, 0)
sys.stdout.write(generate_latest(metrics.registry()).decode())
"""


def test_workers_are_merged_in_multiprocess_mode(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MULTIPROCESS_SCRIPT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    labels = {"model": "00000000-0000-0000-0000-000000000001", "version": "1", "status": "ok"}
    assert value(done.stdout, "modelserve_predictions_total", **labels) == 3
    # livesum: the workers not marked dead (the first and the third).
    assert value(done.stdout, "modelserve_model_cache_models") == 2 + 5


# -- logs and the request id -----------------------------------------------------------------


async def test_log_lines_are_json_with_the_request_id_and_no_secrets(gql, json_log):
    email, password = "grace@example.com", "a much longer secret passphrase"
    headers = {"X-Request-ID": "obs-register"}
    registered = await gql(REGISTER, {"email": email, "password": password}, headers=headers)
    failed = await gql(
        LOGIN, {"email": email, "password": "wrong " + password}, headers={"X-Request-ID": "bad"}
    )
    login = await gql(LOGIN, {"email": email, "password": password})
    tokens = login["data"]["login"]
    refreshed = await gql(REFRESH, {"token": tokens["refreshToken"]})
    pair = refreshed["data"]["refreshToken"]
    me = await gql(ME, token=pair["accessToken"])
    forged = await gql(ME, token=tokens["accessToken"] + "x", headers={"X-Request-ID": "forged"})

    assert registered["data"]["register"]["__typename"] == "RegisterSuccess"
    assert failed["data"]["login"]["__typename"] == "InvalidCredentialsError"
    assert me["data"]["me"]["email"] == email
    assert codes(forged) == ["UNAUTHENTICATED"]
    text = json_log.getvalue()
    secrets = [
        password,
        tokens["accessToken"],
        tokens["refreshToken"],
        pair["accessToken"],
        pair["refreshToken"],
    ]
    assert [secret for secret in secrets if secret in text] == []
    assert "variables" not in text
    assert all(
        {"timestamp", "level", "logger", "message"} <= line.keys() for line in lines(json_log)
    )
    access = [
        (a["operation"], a["operation_type"], a["outcome"], a["error_codes"], a["request_id"])
        for a in access_lines(json_log)
    ]
    assert access == [
        ("Register", "mutation", "ok", [], "obs-register"),
        ("Login", "mutation", "ok", [], "bad"),
        ("Login", "mutation", "ok", [], login["_headers"]["x-request-id"]),
        ("Refresh", "mutation", "ok", [], refreshed["_headers"]["x-request-id"]),
        (None, "query", "ok", [], me["_headers"]["x-request-id"]),
        (None, "query", "error", ["UNAUTHENTICATED"], "forged"),
    ]
    assert all(a["duration_ms"] >= 0 for a in access_lines(json_log))
    # A line written deep in the domain, without passing the id along, still carries it.
    login_failed = [line for line in lines(json_log) if line["message"] == "login failed"]
    assert [line["request_id"] for line in login_failed] == ["bad"]


async def test_the_request_id_is_in_extensions(gql, client):
    given = await gql("{ __typename }", headers={"X-Request-ID": "obs-ext-1"})
    generated = await gql("{ __typename }")
    broken = await gql("{ nope", headers={"X-Request-ID": "obs-ext-2"})

    assert given["extensions"] == {"requestId": "obs-ext-1"}
    assert generated["extensions"] == {"requestId": generated["_headers"]["x-request-id"]}
    assert codes(broken) == ["BAD_USER_INPUT"]
    assert broken["extensions"] == {"requestId": "obs-ext-2"}


def test_text_format_names_the_request_id():
    config = logging_config(level="info", fmt=LogFormat.TEXT)
    assert config["formatters"]["default"]["()"] == "graph.logs.TextFormatter"
    record = logging.makeLogRecord({"name": "modelserve", "levelname": "INFO", "msg": "hello"})
    token = request_id_var.set("obs-text")
    try:
        line = TextFormatter().format(record)
    finally:
        request_id_var.reset(token)
    assert line.endswith(" INFO modelserve [obs-text] hello")


def test_extras_named_like_secrets_are_redacted():
    record = logging.makeLogRecord(
        {"name": "modelserve", "msg": "x", "password": "hunter2", "refresh_token": "r", "ip": "h"}
    )
    line = json.loads(JsonFormatter().format(record))
    assert (line["password"], line["refresh_token"], line["ip"]) == (
        "[redacted]",
        "[redacted]",
        "h",
    )


# -- Sentry ----------------------------------------------------------------------------------


class CapturingTransport(Transport):
    """Keeps what Sentry would send."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


@pytest.fixture
def sentry(tmp_path, database_url):
    transport = CapturingTransport()
    settings = make_settings(tmp_path, database_url, sentry_dsn="https://key@sentry.test/1")
    assert init_sentry(settings, transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


async def test_sentry_reports_unexpected_errors_with_the_request_id(
    app, gql, signup, monkeypatch, sentry
):
    user = await signup()

    async def broken(**kwargs: Any) -> Any:
        raise RuntimeError("the database melted")

    monkeypatch.setattr(app.state.services.accounts, "login", broken)
    body = await gql(
        LOGIN,
        {"email": "ada@example.com", "password": DEFAULT_PASSWORD},
        token=user["accessToken"],
        headers={"X-Request-ID": "obs-sentry"},
    )

    assert codes(body) == ["INTERNAL"]
    events = [
        item.payload.json for e in sentry.envelopes for item in e.items if item.type == "event"
    ]
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["request_id"] == "obs-sentry"
    assert [(v["type"], v["value"]) for v in event["exception"]["values"]] == [
        ("RuntimeError", "the database melted")
    ]
    sent = b"".join(envelope.serialize() for envelope in sentry.envelopes)
    for secret in (DEFAULT_PASSWORD, user["accessToken"], "variables", "query_string"):
        assert secret.encode() not in sent


def test_sentry_is_off_without_a_dsn(tmp_path, database_url):
    assert init_sentry(make_settings(tmp_path, database_url)) is False
    assert not sentry_sdk.get_client().is_active()


# -- readiness and health --------------------------------------------------------------------


async def test_readyz_reports_the_cache_pubsub_and_log_writer(app, client, gql, owner, model):
    services = app.state.services
    await gql(PREDICT, {"model": "ada/iris", "rows": [[0.0] * 4]}, token=owner["accessToken"])
    await services.inference.log_writer.drain()

    # The app runs its scheduled work (a webhook drain every two seconds): read it idle.
    for _ in range(200):
        response = await client.get("/readyz")
        queue = response.json()["queue"]
        if (queue["waiting"], queue["running"]) == (0, 0):
            break
        await asyncio.sleep(0.05)

    assert response.status_code == 200
    cache = services.inference.cache
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok"} if TEST_REDIS_URL else {"database": "ok"},
        "failed": [],
        "model_cache": {
            "status": "ok",
            "bytes": cache.bytes,
            "max_bytes": cache.max_bytes,
            "models": 1,
        },
        "pubsub": {
            "status": "ok",
            "backend": "redis" if TEST_REDIS_URL else "in-process",
            "subscribers": services.pubsub.subscriber_count,
        },
        "prediction_log": {
            "status": "ok",
            "depth": 0,
            "dropped": services.inference.log_writer.stats.dropped,
        },
        "rate_limiter": {
            "status": "ok",
            "backend": "redis" if TEST_REDIS_URL else "in-process",
            "fallbacks": services.limiter.fallbacks,
        },
        "queue": {
            "status": "ok",
            "backend": "redis" if TEST_REDIS_URL else "in-process",
            "waiting": 0,
            "running": 0,
            "worker_in_process": True,
        },
    }
    assert cache.bytes > 0
    assert services.pubsub.subscriber_count >= 1  # the registry listener


async def test_failing_log_writes_degrade_but_keep_ready(client, app, monkeypatch):
    monkeypatch.setattr(app.state.services.inference.log_writer, "healthy", False)

    response = await client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["failed"]) == ("degraded", [])
    assert body["prediction_log"]["status"] == "degraded"


async def test_health_query_matches_readyz_for_admins(app, client, gql):
    admin = await make_admin(app, gql)

    body = await gql(HEALTH, token=admin["accessToken"])
    ready = (await client.get("/readyz")).json()

    health = body["data"]["health"]
    assert health["status"] == "OK"
    assert {c["name"]: c["state"] for c in health["checks"]} == ready["checks"]
    assert all(c["ok"] for c in health["checks"])
    assert health["modelCache"] == {
        "status": "OK",
        "bytes": ready["model_cache"]["bytes"],
        "maxBytes": ready["model_cache"]["max_bytes"],
        "models": ready["model_cache"]["models"],
    }
    assert health["pubsub"] == {
        "status": "OK",
        "backend": ready["pubsub"]["backend"],
        "subscribers": ready["pubsub"]["subscribers"],
    }
    assert health["predictionLog"] == {
        "status": "OK",
        "depth": ready["prediction_log"]["depth"],
        "dropped": ready["prediction_log"]["dropped"],
    }


async def test_health_query_is_for_admins_only(gql, signup):
    user = await signup()

    forbidden = await gql(HEALTH, token=user["accessToken"])
    anonymous = await gql(HEALTH)

    assert (codes(forbidden), forbidden["data"]) == (["FORBIDDEN"], None)
    assert (codes(anonymous), anonymous["data"]) == (["UNAUTHENTICATED"], None)
