"""Fault figures of a real server: login and setAlias with Redis paused, /healthz during a login
burst. Starts its own redis-server and server (embedded SQLite) on free ports, prints the figures.

    .venv/bin/python -m bench.faults [--logins 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long enough password"
LOGIN = (
    'mutation { login(input: {email: "ada@example.com", '
    f'password: "{PASSWORD}"}}) {{ __typename }} }}'
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _gql(http: httpx.AsyncClient, query: str, **kw: object) -> dict:
    return (await http.post("/graphql", json={"query": query}, **kw)).json()  # type: ignore[arg-type]


async def _timed(coro: object) -> float:
    started = time.perf_counter()
    await coro  # type: ignore[misc]
    return time.perf_counter() - started


async def _setup(http: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    for _ in range(300):
        try:
            if (await http.get("/healthz")).status_code == 200:
                break
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    await _gql(
        http,
        f'mutation {{ register(input: {{email: "ada@example.com", password: "{PASSWORD}"}}) '
        "{ __typename } }",
    )
    login = await _gql(http, LOGIN.replace("__typename", "... on AuthPayload { accessToken }"))
    headers = {
        "Authorization": f"Bearer {login['data']['login']['accessToken']}",
        "X-ModelServe-CSRF": "1",
    }
    created = await _gql(
        http,
        'mutation { createModel(input: {name: "iris"}) { ... on ModelSuccess { model { id } } } }',
        headers=headers,
    )
    model_id = created["data"]["createModel"]["model"]["id"]
    sys.path.insert(0, str(ROOT))
    from tests import factories

    operations = {
        "query": "mutation($f: Upload!) { uploadModelVersion(input: "
        f'{{modelId: "{model_id}", file: $f}}) {{ ... on UploadModelVersionSuccess '
        "{ version { id } } } }",
        "variables": {"f": None},
    }
    uploaded = await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
        files={"0": ("m.skops", factories.skops_bytes(factories.logistic_regression()))},
        headers=headers,
    )
    version_id = uploaded.json()["data"]["uploadModelVersion"]["version"]["id"]
    set_alias = (
        f'mutation {{ setAlias(input: {{modelId: "{model_id}", alias: "production", '
        f'versionId: "{version_id}"}}) {{ __typename }} }}'
    )
    return headers, set_alias


# The prober is its own process, so the login load's client does not slow the probes it times:
# it asks for /healthz every 10 ms until its standard input closes, then prints the latencies.
PROBE = """
import http.client, json, select, sys, time
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
seen = []
while not select.select([sys.stdin], [], [], 0)[0]:
    started = time.perf_counter()
    conn.request("GET", "/healthz")
    conn.getresponse().read()
    seen.append(time.perf_counter() - started)
    time.sleep(0.01)
print(json.dumps(seen))
"""


async def _healthz_during_logins(http: httpx.AsyncClient, port: int, logins: int) -> list[float]:
    prober = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PROBE,
        str(port),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    await asyncio.sleep(0.2)
    await asyncio.gather(*(_gql(http, LOGIN) for _ in range(logins)))
    out, _ = await prober.communicate(b"")
    return json.loads(out)


async def measure(port: int, redis: subprocess.Popen[bytes], logins: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        headers, set_alias = await _setup(http)
        login_ok = await _timed(_gql(http, LOGIN))
        redis.send_signal(signal.SIGSTOP)
        login_paused = await _timed(_gql(http, LOGIN))
        alias_paused = await _timed(_gql(http, set_alias, headers=headers))
        ready = await http.get("/readyz")
        redis.send_signal(signal.SIGCONT)
        await asyncio.sleep(3)
        idle = [await _timed(http.get("/healthz")) for _ in range(20)]
        burst = await _healthz_during_logins(http, port, logins)
    print(f"login, Redis up:                {login_ok * 1000:8.1f} ms")
    print(f"login, Redis paused:            {login_paused * 1000:8.1f} ms")
    print(f"setAlias, Redis paused:         {alias_paused * 1000:8.1f} ms")
    print(f"/readyz, Redis paused:          {ready.status_code} {ready.json()['status']}")
    print(f"/healthz idle, median:          {statistics.median(idle) * 1000:8.1f} ms")
    ranked = sorted(burst)
    p99 = ranked[min(len(ranked) - 1, int(len(ranked) * 0.99))]
    print(
        f"/healthz during {logins} logins:    median {statistics.median(burst) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, max {ranked[-1] * 1000:.1f} ms over {len(burst)} probes"
    )


def run(logins: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="modelserve-bench-faults-"))
    redis_port, port = _free_port(), _free_port()
    redis = subprocess.Popen(
        [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(redis_port),
         "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSERVE_")}
    env |= {
        "MODELSERVE_DATA_DIR": str(workdir / "var"),
        "MODELSERVE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "MODELSERVE_LOG_LEVEL": "ERROR",
        # Generous login limits: the burst must measure hashing, not the rate limiter.
        "MODELSERVE_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE": "100000",
        "MODELSERVE_LOGIN_FAILURES_PER_ACCOUNT": "100000",
    }
    # The server on one core, this client on the other, as the serving benchmark runs.
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []
    if pin:
        os.sched_setaffinity(0, {1})
    server = subprocess.Popen(
        [*pin, sys.executable, "-m", "graph.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        asyncio.run(measure(port, redis, logins))
    finally:
        server.kill()
        server.wait()
        redis.send_signal(signal.SIGCONT)
        redis.kill()
        redis.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=40)
    run(parser.parse_args().logins)


if __name__ == "__main__":
    main()
