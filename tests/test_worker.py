"""Separate ``modelserve worker`` processes on a Redis queue: scheduled work once per deployment,
a killed worker's task run again elsewhere, a graceful SIGTERM, and a Redis that is down.

Each test starts its own Redis (tests/test_faults.py ``private_redis``) and the backend's
database; the work is the test-only tasks of tests/background_tasks.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from domain.background import Background, BackgroundUnavailable, catalogue
from storage.queue import QueueConfig, TaskQueue
from tests.background_tasks import read_marks
from tests.conftest import free_port
from tests.test_faults import REDIS_SERVER, _wait_port, private_redis, serving
from tests.test_shutdown import ROOT, _drop_database, _prepare_database

pytestmark = [pytest.mark.fault, pytest.mark.timeout(120)]

DEPTH = re.compile(r'^modelserve_queue_depth\{state="(\w+)"\} (\S+)$', re.M)

# Short, so a killed worker's task is taken over soon; long enough that a live worker stalled
# on a busy machine renews it (every third of a lease) before it runs out.
LEASE_S = 4.0


class Deployment:
    """Worker processes sharing one database, one Redis queue and one marks file."""

    def __init__(self, env: dict[str, str], tmp_path: Path) -> None:
        self.env = env
        self.tmp_path = tmp_path
        self.marks = tmp_path / "marks"
        self.workers: list[subprocess.Popen[bytes]] = []

    def start_worker(self, *flags: str, **settings: str) -> subprocess.Popen[bytes]:
        log = self.tmp_path / f"worker-{len(self.workers)}.log"
        env = self.env | {f"MODELSERVE_{k.upper()}": v for k, v in settings.items()}
        with log.open("ab") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "graph.cli", "worker", *flags],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.workers.append(worker)
        return worker

    def log_of(self, worker: subprocess.Popen[bytes]) -> str:
        index = self.workers.index(worker)
        return (self.tmp_path / f"worker-{index}.log").read_text(errors="replace")

    async def until(self, done: Callable[[list[list[str]]], bool], what: str) -> list[list[str]]:
        for _ in range(600):
            marks = read_marks(self.marks)
            if done(marks):
                return marks
            await asyncio.sleep(0.1)
        raise AssertionError(f"{what}; marks: {read_marks(self.marks)}")

    async def ready(self, worker: subprocess.Popen[bytes], line: str = "worker ready") -> None:
        for _ in range(600):
            if line in self.log_of(worker):
                return
            assert worker.poll() is None, self.log_of(worker)
            await asyncio.sleep(0.1)
        raise AssertionError(self.log_of(worker))

    def client(self) -> Background:
        """The sending side, as the API builds it (nothing runs in this process)."""
        tasks, _schedule = catalogue(["tests.background_tasks"])
        config = QueueConfig(url=self.env["MODELSERVE_QUEUE_URL"], name="test", lease_s=LEASE_S)
        return Background(TaskQueue(config, tasks=tasks, schedule={}, settings=None))

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()


@contextlib.asynccontextmanager
async def deployment(tmp_path: Path) -> AsyncIterator[tuple[Deployment, subprocess.Popen[bytes]]]:
    env, database = await _prepare_database(tmp_path)
    try:
        with private_redis(tmp_path) as (redis, port):
            env |= {
                "MODELSERVE_QUEUE_URL": f"redis://127.0.0.1:{port}/0",
                "MODELSERVE_QUEUE_NAME": "test",
                "MODELSERVE_QUEUE_LEASE_S": str(LEASE_S),
                "MODELSERVE_BACKGROUND_MODULES": "tests.background_tasks",
                "MODELSERVE_TEST_MARKS": str(tmp_path / "marks"),
                "MODELSERVE_LOG_LEVEL": "INFO",
                "MODELSERVE_LOG_FORMAT": "text",
            }
            os.environ["MODELSERVE_TEST_MARKS"] = env["MODELSERVE_TEST_MARKS"]
            deploy = Deployment(env, tmp_path)
            try:
                yield deploy, redis
            finally:
                deploy.stop()
    finally:
        os.environ.pop("MODELSERVE_TEST_MARKS", None)
        if database:
            await _drop_database(database)


async def test_two_workers_run_each_scheduled_slot_once(tmp_path):
    async with deployment(tmp_path) as (deploy, _redis):
        deploy.env["MODELSERVE_TEST_TICK_S"] = "1"
        first = deploy.start_worker()
        await deploy.ready(first)
        second = deploy.start_worker()
        await deploy.ready(second)
        marks = await deploy.until(
            lambda m: len({t[1] for t in m if t[0] == "tick"}) >= 6, "six slots ticked"
        )

    slots = [tick[1] for tick in marks if tick[0] == "tick"]
    assert len(slots) == len(set(slots)), slots
    assert {first.pid, second.pid} >= {int(tick[2]) for tick in marks}


async def test_a_killed_workers_task_runs_again_on_another_worker(tmp_path):
    async with deployment(tmp_path) as (deploy, _redis):
        doomed = deploy.start_worker()
        await deploy.ready(doomed)
        queue = deploy.client()
        await queue.enqueue("tests.record", mark="k1", hold_s=600, once=True)
        await deploy.until(lambda m: ["start", "k1", str(doomed.pid)] in m, "the first start")
        survivor = deploy.start_worker()
        await deploy.ready(survivor)

        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        marks = await deploy.until(lambda m: any(x[0] == "done" for x in m), "a finish")
        await queue.close()
        assert survivor.poll() is None

    assert marks == [
        ["start", "k1", str(doomed.pid)],
        ["start", "k1", str(survivor.pid)],
        ["done", "k1", str(survivor.pid)],
    ]
    assert "runs again here" in deploy.log_of(survivor)


async def test_sigterm_lets_a_running_task_finish_and_takes_no_more(tmp_path):
    async with deployment(tmp_path) as (deploy, _redis):
        worker = deploy.start_worker(worker_grace_s="60")
        await deploy.ready(worker)
        queue = deploy.client()
        await queue.enqueue("tests.record", mark="t1", hold_s=3)
        await deploy.until(lambda m: len(m) == 1, "the start")

        worker.send_signal(signal.SIGTERM)
        await deploy.ready(worker, "worker stopping")
        await queue.enqueue("tests.record", mark="t2")
        exit_code = await asyncio.to_thread(worker.wait, 60)
        waiting, running = await queue.depth()
        await queue.close()

    assert exit_code == 0, deploy.log_of(worker)
    assert read_marks(deploy.marks) == [
        ["start", "t1", str(worker.pid)],
        ["done", "t1", str(worker.pid)],
    ]
    assert (waiting, running) == (1, 0)


async def test_a_task_past_the_grace_period_is_left_to_another_worker(tmp_path):
    async with deployment(tmp_path) as (deploy, _redis):
        leaving = deploy.start_worker(worker_grace_s="1")
        await deploy.ready(leaving)
        queue = deploy.client()
        await queue.enqueue("tests.record", mark="g1", hold_s=600, once=True)
        await deploy.until(lambda m: len(m) == 1, "the start")

        leaving.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(leaving.wait, 60)
        assert read_marks(deploy.marks) == [["start", "g1", str(leaving.pid)]]
        taking_over = deploy.start_worker()
        marks = await deploy.until(lambda m: any(x[0] == "done" for x in m), "a finish")
        await queue.close()

    assert exit_code == 0, deploy.log_of(leaving)
    assert marks == [
        ["start", "g1", str(leaving.pid)],
        ["start", "g1", str(taking_over.pid)],
        ["done", "g1", str(taking_over.pid)],
    ]


async def test_enqueue_with_redis_paused_or_down_is_a_retryable_error(tmp_path):
    async with deployment(tmp_path) as (deploy, redis):
        queue = deploy.client()
        await queue.enqueue("tests.record", mark="before")
        redis.send_signal(signal.SIGSTOP)
        with pytest.raises(BackgroundUnavailable):
            await queue.enqueue("tests.record", mark="paused")
        redis.send_signal(signal.SIGCONT)
        await queue.enqueue("tests.record", mark="again")  # retrying works once Redis answers
        # The unconfirmed send still landed when Redis woke up: at least once, never lost
        # silently (which is why a task must be idempotent).
        assert await queue.depth() == (3, 0)

        redis.kill()
        redis.wait()

        for _ in range(3):
            with pytest.raises(BackgroundUnavailable) as refused:
                await queue.enqueue("tests.record", mark="after")
            assert refused.value.retryable is True
            assert refused.value.code.value == "UNAVAILABLE"
        await queue.close()


async def test_readyz_reports_the_queue_and_its_redis_going_down(tmp_path):
    async with (
        deployment(tmp_path) as (deploy, redis),
        serving(deploy.env, tmp_path / "server.log") as (_server, http),
    ):
        before = (await http.get("/readyz")).json()
        redis.kill()
        redis.wait()
        after = await http.get("/readyz")

    assert before["queue"] == {
        "status": "ok",
        "backend": "redis",
        "waiting": 0,
        "running": 0,
        "worker_in_process": False,
    }
    assert after.status_code == 200  # degraded, still ready: the API answers without the queue
    assert (after.json()["status"], after.json()["queue"]["status"]) == ("degraded", "unavailable")


async def test_a_task_that_kills_its_workers_is_dropped_after_the_set_deliveries(tmp_path):
    async with deployment(tmp_path) as (deploy, _redis):
        deploy.env["MODELSERVE_QUEUE_MAX_DELIVERIES"] = "2"
        queue = deploy.client()
        await queue.enqueue("tests.crash", mark="c1")
        killed = []
        for _ in range(2):
            worker = deploy.start_worker()
            await asyncio.to_thread(worker.wait, 60)
            killed.append(worker)
        last = deploy.start_worker()
        await deploy.ready(last, "dropped")
        # What else the dead workers held (their start-up sweep) runs on the last one.
        for _ in range(300):
            if (depth := await queue.depth()) == (0, 0):
                break
            await asyncio.sleep(0.1)
        await queue.close()
        assert last.poll() is None

    assert [worker.returncode for worker in killed] == [-signal.SIGKILL, -signal.SIGKILL]
    assert read_marks(deploy.marks) == [["start", "c1", str(w.pid)] for w in killed]
    assert "task tests.crash dropped: its worker died 2 times" in deploy.log_of(last)
    assert depth == (0, 0)


async def test_worker_metrics_count_runs_failures_and_the_queue(tmp_path):
    async with deployment(tmp_path) as (deploy, _redis):
        queue = deploy.client()
        await queue.enqueue("tests.record", mark="m1")
        await queue.enqueue("tests.fail", mark="m2")
        port = free_port()
        worker = deploy.start_worker("--metrics-port", str(port), worker_concurrency="1")
        await deploy.until(lambda m: m.count(["fail", "m2", str(worker.pid)]) == 2, "two tries")
        await queue.enqueue("tests.record", mark="m3", hold_s=600)
        await deploy.until(lambda m: ["start", "m3", str(worker.pid)] in m, "the third task")
        # One slot, held by the third task: the fourth waits behind it (and so does any
        # scheduled entry that comes due meanwhile, so "waiting" is at least one).
        await queue.enqueue("tests.record", mark="m4")
        async with httpx.AsyncClient(timeout=10) as http:
            scraped, depth = "", {}
            for _ in range(100):
                scraped = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                depth = dict(DEPTH.findall(scraped))
                if depth.get("running") == "1.0" and float(depth.get("waiting", 0)) >= 1:
                    break
                await asyncio.sleep(0.2)
        await queue.close()

    assert 'modelserve_background_tasks_total{outcome="ok",task="tests.record"} 1.0' in scraped
    assert 'modelserve_background_tasks_total{outcome="failed",task="tests.fail"} 2.0' in scraped
    assert depth["running"] == "1.0", scraped
    assert float(depth["waiting"]) >= 1, scraped


async def test_a_worker_outlives_a_redis_restart_that_lost_everything(tmp_path):
    async with deployment(tmp_path) as (deploy, redis):
        worker = deploy.start_worker()
        await deploy.ready(worker)
        queue = deploy.client()
        await queue.enqueue("tests.record", mark="r1")
        await deploy.until(lambda m: ["done", "r1", str(worker.pid)] in m, "the first task")
        port = int(deploy.env["MODELSERVE_QUEUE_URL"].rsplit(":", 1)[1].split("/")[0])
        redis.kill()
        redis.wait()
        await deploy.ready(worker, "the queue's Redis is unavailable")

        with restarted_redis(tmp_path, port):
            await queue.enqueue("tests.record", mark="r2")
            await deploy.until(lambda m: ["done", "r2", str(worker.pid)] in m, "after the restart")
            await queue.close()
            assert worker.poll() is None


@contextlib.contextmanager
def restarted_redis(workdir: Path, port: int) -> Iterator[None]:
    """A new, empty Redis on ``port`` (the old one's data is gone, consumer group included)."""
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_port(port)
        yield
    finally:
        proc.kill()
        proc.wait()
