"""Where ModelServe's time goes: py-spy profiles of the service under each load.

    .venv/bin/python -m bench.profile [--duration S] [--loads c1,c64,batch,v2,v2-c64]
                                      [--runtime onnx]

Starts ``modelserve serve`` (embedded, a fresh data directory) pinned to core 0, deploys the
reference model as ``bench.run`` does, and for each load records the server with ``py-spy record``
(``--idle`` off: only on-CPU samples) while the load generator runs on core 1. Writes, per load,
a flame graph (``<runtime>-<load>.svg``) and the collapsed stacks (``.txt``) to ``bench/profiles/``
(git-ignored), and prints the top costs as percentages of the samples: inclusive time of the
frames named in ``BUCKETS`` and the heaviest leaf functions. Needs the ``bench`` extra
(``pip install -e '.[bench]'``) and ptrace rights on the server (root, or ptrace_scope 0).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import reference
from bench.loadgen import start_python, start_wrk, write_bodies, write_wrk_script
from bench.procs import BenchError, Processes, free_port, wait_ready
from bench.service import GraphQL, predict_batch_query, predict_query

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "bench" / "profiles"

# Inclusive buckets: a sample counts in each bucket one of whose markers is in its stack.
BUCKETS: dict[str, tuple[str, ...]] = {
    "http parse/send (uvicorn, h11/httptools)": ("httptools_impl.py", "h11_impl.py"),
    "middleware (request id, guards, metrics)": ("graph/http.py", "graph/metrics.py"),
    "strawberry: parse": ("parse_document", "graphql/language/parser.py"),
    "strawberry: validate": ("validate_document", "graphql/validation/"),
    "strawberry: execute (graphql-core)": ("graphql/execution/execute.py",),
    "strawberry: extensions": ("graph/errors.py", "graph/scopes.py", "graph/usage.py"),
    "context / caller (auth)": ("graph/context.py", "domain/accounts/"),
    "domain: inference service": ("domain/inference/service.py",),
    "domain: validation (rows to matrix)": ("domain/inference/validation.py",),
    "model run (predict thread)": ("sklearn/", "onnxruntime"),
    "prediction log writer": ("domain/predictions/log.py",),
    "ORM / database": ("tortoise/", "aiosqlite", "asyncpg"),
    "JSON encode/decode": ("json/encoder.py", "json/decoder.py", "orjson"),
    "GC": ("<gc>", "gc_collect"),
    "rate limiter (limits, in memory)": ("limits/",),
}


# Leaves where a thread waits (py-spy's idle detection does not see through these here): a
# pool thread on its queue, aiosqlite's thread on its queue, the event loop in epoll.
IDLE_LEAVES = (
    "_worker (concurrent/futures/thread.py:81)",
    "_connection_worker_thread (aiosqlite/core.py:59)",
    "Runner.run (asyncio/runners.py:118)",
)


def _service_env(work: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSERVE_")}
    env["MODELSERVE_DATA_DIR"] = str(work / "data")
    # The per-caller budget stays on, at its ceiling: one caller sends every request here.
    env["MODELSERVE_PREDICTION_UNITS_PER_MINUTE"] = "100000"
    return env


def summarise(collapsed: Path, top: int = 15) -> dict:
    """Percentages of the busy samples (every thread, waits left out): per bucket (inclusive)
    and per leaf function."""
    total = 0
    buckets: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        leaf = stack.rsplit(";", 1)[-1]
        if leaf in IDLE_LEAVES:
            continue
        total += n
        for name, markers in BUCKETS.items():
            if any(m in stack for m in markers):
                buckets[name] += n
        leaves[leaf] += n
    if not total:
        return {"samples": 0}
    pct = lambda n: round(100 * n / total, 1)  # noqa: E731
    return {
        "samples": total,
        "buckets": {k: pct(v) for k, v in buckets.most_common()},
        "leaves": {k: pct(v) for k, v in leaves.most_common(top)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--loads", default="c1,c64,batch,v2")
    parser.add_argument("--runtime", choices=("sklearn", "onnx"), default="onnx")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--tag", default="", help="suffix of the output files (before/after)")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        raise SystemExit("py-spy is missing: pip install -e '.[bench]'")
    wrk = shutil.which("wrk")
    PROFILES.mkdir(parents=True, exist_ok=True)
    procs = Processes()
    work = Path(tempfile.mkdtemp(prefix="modelserve-profile-"))
    summaries: dict[str, dict] = {}
    try:
        model, X = reference.build()
        model_bytes = reference.to_skops(model)
        single = reference.sample_rows(X, 256, seed=1)
        batches = [reference.sample_rows(X, 1000, seed=2 + i) for i in range(4)]
        port = free_port()
        log = work / "service.log"
        serve = str(Path(sys.executable).parent / "modelserve")
        proc = procs.start(
            [serve, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=_service_env(work),
            cpu=args.server_cpu,
            log=log,
            cwd=work,
        )
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/readyz", proc, log)
        gql = GraphQL(f"{base}/graphql")
        deployment = gql.deploy(model_bytes)
        gql.set_runtime(deployment, use_compiled=args.runtime == "onnx")
        gql.close()
        headers = {
            "content-type": "application/json",
            "authorization": f"Bearer {deployment.token}",
        }

        def gql_body(query: str, rows: list) -> str:
            return json.dumps({"query": query, "variables": {"rows": rows}}, separators=(",", ":"))

        def v2_body(rows: list) -> str:
            flat = [v for row in rows for v in row]
            tensor = {"name": "input-0", "shape": [len(rows), 20], "datatype": "FP64"}
            return json.dumps({"inputs": [{**tensor, "data": flat}]}, separators=(",", ":"))

        v2_url = f"{base}/v2/models/{deployment.full_name}/infer"
        loads = {
            "c1": (
                f"{base}/graphql",
                [gql_body(predict_query(deployment.ref), [r]) for r in single],
                1,
            ),
            "c64": (
                f"{base}/graphql",
                [gql_body(predict_query(deployment.ref), [r]) for r in single],
                64,
            ),
            "batch": (
                f"{base}/graphql",
                [gql_body(predict_batch_query(deployment.ref), b) for b in batches],
                1,
            ),
            "v2": (v2_url, [v2_body(b) for b in batches], 1),
            "v2-c64": (v2_url, [v2_body([r]) for r in single], 64),
        }
        for name in args.loads.split(","):
            url, bodies, concurrency = loads[name]
            bodies_path = work / f"{name}.bodies"
            write_bodies(bodies_path, bodies)
            # A short warm-up, so compiling, caches and the first load stay out of the profile.
            _load(procs, wrk, work, url, bodies_path, headers, concurrency, 1.5, args.client_cpu)
            stem = f"{args.runtime}-{name}{'-' + args.tag if args.tag else ''}"
            svg, raw = PROFILES / f"{stem}.svg", PROFILES / f"{stem}.txt"
            # Two samplers on the client core: collapsed stacks to count, an SVG to look at.
            recorders = [
                procs.start(
                    [
                        py_spy,
                        "record",
                        "--pid",
                        str(proc.pid),
                        "--rate",
                        str(args.rate),
                        "--duration",
                        str(int(args.duration)),
                        "--nonblocking",
                        "--threads",
                        "--format",
                        fmt,
                        "--output",
                        str(out),
                    ],
                    cpu=args.client_cpu,
                    log=work / f"py-spy-{name}-{fmt}.log",
                )
                for fmt, out in (("raw", raw), ("flamegraph", svg))
            ]
            time.sleep(0.5)
            result = _load(
                procs,
                wrk,
                work,
                url,
                bodies_path,
                headers,
                concurrency,
                args.duration - 1,
                args.client_cpu,
            )
            for recorder in recorders:
                recorder.wait(timeout=args.duration + 30)
                procs.stop(recorder)
            summary = summarise(raw) if raw.exists() else {"samples": 0}
            summary["load"] = {
                "rps": round(result.rps, 1),
                "p50_ms": result.p50_ms,
                "p99_ms": result.p99_ms,
                "errors": result.errors,
            }
            summaries[stem] = summary
            print(json.dumps({stem: summary}, indent=1), flush=True)
        procs.stop(proc)
    except BenchError as exc:
        print(f"profile failed: {exc}", file=sys.stderr)
        return 1
    finally:
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)
    (PROFILES / f"summary-{args.runtime}{'-' + args.tag if args.tag else ''}.json").write_text(
        json.dumps(summaries, indent=1)
    )
    return 0


def _load(procs, wrk, work, url, bodies_path, headers, concurrency, duration, cpu):
    if wrk is not None:
        from urllib.parse import urlsplit

        script = write_wrk_script(work / "load.lua", bodies_path, urlsplit(url).path, headers)
        return start_wrk(procs, wrk, url, script, concurrency, duration, cpu).finish(procs)
    return start_python(procs, url, bodies_path, headers, concurrency, duration, cpu).finish(procs)


if __name__ == "__main__":
    raise SystemExit(main())
