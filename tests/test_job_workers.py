"""Batch jobs across processes: submitted to a `modelserve serve` process, run by separate
`modelserve worker` processes on a Redis queue, followed over a websocket and downloaded; a
worker SIGKILLed mid-job leaves the job to another worker, with no duplicate row.

Both backends: the embedded one shares its SQLite file and artifact directory between the
processes; the other its PostgreSQL database, Redis and S3-less artifact directory.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests import factories
from tests.graph.test_websocket import authenticated, receive, send
from tests.test_faults import _create_model, _sign_up, _upload, serving
from tests.test_worker import deployment

pytestmark = [pytest.mark.fault, pytest.mark.timeout(300)]

CREATE = (
    'mutation($f: Upload!) { createBatchJob(input: {model: "ada/iris", file: $f}) '
    "{ __typename ... on JobSuccess { job { id status } } } }"
)
JOB = "query($id: ID!) { job(id: $id) { status rowsDone rowsFailed attempts error } }"
PROGRESS = """subscription($id: ID!) { jobProgress(id: $id) {
  status rowsDone rowsFailed progress rowsPerSecond etaSeconds } }"""
# Fast leases and reaping, and a budget a 100,000-row job does not wait on.
JOB_SETTINGS = {
    "job_lease_s": "5",
    "job_reap_interval_s": "1",
    "prediction_units_per_minute": "100000",
}


def rows_csv(n: int, seed: int = 0) -> tuple[np.ndarray, bytes]:
    X = np.random.default_rng(seed).normal(size=(n, 4)).round(5)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["a", "b", "c", "d"])
    writer.writerows(X.tolist())
    return X, out.getvalue().encode()


async def submit(http: httpx.AsyncClient, headers: dict[str, str], data: bytes) -> str:
    response = await http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": CREATE, "variables": {"f": None}}),
            "map": json.dumps({"0": ["variables.f"]}),
        },
        files={"0": ("rows.csv", data, "text/csv")},
        headers={**headers, "apollo-require-preflight": "true"},
    )
    result = response.json()["data"]["createBatchJob"]
    assert result["__typename"] == "JobSuccess", response.text
    return result["job"]["id"]


async def job_of(http: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": JOB, "variables": {"id": job_id}}, headers=headers
    )
    return response.json()["data"]["job"]


async def until_ended(http: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> dict:
    for _ in range(1200):
        job = await job_of(http, headers, job_id)
        if job["status"] not in {"QUEUED", "RUNNING"}:
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"the job did not end: {job}")


async def downloaded(http: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> list:
    response = await http.get(f"/jobs/{job_id}/results", params={"format": "csv"}, headers=headers)
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.text)))[1:]


async def running_job(
    http: httpx.AsyncClient, worker: subprocess.Popen[bytes], *, seed: int
) -> tuple[dict, np.ndarray, str]:
    """Ada, her model and a 30,000-row job of hers that has done at least 1,000 rows, on
    ``worker``, which is left stopped (SIGSTOP) there: however busy the machine, the job cannot
    finish before the test does to the worker what it means to."""
    headers = await _sign_up(http)
    await _upload(http, headers, await _create_model(http, headers))
    X, data = rows_csv(30_000, seed=seed)
    job_id = await submit(http, headers, data)
    for _ in range(1200):
        worker.send_signal(signal.SIGSTOP)
        if (await job_of(http, headers, job_id))["rowsDone"] >= 1_000:
            return headers, X, job_id
        worker.send_signal(signal.SIGCONT)
        await asyncio.sleep(0.05)
    raise AssertionError("the job never reached 1,000 rows")


async def test_a_100k_row_job_runs_on_a_separate_worker_with_live_progress(tmp_path: Path):
    async with deployment(tmp_path) as (deploy, _redis):
        deploy.env |= {f"MODELSERVE_{k.upper()}": v for k, v in JOB_SETTINGS.items()}
        worker = deploy.start_worker()
        await deploy.ready(worker)
        async with serving(deploy.env, tmp_path / "server.log") as (_server, http):
            headers = await _sign_up(http)
            await _upload(http, headers, await _create_model(http, headers))
            X, data = rows_csv(100_000)
            job_id = await submit(http, headers, data)
            ws = await authenticated(
                f"127.0.0.1:{http.base_url.port}", headers["Authorization"][7:]
            )
            seen = []
            try:
                payload = {"query": PROGRESS, "variables": {"id": job_id}}
                await send(ws, {"id": "p", "type": "subscribe", "payload": payload})
                while (message := await receive(ws, timeout=120))["type"] != "complete":
                    assert message["type"] == "next", message
                    seen.append(message["payload"]["data"]["jobProgress"])
            finally:
                await ws.close()
            rows = await downloaded(http, headers, job_id)
            server_log = (tmp_path / "server.log").read_text(errors="replace")
        worker_log = deploy.log_of(worker)

    assert seen[-1]["status"] == "SUCCEEDED"
    assert (seen[-1]["rowsDone"], seen[-1]["rowsFailed"], seen[-1]["progress"]) == (100_000, 0, 1.0)
    running = [s for s in seen if s["status"] == "RUNNING"]
    # A figure per 1,000-row chunk, published by the worker: a few reads of the row every two
    # seconds would not make ten on a job that takes a few seconds.
    assert len(running) >= 10, seen
    assert [s["rowsDone"] for s in seen] == sorted(s["rowsDone"] for s in seen)
    assert any(0 < s["progress"] < 1 and s["etaSeconds"] is not None for s in running)
    assert len(rows) == 100_000
    assert [int(r[0]) for r in rows] == list(range(2, 100_002))
    expected = factories.logistic_regression().predict(X)
    assert [int(r[5]) for r in rows] == expected.tolist()
    # The worker ran it; the API process only took it in.
    assert f"job {job_id} succeeded" in worker_log
    assert f"job {job_id} succeeded" not in server_log


async def test_a_worker_killed_mid_job_leaves_it_to_another_without_duplicates(tmp_path: Path):
    async with deployment(tmp_path) as (deploy, _redis):
        deploy.env |= {f"MODELSERVE_{k.upper()}": v for k, v in JOB_SETTINGS.items()}
        deploy.env["MODELSERVE_JOB_CHUNK_ROWS"] = "100"
        doomed = deploy.start_worker()
        await deploy.ready(doomed)
        async with serving(deploy.env, tmp_path / "server.log") as (_server, http):
            headers, X, job_id = await running_job(http, doomed, seed=7)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
            killed_at = await job_of(http, headers, job_id)
            survivor = deploy.start_worker()
            await deploy.ready(survivor)
            done = await until_ended(http, headers, job_id)
            rows = await downloaded(http, headers, job_id)
        survivor_log = deploy.log_of(survivor)

    assert killed_at["status"] == "RUNNING"
    assert 1_000 <= killed_at["rowsDone"] < 30_000
    assert (done["status"], done["rowsDone"], done["rowsFailed"]) == ("SUCCEEDED", 30_000, 0)
    assert done["attempts"] == 2
    lines = [int(r[0]) for r in rows]
    assert lines == list(range(2, 30_002))  # every row once, in order
    assert [int(r[5]) for r in rows] == factories.logistic_regression().predict(X).tolist()
    assert f"job {job_id} succeeded" in survivor_log


async def test_a_job_running_at_sigterm_is_requeued_and_ends_once(tmp_path: Path):
    """S4: a worker told to stop gives a job that outlasts its grace period back at once (the
    lease released, the task unacknowledged); the next worker resumes it from its last chunk."""
    async with deployment(tmp_path) as (deploy, _redis):
        deploy.env |= {f"MODELSERVE_{k.upper()}": v for k, v in JOB_SETTINGS.items()}
        # A lease far longer than the test: only the stopping worker's release frees the job.
        deploy.env |= {"MODELSERVE_JOB_CHUNK_ROWS": "100", "MODELSERVE_JOB_LEASE_S": "600"}
        # No grace at all: a job fast enough to end within even a second's grace (PostgreSQL on
        # an idle machine) would never be handed back, and the test would prove nothing.
        stopping = deploy.start_worker(worker_grace_s="0")
        await deploy.ready(stopping)
        async with serving(deploy.env, tmp_path / "server.log") as (_server, http):
            headers, X, job_id = await running_job(http, stopping, seed=11)
            stopping.send_signal(signal.SIGTERM)
            stopping.send_signal(signal.SIGCONT)
            exit_code = await asyncio.to_thread(stopping.wait, 60)
            stopped_at = await job_of(http, headers, job_id)
            successor = deploy.start_worker()
            await deploy.ready(successor)
            done = await until_ended(http, headers, job_id)
            rows = await downloaded(http, headers, job_id)
        stopping_log = deploy.log_of(stopping)
        successor_log = deploy.log_of(successor)

    assert exit_code == 0, stopping_log
    assert "still running after the grace period; left to others" in stopping_log
    assert "handed back at shutdown" in stopping_log and "Traceback" not in stopping_log
    assert f"job {job_id} succeeded" not in stopping_log
    assert stopped_at["status"] == "RUNNING"
    assert 1_000 <= stopped_at["rowsDone"] < 30_000
    # Resumed well before the 600 s lease could have run out, and finished exactly once.
    assert (done["status"], done["rowsDone"], done["rowsFailed"]) == ("SUCCEEDED", 30_000, 0)
    assert done["attempts"] == 2
    assert [int(r[0]) for r in rows] == list(range(2, 30_002))
    assert [int(r[5]) for r in rows] == factories.logistic_regression().predict(X).tolist()
    assert successor_log.count(f"job {job_id} succeeded") == 1
