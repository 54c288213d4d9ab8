"""Shared fixtures: one app per test session on the chosen backend, emptied before each test.

The embedded default (SQLite, in-process pub/sub and limits) runs unless
``MODELSERVE_TEST_DATABASE_URL`` and ``MODELSERVE_TEST_REDIS_URL`` are set; then a fresh
PostgreSQL database is created for the run (and dropped after) and Redis is used for everything
shared. The two backends run as separate pytest processes (Tortoise caches SQL per connection).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from tortoise.contrib.test import truncate_all_models

from graph.app import create_app
from settings import Settings, load_settings

TEST_DATABASE_URL = os.environ.get("MODELSERVE_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("MODELSERVE_TEST_REDIS_URL")
BACKEND = "postgres" if TEST_DATABASE_URL else "sqlite"


def pytest_report_header(config: pytest.Config) -> str:
    where = (
        f"PostgreSQL + Redis ({TEST_REDIS_URL}) + S3 (moto)"
        if TEST_DATABASE_URL
        else "embedded SQLite"
    )
    return f"modelserve backend: {where}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fault: starts, kills or pauses real server, Redis or PostgreSQL processes"
    )


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    if not TEST_DATABASE_URL:
        yield f"sqlite://{tmp_path_factory.mktemp('db') / 'modelserve.db'}"
        return
    name = f"modelserve_test_{uuid.uuid4().hex[:12]}"
    admin_dsn = _with_database(
        TEST_DATABASE_URL.replace("postgres://", "postgresql://"), "postgres"
    )
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield _with_database(TEST_DATABASE_URL, name)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: the cheapest argon2 parameters OWASP still accepts."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "redis_url": TEST_REDIS_URL,
        "auto_migrate": True,
        "argon2_time_cost": 2,
        "argon2_memory_kib": 19456,
        "argon2_parallelism": 1,
        "secret_key": "test-secret-key-" + "x" * 40,
        # Tests fit models on the event loop, which can hold a Redis reply past the serving
        # deadline on a busy machine and open the circuit for everyone; the fault tests run
        # their own servers with the production deadline.
        "redis_deadline_s": 5.0,
        # Tests run the drift check themselves; the scheduled one, on a wall-clock boundary,
        # could open an episode between a test's predictions and its own check.
        "drift_check_interval_s": 86_400.0,
        # Production refuses SQLite unless allowed; the embedded run exercises production's
        # other behaviour on it (tests/test_settings.py checks the refusal itself).
        "production_allow": "",
        # The app under test runs its background work itself, on whichever queue the backend
        # gives (memory://, or the Redis stream); tests/test_worker.py runs separate workers.
        "worker_in_process": True,
        "background_modules": ["tests.background_tasks"],
        # A queue (stream and schedule leases) of each app's own on the shared test Redis, so
        # a second app built by a test never takes the session app's tasks with its settings.
        "queue_name": f"test-{uuid.uuid4().hex[:12]}",
    }
    values.update(overrides)
    if database_url.startswith("sqlite"):
        values["production_allow"] = f"sqlite,{values['production_allow']}"
    return load_settings(**values)


@pytest.fixture(scope="session")
def artifact_store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """The production-shaped run keeps artifacts in S3: a local S3-compatible (moto) server.

    The embedded run uses its default, a directory under the data dir.
    """
    if not TEST_DATABASE_URL:
        yield None
        return
    import boto3
    from moto.server import ThreadedMotoServer

    fake = {
        "AWS_ACCESS_KEY_ID": "modelserve-test",
        "AWS_SECRET_ACCESS_KEY": "modelserve-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path_factory.mktemp("aws") / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path_factory.mktemp("aws") / "none"),
    }
    saved = {name: os.environ.get(name) for name in fake}
    os.environ.update(fake)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
        Bucket="modelserve-test"
    )
    yield f"s3://modelserve-test/artifacts?endpoint_url={endpoint}&region=us-east-1"
    server.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
async def settings(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, artifact_store_url: str | None
) -> Settings:
    extra = {"artifact_store_url": artifact_store_url} if artifact_store_url else {}
    return make_settings(tmp_path_factory.mktemp("var"), database_url, **extra)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=30):
        yield application


@pytest.fixture(autouse=True)
async def clean_state(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test that touches the app starts from empty tables and fresh rate limits."""
    if "app" not in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    # Rows a previous test logged (its shadow copies too) must land before the tables they
    # point at are emptied.
    await application.state.services.inference.shadows.drain()
    await application.state.services.inference.log_writer.drain()
    await truncate_all_models()
    application.state.services.inference.clear_caches()
    application.state.services.accounts.clear_cache()
    application.state.services.quotas.clear_cache()
    await reset_rate_limits(application)
    settings: Settings = application.state.settings
    store = application.state.services.store
    for key in await store.list_keys():
        await store.delete(key)
    shutil.rmtree(settings.data_dir / "spool", ignore_errors=True)
    yield


async def reset_rate_limits(application: Any) -> None:
    limiter = application.state.services.limiter
    await limiter._memory.storage.reset()
    if TEST_REDIS_URL:
        import redis.asyncio as redis

        client = redis.Redis.from_url(TEST_REDIS_URL)
        try:
            await client.flushdb()
        finally:
            await client.aclose()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
async def live_server(app: Any) -> AsyncIterator[str]:
    """A real uvicorn server on a free loopback port, serving the session's app."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", ws_max_size=1 << 20
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(task, timeout=10)


GraphQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQL:
    """POST a GraphQL document; returns the decoded body (status in ``_status``)."""

    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )
        body = response.json()
        body["_status"] = response.status_code
        body["_headers"] = response.headers
        return body

    return run


REGISTER = """
mutation Register($email: String!, $password: String!) {
  register(input: {email: $email, password: $password}) {
    __typename
    ... on RegisterSuccess { email message }
    ... on ValidationError { message fields { path message code } }
  }
}"""

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) {
    __typename
    ... on AuthPayload { accessToken refreshToken tokenType user { id email role } }
    ... on InvalidCredentialsError { message }
    ... on ValidationError { message }
  }
}"""

DEFAULT_PASSWORD = "correct horse battery"


@pytest.fixture
def signup(gql: GraphQL) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Register and log in; returns the login payload (tokens and user)."""

    async def run(
        email: str = "ada@example.com", password: str = DEFAULT_PASSWORD
    ) -> dict[str, Any]:
        registered = await gql(REGISTER, {"email": email, "password": password})
        assert registered["data"]["register"]["__typename"] == "RegisterSuccess", registered
        body = await gql(LOGIN, {"email": email, "password": password})
        payload = body["data"]["login"]
        assert payload["__typename"] == "AuthPayload", body
        return payload

    return run


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (``MODELSERVE_TEST_FORBID_SKIPS=1``) a skipped test fails the run."""
    if os.environ.get("MODELSERVE_TEST_FORBID_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        print(f"\n{skipped} test(s) skipped on the {BACKEND} backend; CI requires none")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
