"""The deployment under load: its own Redis, a fresh PostgreSQL database (or one SQLite file),
two ``modelserve serve`` processes and one ``modelserve worker``, sharing one artifact directory."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.procs import BenchError, Processes, free_port, tail, wait_ready
from bench.run import _modelserve, _pg_execute

APIS = ("api-a", "api-b")


def say(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", flush=True)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def service_env(database_url: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSERVE_")}
    env.update(
        {
            # Locked down as in production: a real secret, no GraphiQL, no introspection.
            "MODELSERVE_ENVIRONMENT": "production",
            "MODELSERVE_SECRET_KEY": secrets.token_urlsafe(48),
            "MODELSERVE_DATABASE_URL": database_url,
            "MODELSERVE_REDIS_URL": redis_url,
            # One artifact directory for every process: what the worker reads the API wrote.
            "MODELSERVE_DATA_DIR": str(data_dir),
            # Every simulated user comes from 127.0.0.1: the per-address limits on sign-ups and
            # sign-ins (made against one attacker's address) would refuse the crowd.
            "MODELSERVE_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE": "1000000",
            "MODELSERVE_REGISTER_PER_IP_PER_HOUR": "1000000",
        }
    )
    return env


async def _create_database(admin: str, name: str) -> str:
    """Create ``name``; return the server's version."""
    import asyncpg

    conn = await asyncio.wait_for(asyncpg.connect(admin), timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"', timeout=60)
        return await conn.fetchval("SHOW server_version", timeout=10)
    finally:
        await conn.close(timeout=10)


class Deployment:
    """Every process of the deployment; ``cleanup`` drops what outlives them (the database)."""

    def __init__(self, procs: Processes, work: Path, notes: list[str]) -> None:
        self.procs = procs
        self.work = work
        self.notes = notes
        self.logs = work / "logs"
        self.logs.mkdir()
        self.cleanups: list = []
        self.processes: dict[str, subprocess.Popen] = {}
        self.hosts: list[str] = []
        self.redis_pid: int | None = None
        self.versions: dict[str, str | None] = {"postgres_server": None, "redis_server": None}

    def start_redis(self) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            raise BenchError("redis-server not found: apt-get install -y redis-server")
        port = free_port()
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        proc = self.procs.start([*argv, "no"], log=self.logs / "redis.log")
        self.redis_pid = proc.pid
        url = f"redis://127.0.0.1:{port}/0"
        import redis

        deadline = time.monotonic() + 20
        while True:
            try:
                client = redis.Redis.from_url(url, socket_timeout=2)
                self.versions["redis_server"] = client.info()["redis_version"]
                client.close()
                return url
            except redis.RedisError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = tail(self.logs / "redis.log")
                    raise BenchError(f"redis-server did not start\n{log}") from None
                time.sleep(0.1)

    def create_database(self, admin: str) -> str:
        name = f"modelserve_load_{secrets.token_hex(4)}"
        try:
            self.versions["postgres_server"] = asyncio.run(_create_database(admin, name))
        except Exception as exc:
            raise BenchError(
                f"cannot create a database through {admin}: {type(exc).__name__}: {exc}"
            ) from None
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        self.cleanups.append(("drop database", lambda: asyncio.run(_pg_execute(admin, drop))))
        say(f"PostgreSQL {self.versions['postgres_server']}: database {name} created")
        return urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))

    def start(self, env: dict[str, str], *, pin: bool = True) -> None:
        code, out, err = self.procs.run(
            [str(_modelserve()), "migrate"], env=env, timeout=180, cwd=self.work
        )
        if code != 0:
            raise BenchError(f"modelserve migrate failed (exit {code}):\n{out}\n{err}")
        cores = sorted(os.sched_getaffinity(0))
        if not pin:
            self.notes.append("API processes not pinned (--no-pin): the scheduler places them")
        elif shutil.which("taskset") is None or len(cores) < 2:
            pin = False
            self.notes.append("API processes not pinned (taskset or a second core missing)")
        for i, name in enumerate(APIS):
            port = free_port()
            log = self.logs / f"{name}.log"
            argv = [str(_modelserve()), "serve", "--host", "127.0.0.1", "--port", str(port)]
            core = cores[i % len(cores)] if pin else None
            self.processes[name] = self.procs.start(argv, env=env, cpu=core, log=log, cwd=self.work)
            self.hosts.append(f"http://127.0.0.1:{port}")
            say(f"{name}: modelserve serve on 127.0.0.1:{port}" + (f", core {core}" if pin else ""))
        log = self.logs / "worker.log"
        worker = self.procs.start([str(_modelserve()), "worker"], env=env, log=log, cwd=self.work)
        self.processes["worker"] = worker
        for name, host in zip(APIS, self.hosts, strict=True):
            wait_ready(f"{host}/readyz", self.processes[name], self.logs / f"{name}.log")
        if worker.poll() is not None:
            raise BenchError(f"the worker exited with {worker.returncode}\n{tail(log)}")
        say("two API processes ready, worker running")

    def sample(self) -> dict:
        return {
            "t": time.time(),
            "rss_mb": {name: rss_mb(p.pid) for name, p in self.processes.items()},
        }

    def stop(self, results: Path) -> None:
        """Stop the servers and the worker; keep their logs with the results."""
        for name, proc in self.processes.items():
            self.procs.stop(proc)
            shutil.copy(self.logs / f"{name}.log", results / f"{name}.log")

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                log = tail(self.logs / f"{name}.log")
                raise BenchError(f"{name} exited with {proc.returncode}\n{log}")

    def cleanup(self) -> None:
        for what, fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as exc:
                print(f"load: cleanup ({what}) failed: {exc!r}", flush=True)
        self.cleanups.clear()
