"""Faults of real backing processes started here: a private Redis (paused, then killed), a private
PostgreSQL cluster (stopped, then started again) and a full, then read-only, artifact store.

Every test runs a real server process against them; none touches the machine's shared services.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests import factories
from tests.conftest import free_port
from tests.test_crash_recovery import _start, _upload_request, _wait_healthy
from tests.test_shutdown import PASSWORD, _drop_database, _post, _prepare_database

pytestmark = [pytest.mark.fault, pytest.mark.timeout(60)]

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
RETRY_S = 3.0

LOGIN = (
    'mutation { login(input: {email: "ada@example.com", '
    f'password: "{PASSWORD}"}}) {{ __typename ... on AuthPayload {{ accessToken }} }} }}'
)


# -- private backing processes -----------------------------------------------------------------


def _wait_port(port: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


@contextlib.contextmanager
def private_redis(workdir: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_port(port)
        yield proc, port
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGCONT)
            proc.kill()
        proc.wait()


class PrivatePostgres:
    """A throw-away cluster in a temp dir, run as ``postgres`` (it refuses to run as root)."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        assert found, "PostgreSQL server binaries are not installed"
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="modelserve-pg-"))
        self.data = self.root / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "--no-sync", "--no-instructions",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "log"), "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._run(
                str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
            )
        shutil.rmtree(self.root, ignore_errors=True)


# -- the server under test ---------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(
    env: dict[str, str], log: Path
) -> AsyncIterator[tuple[subprocess.Popen[bytes], httpx.AsyncClient]]:
    port = free_port()
    server = _start(env, port, log)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            await _wait_healthy(http)
            yield server, http
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


async def _sign_up(http: httpx.AsyncClient) -> dict[str, str]:
    await _post(
        http,
        'mutation { register(input: {email: "ada@example.com", '
        f'password: "{PASSWORD}"}}) {{ __typename }} }}',
    )
    token = (await _post(http, LOGIN)).json()["data"]["login"]["accessToken"]
    return {"Authorization": f"Bearer {token}", "X-ModelServe-CSRF": "1"}


async def _create_model(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    created = await _post(
        http,
        'mutation { createModel(input: {name: "iris"}) { ... on ModelSuccess { model { id } } } }',
        headers=headers,
    )
    return created.json()["data"]["createModel"]["model"]["id"]


async def _upload(
    http: httpx.AsyncClient, headers: dict[str, str], model_id: str, data: bytes | None = None
) -> Any:
    data = data or factories.skops_bytes(factories.logistic_regression())
    request = _upload_request(model_id, data, "m.skops")
    request["data"]["operations"] = json.dumps(
        {
            "query": "mutation($f: Upload!) { uploadModelVersion(input: "
            f'{{modelId: "{model_id}", file: $f}}) {{ __typename '
            "... on UploadModelVersionSuccess { version { id number } } } }",
            "variables": {"f": None},
        }
    )
    return await http.post("/graphql", **request, headers=headers)


def _redis_failures(log: Path) -> int:
    return log.read_text(errors="replace").count("redis call failed")


# -- Redis -------------------------------------------------------------------------------------


async def test_a_paused_redis_costs_a_request_one_timeout_and_degrades_readiness(tmp_path):
    env, database = await _prepare_database(tmp_path)
    log = tmp_path / "server.log"
    try:
        with private_redis(tmp_path) as (redis, port):
            env |= {
                "MODELSERVE_REDIS_URL": f"redis://127.0.0.1:{port}/0",
                "MODELSERVE_REDIS_RETRY_S": str(RETRY_S),
            }
            async with serving(env, log) as (_server, http):
                headers = await _sign_up(http)
                model_id = await _create_model(http, headers)
                version_id = (await _upload(http, headers, model_id)).json()["data"][
                    "uploadModelVersion"
                ]["version"]["id"]
                set_alias = (
                    f'mutation {{ setAlias(input: {{modelId: "{model_id}", alias: "production", '
                    f'versionId: "{version_id}"}}) {{ __typename }} }}'
                )
                assert (await http.get("/readyz")).json()["status"] == "ok"
                assert _redis_failures(log) == 0

                redis.send_signal(signal.SIGSTOP)
                paused = time.monotonic()
                login = await _post(http, LOGIN)
                alias = await _post(http, set_alias, headers=headers)
                ready = await http.get("/readyz")
                phase_s = time.monotonic() - paused

                assert login.json()["data"]["login"]["__typename"] == "AuthPayload"
                assert alias.json()["data"]["setAlias"]["__typename"] == "SetAliasSuccess"
                assert ready.status_code == 200
                body = ready.json()
                assert (body["status"], body["failed"]) == ("degraded", ["redis"])
                assert body["checks"]["database"] == "ok"
                assert body["pubsub"]["status"] == "unavailable"
                # The first timeout opens the circuit: every later call, in any request, is
                # skipped until a probe is due (one per RETRY_S).
                assert 1 <= _redis_failures(log) <= 1 + int(phase_s // RETRY_S)

                redis.send_signal(signal.SIGCONT)
                deadline = time.monotonic() + 3 * RETRY_S
                while (await http.get("/readyz")).json()["status"] != "ok":
                    assert time.monotonic() < deadline, "the circuit did not close again"
                    await asyncio.sleep(0.2)

                redis.kill()
                redis.wait()
                login = await _post(http, LOGIN)
                assert login.json()["data"]["login"]["__typename"] == "AuthPayload"
                ready = await http.get("/readyz")
                assert ready.status_code == 200
                assert (ready.json()["status"], ready.json()["failed"]) == ("degraded", ["redis"])
    finally:
        if database:
            await _drop_database(database)


# -- PostgreSQL --------------------------------------------------------------------------------


def _code(response: httpx.Response) -> str | None:
    errors = response.json().get("errors") or [{}]
    return errors[0].get("extensions", {}).get("code")


def _on_private_postgres(pg: PrivatePostgres, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSERVE_")}
    return env | {
        "MODELSERVE_DATA_DIR": str(tmp_path / "var"),
        "MODELSERVE_DATABASE_URL": pg.url,
        "MODELSERVE_AUTO_MIGRATE": "true",
        "MODELSERVE_ARGON2_TIME_COST": "2",
        "MODELSERVE_ARGON2_MEMORY_KIB": "19456",
        "MODELSERVE_LOG_LEVEL": "WARNING",
    }


async def test_a_postgres_restart_is_unavailable_with_retry_after_then_recovers(tmp_path):
    pg = PrivatePostgres()
    try:
        pg.init()
        pg.start()
        env = _on_private_postgres(pg, tmp_path)
        async with serving(env, tmp_path / "server.log") as (_server, http):
            headers = await _sign_up(http)
            me = "query { me { username } }"
            assert (await _post(http, me, headers=headers)).json()["data"]["me"]["username"]

            pg.stop()
            for query, kw in ((LOGIN, {}), (me, {"headers": headers})):
                response = await _post(http, query, **kw)
                assert response.status_code == 503, response.text
                assert _code(response) == "UNAVAILABLE"
                assert int(response.headers["Retry-After"]) > 0
            ready = await http.get("/readyz")
            assert ready.status_code == 503 and ready.json()["failed"] == ["database"]
            assert int(ready.headers["Retry-After"]) > 0

            pg.start()
            deadline = time.monotonic() + 15
            while (response := await _post(http, LOGIN)).status_code != 200:
                assert _code(response) == "UNAVAILABLE", response.text
                assert time.monotonic() < deadline, "no recovery after the restart"
                await asyncio.sleep(0.2)
            assert response.json()["data"]["login"]["__typename"] == "AuthPayload"
            assert (await _post(http, me, headers=headers)).json()["data"]["me"]["username"]
            assert (await http.get("/readyz")).status_code == 200
    finally:
        pg.destroy()


async def test_an_exhausted_pool_is_unavailable_at_the_acquire_deadline_not_a_hang(tmp_path):
    """F5: a transaction outside holds a lock; two requests wait on it holding the whole pool
    of two; a third is answered UNAVAILABLE (503, Retry-After) at the one-second acquire
    deadline. Once the lock goes, the two finish and the next request is served."""
    pg = PrivatePostgres()
    try:
        pg.init()
        pg.start()
        env = _on_private_postgres(pg, tmp_path)
        env |= {"MODELSERVE_DATABASE_POOL_MAX": "2", "MODELSERVE_DATABASE_ACQUIRE_TIMEOUT_S": "1"}
        async with serving(env, tmp_path / "server.log") as (_server, http):
            headers = await _sign_up(http)
            models = "query { models { edges { node { id } } } }"
            assert "errors" not in (await _post(http, models, headers=headers)).json()

            holder = await asyncpg.connect(pg.url.replace("postgres://", "postgresql://"))
            try:
                transaction = holder.transaction()
                await transaction.start()
                await holder.execute("LOCK TABLE models IN ACCESS EXCLUSIVE MODE")
                waiting = [
                    asyncio.create_task(_post(http, models, headers=headers)) for _ in range(2)
                ]
                await _until_waiting_on_the_lock(holder, 2)
                refused = await _post(http, models, headers=headers)
                await transaction.rollback()
            finally:
                await holder.close()
            finished = await asyncio.gather(*waiting)
            after = await _post(http, models, headers=headers)
    finally:
        pg.destroy()

    assert refused.status_code == 503, refused.text
    assert _code(refused) == "UNAVAILABLE"
    assert int(refused.headers["Retry-After"]) > 0
    assert "Traceback" not in refused.text
    assert [r.status_code for r in finished] == [200, 200]
    assert all("errors" not in r.json() for r in finished), [r.text for r in finished]
    assert after.status_code == 200 and "errors" not in after.json()


async def _until_waiting_on_the_lock(conn: Any, count: int) -> None:
    for _ in range(300):
        waiting = await conn.fetchval(
            "select count(*) from pg_locks where not granted and relation = 'models'::regclass"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} requests waited on the lock")


# -- the artifact store ------------------------------------------------------------------------


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


async def _versions(http: httpx.AsyncClient, headers: dict[str, str], model_id: str) -> int:
    query = f'query {{ model(id: "{model_id}") {{ versions {{ edges {{ node {{ id }} }} }} }} }}'
    body = (await _post(http, query, headers=headers)).json()
    return len(body["data"]["model"]["versions"]["edges"])


async def test_a_full_or_read_only_store_is_a_typed_error_leaving_nothing_behind(tmp_path):
    env, database = await _prepare_database(tmp_path)
    store = tmp_path / "store"
    store.mkdir()
    _mount("-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(store))
    try:
        for sub in ("sha256", ".tmp"):
            (store / sub).mkdir()
        env["MODELSERVE_ARTIFACT_STORE_URL"] = str(store)
        spool = tmp_path / "var" / "spool"
        async with serving(env, tmp_path / "server.log") as (_server, http):
            headers = await _sign_up(http)
            model_id = await _create_model(http, headers)

            with contextlib.suppress(OSError), (store / "filler").open("wb") as filler:
                while True:
                    filler.write(b"\0" * 4096)
                    filler.flush()
            full = await _upload(http, headers, model_id)
            assert _code(full) == "STORAGE_FULL", full.text

            (store / "filler").unlink()
            _mount("-o", "remount,ro", str(store))
            read_only = await _upload(http, headers, model_id)
            assert _code(read_only) == "STORAGE_READ_ONLY", read_only.text

            assert await _versions(http, headers, model_id) == 0
            assert list((store / "sha256").iterdir()) == list((store / ".tmp").iterdir()) == []
            assert list(spool.iterdir()) == []

            _mount("-o", "remount,rw", str(store))
            stored = await _upload(http, headers, model_id)
            assert stored.json()["data"]["uploadModelVersion"]["version"]["id"], stored.text
            assert await _versions(http, headers, model_id) == 1
    finally:
        subprocess.run(["umount", "-l", str(store)], check=False, capture_output=True)
        if database:
            await _drop_database(database)
