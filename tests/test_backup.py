"""A backup of a live deployment restores into a fresh one that serves the same answers.

Real processes on the backend under test (SQLite and local files; or PostgreSQL and the
S3-compatible store): a server publishes a model and answers a prediction, ``modelserve
backup`` copies the database and the artifact store, ``modelserve restore`` loads them into a
fresh database and an empty store and checks every table's rows and every blob, and a server
on the restored deployment signs the same person in and gives the same answer.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.test_cli import run_cli_with
from tests.test_crash_recovery import _wait_healthy
from tests.test_faults import _upload
from tests.test_shutdown import PASSWORD, ROOT, _drop_database, _post, _prepare_database

pytestmark = pytest.mark.fault

PREDICT = (
    'query { predict(model: "ada/iris", rows: [[0.1, 0.2, 0.3, 0.4]]) '
    "{ predictions { value probabilities { label probability } } } }"
)


async def _deployment(tmp_path: Path, name: str, store_url: str | None):
    env, database = await _prepare_database(tmp_path / name)
    if store_url:
        env["MODELSERVE_ARTIFACT_STORE_URL"] = own_store(store_url, name)
    return env, database


def own_store(store_url: str, name: str) -> str:
    """A prefix of its own in the test bucket: an empty store for one deployment."""
    return store_url.replace("/artifacts?", f"/{name}-{uuid.uuid4().hex[:8]}?")


async def _serve(env: dict[str, str], work):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            await _wait_healthy(http)
            return await work(http)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


async def _login(http: httpx.AsyncClient) -> dict[str, str]:
    login = await _post(
        http,
        'mutation { login(input: {email: "ada@example.com", '
        f'password: "{PASSWORD}"}}) {{ ... on AuthPayload {{ accessToken }} }} }}',
    )
    return {"Authorization": f"Bearer {login.json()['data']['login']['accessToken']}"}


async def _publish_and_predict(http: httpx.AsyncClient) -> list:
    await _post(
        http,
        'mutation { register(input: {email: "ada@example.com", '
        f'password: "{PASSWORD}"}}) {{ __typename }} }}',
    )
    headers = await _login(http)
    created = await _post(
        http,
        'mutation { createModel(input: {name: "iris"}) { ... on ModelSuccess { model { id } } } }',
        headers=headers,
    )
    model_id = created.json()["data"]["createModel"]["model"]["id"]
    uploaded = await _upload(http, {**headers, "X-ModelServe-CSRF": "1"}, model_id)
    assert uploaded.json()["data"]["uploadModelVersion"]["__typename"] == (
        "UploadModelVersionSuccess"
    )
    answer = (await _post(http, PREDICT, headers=headers)).json()
    assert "errors" not in answer, answer
    return answer["data"]["predict"]["predictions"]


async def _predict_again(http: httpx.AsyncClient) -> list:
    answer = (await _post(http, PREDICT, headers=await _login(http))).json()
    assert "errors" not in answer, answer
    return answer["data"]["predict"]["predictions"]


async def test_a_backup_restores_into_a_fresh_deployment_that_answers_alike(
    tmp_path, artifact_store_url
):
    source, source_db = await _deployment(tmp_path, "source", artifact_store_url)
    target, target_db = await _deployment(tmp_path, "target", artifact_store_url)
    backup_dir = tmp_path / "backup"
    try:
        before = await _serve(source, _publish_and_predict)

        saved = run_cli_with(source, "backup", str(backup_dir))
        assert saved.returncode == 0, saved.stderr
        manifest = json.loads((backup_dir / "manifest.json").read_text())
        assert manifest["tables"]["users"] == 1
        assert manifest["tables"]["model_versions"] == 1
        assert manifest["tables"]["prediction_logs"] == 1
        assert len(manifest["artifacts"]) >= 1
        assert "Traceback" not in saved.stderr

        restored = run_cli_with(target, "restore", str(backup_dir))
        assert restored.returncode == 0, restored.stderr
        assert "restored and checked" in restored.stdout

        assert await _serve(target, _predict_again) == before

        # Restoring over a database in use is refused, with the reason and no traceback.
        again = run_cli_with(target, "restore", str(backup_dir))
        assert again.returncode == 1
        assert "not empty" in again.stderr
        assert "Traceback" not in again.stderr
    finally:
        for name in (source_db, target_db):
            if name:
                await _drop_database(name)


def test_a_folder_that_is_no_backup_is_refused_by_name(tmp_path):
    env = {"MODELSERVE_DATA_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"}
    refused = run_cli_with(env, "restore", str(tmp_path))
    assert refused.returncode == 1
    assert "is not a backup" in refused.stderr
    assert "Traceback" not in refused.stderr
