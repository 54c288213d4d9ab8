"""Liveness and readiness probes."""

from __future__ import annotations

import graph.observability
from tests.conftest import TEST_REDIS_URL


async def test_healthz_is_alive(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_each_dependency(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    expected = {"database": "ok", "redis": "ok"} if TEST_REDIS_URL else {"database": "ok"}
    body = response.json()
    assert {key: body[key] for key in ("status", "checks", "failed")} == {
        "status": "ok",
        "checks": expected,
        "failed": [],
    }
    queue = body["queue"]
    assert (queue["status"], queue["backend"], queue["worker_in_process"]) == (
        "ok",
        "redis" if TEST_REDIS_URL else "in-process",
        True,
    )


async def test_readyz_names_a_failed_database(client, monkeypatch):
    async def broken() -> None:
        raise ConnectionRefusedError("database is down")

    monkeypatch.setattr(graph.observability, "check_database", broken)
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database"]
    assert body["checks"]["database"] == "error: ConnectionRefusedError"
    # Liveness does not depend on the database.
    assert (await client.get("/healthz")).status_code == 200


async def test_readyz_names_a_failed_redis(client, app, monkeypatch):
    if not TEST_REDIS_URL:
        # The embedded default has no Redis to check: it must not be listed.
        assert "redis" not in (await client.get("/readyz")).json()["checks"]
        return

    async def broken() -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(app.state.services.pubsub, "ping", broken)
    response = await client.get("/readyz")
    # Degraded but ready: limits, caches and events fall back to this replica.
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["failed"]) == ("degraded", ["redis"])
