"""Graceful shutdown of a real server process: in-flight work finishes, no log row is lost."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests import factories
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, _with_database, free_port

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long enough password"


async def _post(http: httpx.AsyncClient, query: str, variables: dict | None = None, **kw: Any):
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, **kw
    )
    return response


async def _prepare_database(tmp_path: Path) -> tuple[dict[str, str], str | None]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSERVE_")}
    env |= {
        "MODELSERVE_DATA_DIR": str(tmp_path / "var"),
        "MODELSERVE_ARGON2_TIME_COST": "2",
        "MODELSERVE_ARGON2_MEMORY_KIB": "19456",
        "MODELSERVE_LOG_LEVEL": "WARNING",
    }
    if not TEST_DATABASE_URL:
        return env, None
    name = f"modelserve_shutdown_{uuid.uuid4().hex[:10]}"
    admin = _with_database(TEST_DATABASE_URL.replace("postgres://", "postgresql://"), "postgres")
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    env |= {
        "MODELSERVE_DATABASE_URL": _with_database(TEST_DATABASE_URL, name),
        "MODELSERVE_REDIS_URL": TEST_REDIS_URL or "",
        "MODELSERVE_AUTO_MIGRATE": "true",
        # Its own queue on the shared test Redis: the test session's app takes none of its tasks.
        "MODELSERVE_QUEUE_NAME": name,
    }
    return env, name


async def _drop_database(name: str) -> None:
    admin = _with_database(TEST_DATABASE_URL.replace("postgres://", "postgresql://"), "postgres")
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _tear_down(server: subprocess.Popen, database: str | None) -> None:
    """Kill the server if it still runs; drop the test's PostgreSQL database if it made one."""
    if server.poll() is None:
        server.kill()
        server.wait()
    if database:
        await _drop_database(database)


async def _count_rows(env: dict[str, str], tmp_path: Path) -> int:
    if "MODELSERVE_DATABASE_URL" not in env:
        with sqlite3.connect(tmp_path / "var" / "modelserve.db") as db:
            return db.execute("select count(*) from prediction_logs").fetchone()[0]
    dsn = env["MODELSERVE_DATABASE_URL"].replace("postgres://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("select count(*) from prediction_logs")
    finally:
        await conn.close()


async def test_sigterm_finishes_in_flight_predictions_and_flushes_the_log(tmp_path):
    env, database = await _prepare_database(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(300):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("server did not start")
            await _post(
                http,
                'mutation { register(input: {email: "ada@example.com", '
                f'password: "{PASSWORD}"}}) {{ __typename }} }}',
            )
            login = await _post(
                http,
                'mutation { login(input: {email: "ada@example.com", '
                f'password: "{PASSWORD}"}}) {{ ... on AuthPayload {{ accessToken }} }} }}',
            )
            headers = {"Authorization": f"Bearer {login.json()['data']['login']['accessToken']}"}
            created = await _post(
                http,
                'mutation { createModel(input: {name: "iris"}) '
                "{ ... on ModelSuccess { model { id } } } }",
                headers=headers,
            )
            model_id = created.json()["data"]["createModel"]["model"]["id"]
            operations = {
                "query": "mutation($f: Upload!) { uploadModelVersion(input: "
                f'{{modelId: "{model_id}", file: $f}}) {{ __typename }} }}',
                "variables": {"f": None},
            }
            uploaded = await http.post(
                "/graphql",
                data={
                    "operations": json.dumps(operations),
                    "map": json.dumps({"0": ["variables.f"]}),
                },
                files={"0": ("m.skops", factories.skops_bytes(factories.logistic_regression()))},
                headers={**headers, "X-ModelServe-CSRF": "1"},
            )
            assert (
                uploaded.json()["data"]["uploadModelVersion"]["__typename"]
                == "UploadModelVersionSuccess"
            )

            predict = (
                'query { predict(model: "ada/iris", rows: [[0.1, 0.2, 0.3, 0.4]]) { requestId } }'
            )
            acknowledged = 0
            for _ in range(40):
                response = await _post(http, predict, headers=headers)
                acknowledged += response.status_code == 200 and "errors" not in response.json()

            # A burst in flight while the signal arrives: each either completes or is refused.
            async def one() -> bool:
                try:
                    response = await _post(http, predict, headers=headers)
                except httpx.TransportError:
                    return False
                return response.status_code == 200 and "errors" not in response.json()

            burst = [asyncio.create_task(one()) for _ in range(20)]
            await asyncio.sleep(0.01)
            server.send_signal(signal.SIGTERM)
            acknowledged += sum(await asyncio.gather(*burst))

        started = time.monotonic()
        exit_code = server.wait(timeout=60)
        assert exit_code == 0, server.stdout.read().decode() if server.stdout else ""
        assert time.monotonic() - started < 30
        assert acknowledged >= 40
        assert await _count_rows(env, tmp_path) == acknowledged
    finally:
        await _tear_down(server, database)
