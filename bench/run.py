"""ModelServe benchmark (issues 4 and 13): ``python -m bench.run [--backend embedded|postgres]
[--quick]``.

In one run, on the reference model, it measures

* the service (one ``modelserve serve`` process, pinned to one core) through GraphQL with a real
  access token and prediction logging on, with the scikit-learn runtime and then the compiled
  (onnx) one: single-row ``predict`` queries at concurrency 1, 16 and 64, and 1000-row
  ``predictBatch`` queries;
* (b) a minimal Starlette + uvicorn JSON endpoint calling ``predict`` inline
  (``bench/baseline.py``), pinned the same way, with the same loads;
* (a) the model called in-process in a tight loop (one row, 1000 rows);
* the same service over its v2 REST route with MLServer's bodies (JSON, binary tensors), the c64
  load over two API processes (PostgreSQL + Redis), and 50 small models in one fresh process;
* the peers ``make bench-peers`` built (MLServer with adaptive batching, LitServe with batching:
  ``bench/peers.py``), pinned and loaded the same way;

prints a table and the ratios of issues 4 and 13 with PASS/FAIL, and writes
``bench/results/<ts>.json``.
The load generator (wrk, else an asyncio + httpx one) runs on the other core.

Exit status: 0 every target met, 3 a target missed, 2 the prediction API is not in the build under
test, 1 the benchmark itself failed, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from bench import cpu, reference, report, subjects
from bench.loadgen import (
    LoadResult,
    Pending,
    start_python,
    start_wrk,
    write_bodies,
    write_wrk_script,
)
from bench.procs import BenchError, Processes, free_port, guarded, tail, wait_ready
from bench.service import (
    ApiUnavailable,
    Deployment,
    GraphQL,
    graphql_errors,
    predict_batch_query,
    predict_query,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CONCURRENCIES = (1, 16, 64)
SINGLE_BODIES = 256  # distinct single-row bodies, sent in turn
BATCH_BODIES = 4  # distinct batch bodies, sent in turn
OTHER_LOAD_WARN_PCT = 5.0  # other processes' share of the server core that makes a run suspect
IDLE_BUSY_PCT = 10.0  # a core busier than this (before we start anything) is not idle
CHECK_REQUESTS = 5  # sampled before every load run: status, no errors, right labels and runtime
RUNTIME_SWITCH_TIMEOUT_S = 15.0
DEFAULT_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
PREDICTION_UNITS_PER_MINUTE = 100_000  # the setting's maximum


@dataclass
class Endpoint:
    """One server under load: where to POST, how to read an answer, and what to expect."""

    name: str
    url: str
    single_bodies: list[str]  # empty: a batch-only endpoint
    batch_bodies: list[str] | list[bytes]
    single_labels: list[list[str]]
    batch_labels: list[list[str]]
    read_single: object  # (json) -> (labels, runtime)
    read_batch: object
    runtime: str | None = None  # expected ``runtime`` in the answers
    headers: dict[str, str] = field(default_factory=dict)
    relogin: object = None  # () -> headers, called before every load run (fresh access token)
    pgid: int | None = None  # the server's process group, for its CPU time
    # A feature the server may lack: every check refused reads "not supported", not a failure.
    optional_feature: str | None = None


def _service_single(body: dict) -> tuple[list, str | None]:
    answer = body["data"]["predict"]
    return [p["value"] for p in answer["predictions"]], answer.get("runtime")


def _service_batch(body: dict) -> tuple[list, str | None]:
    answer = body["data"]["predictBatch"]
    return list(answer["predictions"]), answer.get("runtime")


def _baseline(body: dict) -> tuple[list, str | None]:
    return list(body["predictions"]), None


class Bench:
    def __init__(self, args: argparse.Namespace, procs: Processes, work: Path) -> None:
        self.args = args
        self.procs = procs
        self.work = work
        self.notes: list[str] = []
        self.generator = "wrk"
        self.wrk: str | None = None
        self.cleanups: list = []
        self.busy: list[str] = []  # load runs during which other processes used the server core

    # --- helpers ------------------------------------------------------------------------------

    def say(self, message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)

    def choose_generator(self) -> None:
        wanted = self.args.loadgen
        wrk = shutil.which("wrk")
        if (
            wrk is None
            and wanted in ("auto", "wrk")
            and os.geteuid() == 0
            and shutil.which("apt-get")
        ):
            self.say("wrk not found; installing it with apt-get (running as root)")
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            code, _, err = self.procs.run(
                ["apt-get", "install", "-y", "-qq", "wrk"], timeout=300, env=env
            )
            if code != 0:
                self.procs.run(["apt-get", "update", "-qq"], timeout=300, env=env)
                code, _, err = self.procs.run(
                    ["apt-get", "install", "-y", "-qq", "wrk"], timeout=300, env=env
                )
            wrk = shutil.which("wrk")
            if wrk is None:
                self.say(f"could not install wrk: {err.strip()[-300:]}")
        if wanted == "wrk" and wrk is None:
            raise BenchError("--loadgen wrk: wrk is not installed")
        if wanted == "python" or wrk is None:
            self.generator = "python-httpx"
            self.notes.append(
                "Load generator: asyncio + httpx (wrk unavailable or not chosen). It may be the "
                "bottleneck at high request rates: treat high req/s figures as lower bounds."
            )
        else:
            self.wrk = wrk
        self.say(f"load generator: {self.generator}")

    def load(
        self, endpoint: Endpoint, bodies: list[str], concurrency: int, duration: float, tag: str
    ) -> LoadResult:
        return self.start_load(endpoint, bodies, concurrency, duration, tag).finish(self.procs)

    def start_load(
        self,
        endpoint: Endpoint,
        bodies: list[str] | list[bytes],
        concurrency: int,
        duration: float,
        tag: str,
        pinned: bool = True,
    ) -> Pending:
        """Start the load generator on ``endpoint``, on the client core if ``pinned``."""
        cpu = self.args.client_cpu if pinned else None
        bodies_path = self.work / f"{endpoint.name}-{tag}.bodies"
        if not bodies_path.exists():
            write_bodies(bodies_path, bodies)
        headers = {"content-type": "application/json", **endpoint.headers}
        url = endpoint.url
        if self.wrk is not None:
            script = write_wrk_script(
                self.work / f"load-{endpoint.name}-{tag}.lua",
                bodies_path,
                urlsplit(url).path,
                headers,
            )
            return start_wrk(self.procs, self.wrk, url, script, concurrency, duration, cpu)
        return start_python(self.procs, url, bodies_path, headers, concurrency, duration, cpu)

    def check(self, endpoint: Endpoint, batch: bool) -> dict:
        """A few requests from Python: HTTP 200, no ``errors``, the local model's labels, the
        expected runtime. Returns counts; raises ApiUnavailable when the API is missing."""
        bodies = endpoint.batch_bodies if batch else endpoint.single_bodies
        labels = endpoint.batch_labels if batch else endpoint.single_labels
        read = endpoint.read_batch if batch else endpoint.read_single
        headers = {"content-type": "application/json", **endpoint.headers}
        out = {"requests": 0, "errors": 0, "mismatched_rows": 0, "runtimes": [], "problems": []}
        with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as client:
            for i in range(CHECK_REQUESTS):
                k = i % len(bodies)
                out["requests"] += 1
                try:
                    response = client.post(endpoint.url, content=bodies[k], headers=headers)
                except httpx.HTTPError as exc:
                    out["errors"] += 1
                    out["problems"].append(f"{type(exc).__name__}: {exc}")
                    continue
                try:
                    body = response.json()
                except ValueError:
                    out["errors"] += 1
                    first = (response.text.strip().splitlines() or [""])[0][:120]
                    out["problems"].append(f"HTTP {response.status_code}, not JSON: {first!r}")
                    continue
                if isinstance(body, dict) and body.get("errors"):
                    error = graphql_errors(body["errors"], f"{endpoint.name} check")
                    if isinstance(error, ApiUnavailable):
                        raise error
                    out["errors"] += 1
                    out["problems"].append(f"HTTP {response.status_code}: {error}")
                    continue
                if response.status_code != 200:
                    out["errors"] += 1
                    out["problems"].append(f"HTTP {response.status_code}: {response.text[:200]}")
                    continue
                try:
                    got, runtime = read(body)
                except (KeyError, TypeError) as exc:
                    out["errors"] += 1
                    out["problems"].append(f"unexpected answer ({exc!r}): {str(body)[:200]}")
                    continue
                out["runtimes"].append(runtime)
                got = [reference.label(v) for v in got]
                if len(got) != len(labels[k]):
                    out["errors"] += 1
                    out["problems"].append(f"{len(got)} predictions for {len(labels[k])} rows")
                    continue
                out["mismatched_rows"] += sum(a != b for a, b in zip(got, labels[k], strict=True))
        for problem in out["problems"][:3]:
            self.say(f"  check problem ({endpoint.name}): {problem}")
        if out["mismatched_rows"]:
            self.say(
                f"  WARNING {endpoint.name}: {out['mismatched_rows']} predicted labels differ "
                "from the in-process model's"
            )
        return out

    def wait_runtime(self, endpoint: Endpoint) -> None:
        """After a runtime switch, sample until answers report the expected runtime (bounded)."""
        deadline = time.monotonic() + RUNTIME_SWITCH_TIMEOUT_S
        seen: list = []
        while time.monotonic() < deadline:
            result = self.check(endpoint, batch=False)
            seen = result["runtimes"]
            if seen and all(r == endpoint.runtime for r in seen):
                return
            time.sleep(0.5)
        raise BenchError(
            f"{endpoint.name}: answers report runtime {sorted(set(map(str, seen)))}, "
            f"expected {endpoint.runtime!r} within {RUNTIME_SWITCH_TIMEOUT_S:.0f} s"
        )

    def measure(self, endpoint: Endpoint) -> dict:
        """c1, c16, c64 single rows and the batches: check, warm up, measure (only the batches
        for an endpoint without single-row bodies)."""
        a = self.args
        out: dict = {"checks": [], "warmup_errors": 0, "check_errors": 0, "mismatched_rows": 0}
        phases = [(f"c{c}", False, c) for c in CONCURRENCIES] if endpoint.single_bodies else []
        phases.append(("batch", True, a.batch_concurrency))
        for tag, batch, concurrency in phases:
            if endpoint.relogin is not None:
                endpoint.headers = endpoint.relogin()
            check = self.check(endpoint, batch)
            if endpoint.optional_feature and check["errors"] == check["requests"]:
                reason = (check["problems"] or ["refused"])[0][:200]
                failed = f"{endpoint.optional_feature} not supported (checks answered {reason})"
                self.say(f"  {endpoint.name}: {failed}")
                return {"failed": failed}
            if endpoint.runtime is not None and any(
                r != endpoint.runtime for r in check["runtimes"]
            ):
                raise BenchError(
                    f"{endpoint.name}: runtime changed during the run: {check['runtimes']}"
                )
            out["checks"].append({"phase": tag, **check})
            out["check_errors"] += check["errors"]
            out["mismatched_rows"] += check["mismatched_rows"]
            bodies = endpoint.batch_bodies if batch else endpoint.single_bodies
            kind = "batch" if batch else "single"
            if a.warmup > 0:
                warm = self.load(endpoint, bodies, concurrency, a.warmup, kind)
                out["warmup_errors"] += warm.errors
            before = cpu.snapshot(a.server_cpu, endpoint.pgid)
            result = self.load(endpoint, bodies, concurrency, a.duration, kind)
            entry = result.to_dict()
            entry.update(cpu.usage(before, cpu.snapshot(a.server_cpu, endpoint.pgid)))
            other = entry.get("unexplained_on_server_core_pct", 0.0)
            if other > OTHER_LOAD_WARN_PCT:
                self.busy.append(f"{endpoint.name} {tag} ({other:.0f}%)")
            if batch:
                entry["rows_per_batch"] = a.batch_rows
                entry["rows_per_s"] = result.rps * a.batch_rows
            out[tag] = entry
            shown = f"{entry['rows_per_s']:,.0f} rows/s" if batch else f"{result.rps:,.0f} req/s"
            self.say(
                f"  {endpoint.name} {tag:>5}: {shown}, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, errors {result.errors}"
            )
            if result.errors and result.error_detail.get("first_error"):
                self.say(f"    first error: {result.error_detail['first_error'][:300]}")
        out["errors"] = (
            out["warmup_errors"] + out["check_errors"] + sum(out[t]["errors"] for t, _, _ in phases)
        )
        return out

    def wait_idle(self) -> dict:
        """Sample both cores; with ``--wait-idle S``, wait up to S seconds for them to be quiet."""
        a = self.args
        cores = sorted({a.server_cpu, a.client_cpu})
        deadline = time.monotonic() + a.wait_idle
        busy = cpu.cores_busy(cores)
        waited = False
        while max(busy.values()) > IDLE_BUSY_PCT and time.monotonic() < deadline:
            if not waited:
                self.say(f"cores busy {busy} %: waiting up to {a.wait_idle:g} s for them to idle")
                waited = True
            busy = cpu.cores_busy(cores, interval=2.0)
        if max(busy.values()) > IDLE_BUSY_PCT:
            self.notes.append(f"the machine was busy when the run started (cores {busy} %)")
        return {"busy_at_start_pct": busy}

    # --- the data -----------------------------------------------------------------------------

    def prepare_model(self) -> None:
        self.say("fitting the reference model (RandomForestClassifier, 100 trees, depth 10)")
        import numpy as np

        model, X = reference.build()
        self.model_bytes = reference.to_skops(model)
        self.model_path = self.work / "ref.skops"
        self.model_path.write_bytes(self.model_bytes)
        # What ModelServe, MLServer and LitServe are given: the same joblib bytes.
        self.joblib_bytes = subjects.to_joblib(model)
        self.model_joblib = self.work / "ref.joblib"
        self.model_joblib.write_bytes(self.joblib_bytes)
        # Serve what a client gets back from the same bytes, not the object in memory.
        loaded = reference.load_skops(self.model_bytes)
        self.single_rows = reference.sample_rows(X, SINGLE_BODIES, seed=1)
        self.batch_rows = [
            reference.sample_rows(X, self.args.batch_rows, seed=2 + i) for i in range(BATCH_BODIES)
        ]
        single_pred = loaded.predict(np.asarray(self.single_rows, dtype=np.float64))
        self.single_labels = [[reference.label(v)] for v in single_pred.tolist()]
        self.batch_labels = [
            [reference.label(v) for v in loaded.predict(np.asarray(b, dtype=np.float64)).tolist()]
            for b in self.batch_rows
        ]
        self.rows_path = self.work / "rows.json"
        self.rows_path.write_text(
            json.dumps({"single": self.single_rows, "batches": self.batch_rows})
        )

    def rows_bodies(self, query: str | None, rows: list) -> str:
        if query is None:
            return json.dumps({"rows": rows}, separators=(",", ":"))
        return json.dumps({"query": query, "variables": {"rows": rows}}, separators=(",", ":"))

    # --- the three subjects -------------------------------------------------------------------

    def service_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSERVE_")}
        env["MODELSERVE_DATA_DIR"] = str(self.work / "data")
        # The caller's budgets at their highest: still checked on every request, but a load of
        # ~1,600 req/s (and the memory row's 50 uploads) fits in them. Past that rate a run
        # sees RATE_LIMITED answers, counted as errors.
        env["MODELSERVE_PREDICTION_UNITS_PER_MINUTE"] = str(PREDICTION_UNITS_PER_MINUTE)
        env["MODELSERVE_UPLOADS_PER_HOUR"] = str(4 * subjects.MEMORY_MODELS)
        if self.args.backend == "postgres":
            env["MODELSERVE_DATABASE_URL"] = self.database_url
            env["MODELSERVE_REDIS_URL"] = self.args.redis_url
        return env

    def setup_postgres(self) -> None:
        admin = self.args.postgres_admin_url
        name = f"modelserve_bench_{secrets.token_hex(4)}"
        parts = urlsplit(admin)
        self.database_url = urlunsplit(parts._replace(path=f"/{name}"))
        self.say(f"PostgreSQL: creating database {name}; Redis: {self.args.redis_url} (flushed)")
        try:
            asyncio.run(_pg_execute(admin, f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            raise BenchError(
                f"cannot create a database through {admin}: {type(exc).__name__}: {exc}\n"
                "Start PostgreSQL (pg_ctlcluster --skip-systemctl-redirect <version> main start) "
                "or pass --postgres-admin-url."
            ) from None
        self.cleanups.append(
            (
                "drop database",
                lambda: asyncio.run(
                    _pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                ),
            )
        )
        try:
            _redis_flush(self.args.redis_url)
        except Exception as exc:
            raise BenchError(
                f"cannot reach Redis at {self.args.redis_url}: {type(exc).__name__}: {exc}\n"
                'Start it (redis-server --daemonize yes --bind 127.0.0.1 --save "") or pass '
                "--redis-url."
            ) from None
        self.cleanups.append(("flush redis", lambda: _redis_flush(self.args.redis_url)))
        code, out, err = self.procs.run(
            [str(_modelserve()), "migrate"], env=self.service_env(), timeout=180, cwd=self.work
        )
        if code != 0:
            raise BenchError(f"modelserve migrate failed (exit {code}):\n{out}\n{err}")
        self.say(f"  migrate: {out.strip()}")

    def run_service(self, results: dict) -> None:
        """Start the service, deploy the model, measure both runtimes into ``results`` (what was
        measured stays there if a later step fails)."""
        a = self.args
        if a.backend == "postgres":
            self.setup_postgres()
        port = free_port()
        log = self.work / "service.log"
        self.say(f"starting the service ({a.backend}) on 127.0.0.1:{port}, core {a.server_cpu}")
        proc = self.procs.start(
            [str(_modelserve()), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=self.service_env(),
            cpu=a.server_cpu,
            log=log,
            cwd=self.work,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(f"{base}/readyz", proc, log)
            gql = GraphQL(f"{base}/graphql")
            try:
                deployment = gql.deploy(self.joblib_bytes, "ref.joblib")
                self.say(
                    f"  deployed {deployment.ref} (version {deployment.version_id}, serving "
                    f"{deployment.serving_format}, compiledAvailable "
                    f"{deployment.compiled_available})"
                )
                results["deployment"] = {
                    "ref": deployment.ref,
                    "serving_format": deployment.serving_format,
                    "compiled_available": deployment.compiled_available,
                }
                for runtime, compiled in (("sklearn", False), ("onnx", True)):
                    name = f"service-{runtime}"
                    if compiled and not deployment.compiled_available:
                        results[name] = {
                            "failed": "compiledAvailable is false for the reference "
                            "model: no compiled runtime to measure"
                        }
                        self.say(f"  {name}: {results[name]['failed']}")
                        continue
                    gql.set_runtime(deployment, use_compiled=compiled)
                    endpoint = self.service_endpoint(
                        name, f"{base}/graphql", gql, deployment, runtime, proc.pid
                    )
                    self.wait_runtime(endpoint)
                    self.say(f"measuring {name}")
                    results[name] = self.measure(endpoint)
                self.run_service_extras(results, base, gql, deployment, proc, endpoint)
            finally:
                gql.close()
        except ApiUnavailable:
            raise
        except BenchError:
            self.say(f"service log (last lines):\n{tail(log)}")
            raise
        finally:
            self.procs.stop(proc)
        if proc.returncode not in (0, -signal.SIGTERM, None):
            self.notes.append(f"the service exited with code {proc.returncode} when stopped")

    def run_service_extras(
        self,
        results: dict,
        base: str,
        gql: GraphQL,
        deployment: Deployment,
        proc: subprocess.Popen,
        graphql_endpoint: Endpoint,
    ) -> None:
        """The v2 REST rows (last runtime set: compiled when available) and the scaling figure,
        on the running service."""
        skip = set(self.args.skip)
        if "v2" not in skip:
            for endpoint in subjects.v2_endpoints(self, base, deployment, proc.pid):
                self.say(f"measuring {endpoint.name}")
                results[endpoint.name] = self.measure(endpoint)
        if "scaling" in skip:
            pass
        elif self.args.backend != "postgres":
            results["scaling"] = {
                "failed": "measured with --backend postgres (the embedded default is one replica)"
            }
        else:
            graphql_endpoint.headers = graphql_endpoint.relogin()
            results["scaling"] = subjects.scaling(self, graphql_endpoint, self.start_second_api)

    def start_api(self, cpu: int, tag: str) -> tuple[str, subprocess.Popen]:
        """Another API process on the same data, pinned to ``cpu``: its /graphql and the
        process (the caller stops it)."""
        port = free_port()
        log = self.work / f"service-{tag}.log"
        self.say(f"starting an API process ({tag}) on 127.0.0.1:{port}, core {cpu}")
        proc = self.procs.start(
            [str(_modelserve()), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=self.service_env(),
            cpu=cpu,
            log=log,
            cwd=self.work,
        )
        try:
            wait_ready(f"http://127.0.0.1:{port}/readyz", proc, log)
        except BaseException:
            self.procs.stop(proc)
            raise
        return f"http://127.0.0.1:{port}/graphql", proc

    def start_second_api(self) -> tuple[str, subprocess.Popen]:
        return self.start_api(self.args.client_cpu, "second")

    def run_memory(self) -> dict:
        url, proc = self.start_api(self.args.server_cpu, "memory")
        gql = GraphQL(url)
        try:
            return subjects.memory_row(self, gql, proc.pid)
        except BenchError as exc:
            self.say(f"memory row failed: {exc}")
            return {"failed": str(exc).splitlines()[0][:300]}
        finally:
            gql.close()
            self.procs.stop(proc)

    def service_endpoint(
        self, name: str, url: str, gql: GraphQL, deployment: Deployment, runtime: str, pgid: int
    ) -> Endpoint:
        single_q = predict_query(deployment.ref)
        batch_q = predict_batch_query(deployment.ref)

        def relogin() -> dict[str, str]:
            deployment.token = gql.login(deployment.email, deployment.password)
            return {"authorization": f"Bearer {deployment.token}"}

        return Endpoint(
            name=name,
            url=url,
            single_bodies=[self.rows_bodies(single_q, [r]) for r in self.single_rows],
            batch_bodies=[self.rows_bodies(batch_q, b) for b in self.batch_rows],
            single_labels=self.single_labels,
            batch_labels=self.batch_labels,
            read_single=_service_single,
            read_batch=_service_batch,
            runtime=runtime,
            headers={"authorization": f"Bearer {deployment.token}"},
            relogin=relogin,
            pgid=pgid,
        )

    def run_baseline(self) -> dict:
        a = self.args
        port = free_port()
        log = self.work / "baseline.log"
        self.say(f"starting the baseline (b) on 127.0.0.1:{port}, core {a.server_cpu}")
        env = {**os.environ, "BENCH_MODEL_PATH": str(self.model_path)}
        # uvicorn's defaults (uvloop, httptools, access log), as in `uvicorn bench.baseline:app`.
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.baseline:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        proc = self.procs.start(argv, env=env, cpu=a.server_cpu, log=log, cwd=ROOT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(f"{url}/healthz", proc, log)
            endpoint = Endpoint(
                name="baseline",
                url=f"{url}/predict",
                single_bodies=[self.rows_bodies(None, [r]) for r in self.single_rows],
                batch_bodies=[self.rows_bodies(None, b) for b in self.batch_rows],
                single_labels=self.single_labels,
                batch_labels=self.batch_labels,
                read_single=_baseline,
                read_batch=_baseline,
                pgid=proc.pid,
            )
            self.say("measuring baseline (b)")
            return self.measure(endpoint)
        except BenchError:
            self.say(f"baseline log (last lines):\n{tail(log)}")
            raise
        finally:
            self.procs.stop(proc)

    def run_floor(self) -> dict:
        """The frameworks' own cost (bench/floor.py): Strawberry and Starlette, no model."""
        a = self.args
        port = free_port()
        log = self.work / "floor.log"
        self.say(f"starting the framework floors on 127.0.0.1:{port}, core {a.server_cpu}")
        env = {
            **os.environ,
            "BENCH_MODEL_PATH": str(self.model_path),
            "BENCH_ROWS_PATH": str(self.rows_path),
        }
        # As `modelserve serve` runs: uvloop, httptools, no access log.
        argv = [sys.executable, "-m", "uvicorn", "bench.floor:app", "--no-access-log"]
        argv += ["--host", "127.0.0.1", "--port", str(port)]
        proc = self.procs.start(argv, env=env, cpu=a.server_cpu, log=log, cwd=ROOT)
        url = f"http://127.0.0.1:{port}"
        # (name, route, single-row query, batch query): GraphQL documents, or the
        # baseline's {"rows": ...} body when the queries are None.
        routes = [
            ("floor-graphql", "graphql", predict_query("floor"), predict_batch_query("floor")),
            ("floor-json", "json", None, None),
        ]
        endpoints = [
            Endpoint(
                name=name,
                url=f"{url}/{route}",
                single_bodies=[self.rows_bodies(single_q, [r]) for r in self.single_rows],
                batch_bodies=[self.rows_bodies(batch_q, b) for b in self.batch_rows],
                single_labels=self.single_labels,
                batch_labels=self.batch_labels,
                read_single=_service_single if single_q else _baseline,
                read_batch=_service_batch if batch_q else _baseline,
                pgid=proc.pid,
            )
            for name, route, single_q, batch_q in routes
        ]
        results: dict = {}
        try:
            wait_ready(f"{url}/healthz", proc, log)
            for endpoint in endpoints:
                self.say(f"measuring {endpoint.name}")
                results[endpoint.name] = self.measure(endpoint)
        except BenchError:
            self.say(f"floor log (last lines):\n{tail(log)}")
            raise
        finally:
            self.procs.stop(proc)
        return results

    def run_inprocess(self) -> dict:
        a = self.args
        self.say(f"measuring in-process (a) on core {a.server_cpu}")
        argv = [
            sys.executable,
            "-m",
            "bench.inprocess",
            str(self.model_path),
            str(self.rows_path),
            "--warmup",
            str(a.warmup),
            "--duration",
            str(a.duration),
        ]
        code, out, err = self.procs.run(
            argv, timeout=4 * (a.warmup + a.duration) + 120, cpu=a.server_cpu, cwd=ROOT
        )
        if code != 0:
            raise BenchError(f"the in-process measurement failed (exit {code}):\n{err[-2000:]}")
        data = json.loads(out.strip().splitlines()[-1])
        results = {"inprocess": data["sklearn"]}
        if data.get("onnx"):
            results["inprocess-onnx"] = data["onnx"]
        else:
            self.notes.append(f"in-process onnx row skipped: {data.get('onnx_error')}")
        for name, r in results.items():
            for phase in ("c1", "batch"):
                share = r[phase].get("cpu_share_pct")
                if share is not None and share < 100.0 - OTHER_LOAD_WARN_PCT:
                    self.busy.append(f"{name} {phase} (the loop got {share:.0f}% of the core)")
            self.say(
                f"  {name}: one row p50 {r['c1']['p50_ms']:.3f} ms, "
                f"{r['batch']['rows_per_s']:,.0f} rows/s in batches"
            )
        return results

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> int:
        a = self.args
        started = dt.datetime.now(dt.UTC)
        _pin_self(a.client_cpu, self.notes)
        self.machine = self.wait_idle()
        self.choose_generator()
        self.prepare_model()

        results: dict = {}
        api_error: str | None = None
        try:
            self.run_service(results)
        except ApiUnavailable as exc:
            api_error = str(exc)
            self.say(f"ERROR: {api_error}")
            self.say("measuring the baselines only; the run will fail")
        if "memory" not in self.args.skip and api_error is None:
            results["memory"] = self.run_memory()
        results["baseline"] = self.run_baseline()
        if "floor" not in self.args.skip:
            results.update(self.run_floor())
        if "peers" not in self.args.skip:
            subjects.run_peers(self, results)
        results.update(self.run_inprocess())
        if self.busy:
            self.notes.append(
                f"other processes (not the server, PostgreSQL or Redis) used more than "
                f"{OTHER_LOAD_WARN_PCT:g}% of the server core during: "
                + ", ".join(self.busy)
                + ". Figures from a busy machine are unreliable;"
                " rerun on an idle one."
            )
        if results["baseline"].get("errors"):
            self.notes.append("the baseline (b) had errors: its figures are not a fair reference")

        targets = report.targets(results)
        peer_targets = report.issue13_targets(results)
        table = report.table(results)
        versions = (results.get("peers") or {}).get("versions") or {}
        lines = [
            "",
            f"ModelServe benchmark: backend {a.backend}, {a.duration:g} s per load after "
            f"{a.warmup:g} s warm-up, generator {self.generator}, server on core {a.server_cpu}, "
            f"load on core {a.client_cpu}",
            "",
            table,
            "",
            report.extras_text(results),
            "",
            report.targets_text(targets, "Targets (issue 4; ratios to the baseline (b), this run)"),
            "",
        ]
        title = "Targets (issue 13; ratios to the best tuned peer per column, this run)"
        if not any(t["subject"] != "memory" for t in peer_targets):
            title += "; those against the peers not judged: no peer was measured"
        lines.append(report.targets_text(peer_targets, title))
        lines += [
            f"peer {name}: " + ", ".join(f"{k} {v}" for k, v in found.items())
            for name, found in versions.items()
        ]
        if api_error:
            lines += ["", f"FAILED: {api_error}"]
        lines += [f"note: {n}" for n in self.notes]
        text = "\n".join(lines)
        print(text, flush=True)

        judged = targets + peer_targets
        passed = api_error is None and bool(targets) and all(t["pass"] for t in judged)
        document = {
            "started_at": started.isoformat(),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(),
            "backend": a.backend,
            "settings": {
                "warmup_s": a.warmup,
                "duration_s": a.duration,
                "concurrencies": list(CONCURRENCIES),
                "batch_rows": a.batch_rows,
                "batch_concurrency": a.batch_concurrency,
                "server_cpu": a.server_cpu,
                "client_cpu": a.client_cpu,
                "generator": self.generator,
                "redis_url": a.redis_url if a.backend == "postgres" else None,
            },
            "environment": {**_environment(), **self.machine},
            "api_error": api_error,
            "results": results,
            "targets": targets,
            "issue13_targets": peer_targets,
            "passed": passed,
            "notes": self.notes,
            "table": text,
        }
        path = _write_results(started, document)
        print(f"results: {path.relative_to(ROOT)}", flush=True)
        if api_error:
            return 2
        return 0 if passed else 3

    def failed(self, exc: BenchError) -> int:
        return 2 if isinstance(exc, ApiUnavailable) else 1

    def cleanup(self) -> None:
        for what, fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as exc:
                print(
                    f"bench: cleanup ({what}) failed: {type(exc).__name__}: {exc}", file=sys.stderr
                )
        self.cleanups.clear()


async def _pg_execute(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncio.wait_for(asyncpg.connect(url), timeout=10)
    try:
        await conn.execute(statement, timeout=60)
    finally:
        await conn.close(timeout=10)


def _redis_flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def _modelserve() -> Path:
    path = Path(sys.executable).parent / "modelserve"
    if not path.exists():
        raise BenchError(f"{path} not found: install the project first (make install)")
    return path


def _pin_self(cpu: int, notes: list[str]) -> None:
    available = os.sched_getaffinity(0)
    if len(available) < 2:
        notes.append("fewer than two cores available: server and load share one core")
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {cpu})


def _environment() -> dict:
    env: dict = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                env["cpu_model"] = line.split(":", 1)[1].strip()
                break
    from importlib.metadata import PackageNotFoundError, version

    for pkg in (
        "scikit-learn",
        "numpy",
        "onnxruntime",
        "skl2onnx",
        "skops",
        "strawberry-graphql",
        "starlette",
        "uvicorn",
        "httpx",
    ):
        with contextlib.suppress(PackageNotFoundError):
            env[pkg] = version(pkg)
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        env["git_commit"] = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    return env


def _write_results(started: dt.datetime, document: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}.json"
    n = 1
    while path.exists():
        path = RESULTS / f"{stamp}-{n}.json"
        n += 1
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--backend",
        choices=("embedded", "postgres"),
        default="embedded",
        help="embedded SQLite (default) or PostgreSQL + Redis",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 s per load after 1 s warm-up (overrides --duration/--warmup)",
    )
    parser.add_argument(
        "--duration", type=float, default=12.0, help="seconds measured per load (default 12)"
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("peers", "v2", "scaling", "memory", "floor"),
        help="leave out the peers, the v2 REST rows, the scaling figure, the memory row or the "
        "framework floors (repeatable)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="seconds of discarded load before each (default 2)",
    )
    parser.add_argument("--batch-rows", type=int, default=1000)
    parser.add_argument(
        "--batch-concurrency", type=int, default=1, help="concurrent batch requests (default 1)"
    )
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="S",
        help="wait up to S seconds for both cores to be idle before starting (default: no wait)",
    )
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get("MODELSERVE_BENCH_POSTGRES_URL", DEFAULT_PG_ADMIN_URL),
        help="where to create (and drop) the benchmark database",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("MODELSERVE_BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        help="Redis database for the postgres backend; flushed before and after",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.quick:
        args.duration, args.warmup = 3.0, 1.0
    if args.duration <= 0 or args.warmup < 0 or args.batch_rows < 1 or args.batch_concurrency < 1:
        raise SystemExit("bench: --duration must be > 0, --warmup >= 0, batch sizes >= 1")
    return guarded("bench", lambda procs, work: Bench(args, procs, work))


if __name__ == "__main__":
    sys.exit(main())
