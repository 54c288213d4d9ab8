"""A real server process killed with SIGKILL mid-intake leaves nothing behind once restarted."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.registry.intake import _lifeline
from domain.registry.intake.sandbox import WORKDIR_PREFIX
from tests import factories
from tests.conftest import free_port
from tests.test_shutdown import PASSWORD, ROOT, _drop_database, _post, _prepare_database

pytestmark = pytest.mark.fault

GRACE_S = 30


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "graph.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def _wait_healthy(http: httpx.AsyncClient) -> None:
    for _ in range(300):
        with contextlib.suppress(httpx.TransportError):
            if (await http.get("/healthz")).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise AssertionError("server did not start")


def _sandbox_pids(server_pid: int) -> list[int]:
    """Live intake workers started by ``server_pid``, found by the marker on their command line."""
    marker = _lifeline.marker(server_pid).encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            state = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline.split(b"\0") and state != "Z":
            found.append(int(name))
    return found


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def _upload_request(model_id: str, data: bytes, name: str) -> dict[str, Any]:
    operations = {
        "query": "mutation($f: Upload!) { uploadModelVersion(input: "
        f'{{modelId: "{model_id}", file: $f}}) {{ __typename }} }}',
        "variables": {"f": None},
    }
    return {
        "data": {"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
        "files": {"0": (name, data)},
    }


def _plant_blob(root: Path, content: bytes, age_s: float) -> Path:
    path = root / "sha256" / hashlib.sha256(content).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


async def _eventually(check: Any, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def test_sigkill_mid_intake_leaves_no_spool_sandbox_or_orphan_blob(tmp_path):
    env, database = await _prepare_database(tmp_path)
    env["MODELSERVE_ORPHAN_GRACE_S"] = str(GRACE_S)
    # The start-up sweep is background work: with a Redis queue a worker would run it; here the
    # server runs it itself (at every start, like a worker).
    env["MODELSERVE_WORKER_IN_PROCESS"] = "true"
    var = tmp_path / "var"
    spool, artifacts = var / "spool", var / "artifacts"
    log = tmp_path / "server.log"
    port = free_port()
    server = _start(env, port, log)
    stragglers: list[int] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            await _wait_healthy(http)
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
            token = login.json()["data"]["login"]["accessToken"]
            headers = {"Authorization": f"Bearer {token}", "X-ModelServe-CSRF": "1"}
            created = await _post(
                http,
                'mutation { createModel(input: {name: "iris"}) '
                "{ ... on ModelSuccess { model { id } } } }",
                headers=headers,
            )
            model_id = created.json()["data"]["createModel"]["model"]["id"]
            kept = await http.post(
                "/graphql",
                **_upload_request(
                    model_id, factories.skops_bytes(factories.logistic_regression()), "m.skops"
                ),
                headers=headers,
            )
            assert kept.json()["data"]["uploadModelVersion"]["__typename"] == (
                "UploadModelVersionSuccess"
            ), kept.text
            referenced = list((artifacts / "sha256").iterdir())
            for path in referenced:
                os.utime(path, (time.time() - 3600,) * 2)  # old, but a version uses it
            orphan = _plant_blob(artifacts, b"stored by a crashed upload", 3600)
            fresh = _plant_blob(artifacts, b"stored by an upload in flight elsewhere", 0)

            # An upload whose sandbox is paused: the server is killed while it is in intake.
            upload = asyncio.create_task(
                http.post(
                    "/graphql",
                    **_upload_request(
                        model_id, factories.pickle_bytes(factories.logistic_regression(1)), "m.pkl"
                    ),
                    headers=headers,
                )
            )
            deadline = time.monotonic() + 20
            while not (workers := _sandbox_pids(server.pid)):
                assert time.monotonic() < deadline, "no sandbox worker started"
                assert not upload.done(), upload.result().text
                await asyncio.sleep(0.005)
            # Paused once it has armed its parent-death signal: as root it has then forked the
            # loader (stopped or not, its fate follows the worker's); otherwise soon after start.
            if os.geteuid() == 0:
                while not any(_children(pid) for pid in workers):
                    assert time.monotonic() < deadline, "the sandbox did not fork"
                    await asyncio.sleep(0.005)
            else:
                await asyncio.sleep(0.3)
            for pid in workers:
                os.kill(pid, signal.SIGSTOP)
            stragglers = workers
            assert next(p.name for p in spool.iterdir()).startswith("upload-")
            workdirs = set(Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*"))
            assert workdirs
            server.kill()
            server.wait()
            with contextlib.suppress(httpx.TransportError):
                await upload

            # The sandbox dies with the server, stopped or not.
            await _eventually(lambda: not _sandbox_pids(server.pid), 5)

            server = _start(env, port, log)
            await _wait_healthy(http)
            await _eventually(lambda: not orphan.exists())
            assert not any(p.name.startswith("upload-") for p in spool.iterdir())
            assert not any(path.exists() for path in workdirs)
            assert all(path.exists() for path in referenced) and fresh.exists()
            assert sorted(p.name for p in (artifacts / ".tmp").iterdir()) == []
    finally:
        for pid in stragglers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()
            server.wait()
        if database:
            await _drop_database(database)
