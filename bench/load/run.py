"""ModelServe load test (issue 15): ``python -m bench.load [--users 200] [--duration 300]``.

Creates a fresh PostgreSQL database, starts its own Redis, migrates, starts two ``modelserve
serve`` processes (pinned one per core when taskset and two cores are there) and one
``modelserve worker``, all on PostgreSQL + Redis with one shared artifact directory; publishes
the reference model and seeds accounts and keys through the API; then runs locust headless
(``bench/load/locustfile.py``) with the users spread over both API processes, sampling each
process's memory. It reports req/s, p50/p95/p99 per operation, errors and memory, checks the
targets, and writes ``summary.json``, ``summary.md`` and ``load.png`` into
``bench/load/results/<UTC timestamp>/`` (git-ignored).

Exit status: 0 every target met, 3 a target missed, 1 the run itself failed, 130 interrupted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import cpu, reference
from bench.load import plot, report
from bench.load.deployment import Deployment, say, service_env
from bench.load.seed import MIN_USERS, Mix, seed
from bench.procs import BenchError, Processes, guarded, tail
from bench.run import DEFAULT_PG_ADMIN_URL, _environment
from bench.service import GraphQL

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LOCUSTFILE = HERE / "locustfile.py"
BUSY_PCT = 10.0  # a core busier than this before we start, or others' share of the machine
SAMPLE_S = 2.0  # memory and CPU sampling interval
LOCUST_BUSY_PCT = 80.0  # of one core


class LoadTest:
    def __init__(self, args: argparse.Namespace, procs: Processes, work: Path) -> None:
        self.args = args
        self.procs = procs
        self.work = work
        self.notes: list[str] = []
        self.deployment = Deployment(procs, work, self.notes)

    def check_machine(self) -> dict:
        cores = sorted(os.sched_getaffinity(0))
        busy = cpu.cores_busy(cores)
        if max(busy.values(), default=0.0) > BUSY_PCT:
            self.notes.append(f"the machine was busy before the run started (cores {busy} %)")
            say(f"WARNING: the machine is busy (cores {busy} %): figures will be skewed")
        return {"cores": cores, "busy_at_start_pct": busy}

    def run_locust(self, seed_path: Path, results: Path) -> tuple[float, list[dict], dict]:
        a = self.args
        env = {**os.environ, "LOAD_SEED": str(seed_path)}
        argv = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(a.users),
            "--spawn-rate",
            str(a.spawn_rate),
            "--run-time",
            f"{a.duration:g}s",
            "--stop-timeout",
            "20",
            "--host",
            self.deployment.hosts[0],
            "--only-summary",
            "--csv",
            str(results / "locust"),
            "--loglevel",
            "WARNING",
        ]
        say(
            f"locust: {a.users} users ({a.spawn_rate:g}/s), {a.duration:g} s, "
            f"warm-up {a.warmup:g} s"
        )
        t0 = time.time()
        log = results / "locust.log"
        locust = self.procs.start(argv, env=env, log=log, cwd=HERE.parent.parent)
        deployment = self.deployment
        pgids = {locust.pid, deployment.redis_pid, *(p.pid for p in deployment.processes.values())}
        samples = [deployment.sample()]
        # A process's ticks count only while it lives: the last snapshots are the last ones
        # taken with locust still running.
        first = last = (cpu.machine_snapshot(pgids), cpu.machine_snapshot({locust.pid}))
        deadline = time.monotonic() + a.duration + 120
        while locust.poll() is None:
            if time.monotonic() > deadline:
                self.procs.stop(locust)
                raise BenchError(f"locust did not stop in time\n{tail(log)}")
            time.sleep(SAMPLE_S)
            if locust.poll() is None:
                now = (cpu.machine_snapshot(pgids), cpu.machine_snapshot({locust.pid}))
                if locust.poll() is None:
                    last = now
                samples.append(deployment.sample())
                deployment.check_alive()
        usage = cpu.machine_usage(first[0], last[0])
        # locust is one process: past most of one core, its own queueing shows in the latencies.
        cores = len(os.sched_getaffinity(0))
        mine = cpu.machine_usage(first[1], last[1])
        usage["locust_pct_of_one_core"] = round(mine.get("ours_pct", 0.0) * cores, 1)
        if usage["locust_pct_of_one_core"] > LOCUST_BUSY_PCT:
            self.notes.append(
                f"locust used {usage['locust_pct_of_one_core']:.0f}% of a core: the load "
                "generator may have queued requests itself, inflating the latencies"
            )
        if locust.returncode not in (0, 1):  # 1: some request failed, which we count ourselves
            raise BenchError(f"locust exited with {locust.returncode}\n{tail(log)}")
        return t0, samples, usage

    def run(self) -> int:
        a = self.args
        started = dt.datetime.now(dt.UTC)
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        results = a.results or RESULTS / stamp
        results.mkdir(parents=True, exist_ok=True)
        machine = self.check_machine()
        environment = {**_environment(), **machine, **_versions()}
        say(
            f"{started:%Y-%m-%d %H:%M} UTC on {environment.get('cpu_model', '?')} "
            f"({environment['cpus']} cores), {platform.platform()}"
        )
        mix = Mix.for_users(a.users)
        say("fitting the reference model (RandomForestClassifier, 100 trees, depth 10)")
        # Beside the processes' start-up: the fit and their imports both take seconds.
        fitting = ThreadPoolExecutor(max_workers=1)
        fitted = fitting.submit(reference.build)
        fitting.shutdown(wait=False)
        deployment = self.deployment
        redis_url = deployment.start_redis()
        if a.backend == "postgres":
            env = service_env(
                deployment.create_database(a.postgres_admin_url), redis_url, self.work / "data"
            )
        else:  # one SQLite file under the shared data directory
            env = service_env("", redis_url, self.work / "data")
            env["MODELSERVE_PRODUCTION_ALLOW"] = "sqlite"
        env.update({f"MODELSERVE_{name.upper()}": value for name, value in a.set})
        deployment.start(env, pin=self.args.pin)
        gql = GraphQL(f"{deployment.hosts[0]}/graphql")
        try:
            say("seeding: the model, accounts and keys")
            model, X = fitted.result()
            data = seed(gql, reference.to_skops(model), X, deployment.hosts, mix)
        finally:
            gql.close()
        data.requests_log = str(results / "requests.csv")
        data.extra_out = str(results / "locust-extra.json")
        Path(data.requests_log).write_text("")
        seed_path = self.work / "seed.json"
        # People sign in over the first third of the warm-up (bench/load/locustfile.py).
        seed_path.write_text(json.dumps({**data.to_dict(), "sign_in_spread_s": a.warmup / 3}))
        environment.update(deployment.versions)
        say(
            "versions: "
            + ", ".join(
                f"{k} {environment.get(k)}"
                for k in (
                    "python",
                    "modelserve",
                    "strawberry-graphql",
                    "uvicorn",
                    "scikit-learn",
                    "locust",
                    "postgres_server",
                    "redis_server",
                )
            )
            + f", commit {str(environment.get('git_commit', '?'))[:10]}"
        )

        t0, samples, usage = self.run_locust(seed_path, results)
        if usage.get("others_pct", 0.0) > BUSY_PCT:
            self.notes.append(
                f"other processes used {usage['others_pct']:.0f}% of the machine during the run: "
                "figures from a busy machine are unreliable; rerun on an idle one"
            )
        deployment.stop(results)
        summary = report.summary(
            results,
            started_at=started.isoformat(),
            t0=t0,
            settings=self.settings(mix),
            environment=environment,
            cpu=usage,
            samples=samples,
            notes=self.notes,
        )
        (results / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
        text = report.markdown(summary)
        (results / "summary.md").write_text(text)
        plot.plot(summary, results / "load.png")
        if a.plot:
            plot.plot(summary, a.plot)
        print("\n" + text, flush=True)
        print(f"results: {results}", flush=True)
        return 0 if summary["passed"] else 3

    def settings(self, mix: Mix) -> dict:
        a = self.args
        return {
            "backend": a.backend,
            "users": a.users,
            "mix": {**vars(mix), "programs": mix.programs},
            "duration_s": a.duration,
            "warmup_s": a.warmup,
            "spawn_rate": a.spawn_rate,
            "apis": self.deployment.hosts,
            "bucket_s": 5.0 if a.duration >= 120 else 1.0,
            "set": dict(a.set),
        }

    def failed(self, exc: BenchError) -> int:
        for log in sorted(self.deployment.logs.glob("*.log")):
            print(f"--- {log.name} (last lines)\n{tail(log, 15)}", file=sys.stderr)
        return 1

    def cleanup(self) -> None:
        self.deployment.cleanup()


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("modelserve", "locust", "matplotlib", "websocket-client", "redis", "asyncpg"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.removeprefix("MODELSERVE_").removeprefix("modelserve_"), value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=200, help="simulated users (default 200)")
    parser.add_argument(
        "--backend",
        choices=("postgres", "sqlite"),
        default="postgres",
        help="PostgreSQL (the figures), or one SQLite file (the suite's embedded pass)",
    )
    parser.add_argument(
        "--duration", type=float, default=300.0, help="seconds of load (default 300)"
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="seconds before memory and latency count (default: a fifth of the run, at most 60)",
    )
    parser.add_argument(
        "--spawn-rate",
        type=float,
        default=None,
        help="users started a second (default: all within 10 s or half the warm-up)",
    )
    parser.add_argument(
        "--results", type=Path, default=None, help="directory (default bench/load/results/<ts>)"
    )
    parser.add_argument("--plot", type=Path, default=None, help="also write the plot here")
    parser.add_argument(
        "--no-pin",
        dest="pin",
        action="store_false",
        help="leave the API processes to the scheduler instead of pinning one to each core",
    )
    parser.add_argument(
        "--set",
        type=_setting,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every process, e.g. ARGON2_TIME_COST=2 (MODELSERVE_ prefix added)",
    )
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get("MODELSERVE_BENCH_POSTGRES_URL", DEFAULT_PG_ADMIN_URL),
        help="where to create (and drop) the load test's database",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.warmup is None:
        args.warmup = min(60.0, args.duration / 5)
    if args.spawn_rate is None:  # everyone started within half the warm-up (or 10 s)
        args.spawn_rate = args.users / max(1.0, min(10.0, args.warmup / 2))
    if args.duration <= 0 or not 0 <= args.warmup < args.duration or args.spawn_rate <= 0:
        raise SystemExit("load: --duration must be > 0, 0 <= --warmup < --duration")
    if args.users < MIN_USERS:
        raise SystemExit(f"load: --users must be at least {MIN_USERS} (one of each kind)")
    return guarded("load", lambda procs, work: LoadTest(args, procs, work))
