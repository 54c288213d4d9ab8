"""The subjects of issue 13 beside the service's GraphQL rows: the peers (MLServer, LitServe),
ModelServe's v2 REST route with MLServer's bodies, the memory row and the scaling figure.

Each function takes the running ``bench.run.Bench`` (its loads, checks and data) and returns the
results to store under the row's key.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import numpy as np

from bench import peers, reference, v2
from bench.loadgen import combine
from bench.procs import BenchError, free_port, tail, wait_ready
from bench.service import Deployment, GraphQL, predict_query

if TYPE_CHECKING:
    from bench.run import Bench, Endpoint

MEMORY_MODELS = 50
SCALING_CONCURRENCY = 64  # split evenly over the two processes


def v2_endpoints(bench: Bench, base: str, deployment: Deployment, pgid: int) -> list[Endpoint]:
    """ModelServe's ``/v2/models/{owner}/ref@production/infer``: JSON rows and binary batches."""
    owner, name = deployment.full_name.split("/", 1)
    url = f"{base}/v2/models/{owner}/{quote(name + '@production', safe='')}/infer"
    auth = {"authorization": f"Bearer {deployment.token}"}
    return _v2_pair(bench, "service-v2", url, auth, pgid, optional_binary=False)


def _v2_pair(
    bench: Bench, name: str, url: str, auth: dict, pgid: int, optional_binary: bool
) -> list[Endpoint]:
    from bench.run import Endpoint

    binary, binary_headers = v2.binary_bodies(bench.batch_rows)
    common = {
        "url": url,
        "single_labels": bench.single_labels,
        "batch_labels": bench.batch_labels,
        "read_single": v2.read_answer,
        "read_batch": v2.read_answer,
        "pgid": pgid,
    }
    return [
        Endpoint(
            name=name,
            single_bodies=[v2.json_body([r]) for r in bench.single_rows],
            batch_bodies=[v2.json_body(b) for b in bench.batch_rows],
            headers=dict(auth),
            **common,
        ),
        Endpoint(
            name=f"{name}-binary",
            single_bodies=[],
            batch_bodies=binary,
            headers={**auth, **binary_headers},
            optional_feature="binary tensor data" if optional_binary else None,
            **common,
        ),
    ]


def run_peers(bench: Bench, results: dict) -> None:
    """Each peer built by ``make bench-peers``, pinned like the service, with the same loads."""
    built = peers.available()
    results["peers"] = {"versions": built}
    missing = [p for p in peers.REQUIREMENTS if p not in built]
    if missing:
        bench.notes.append(
            f"peers not built ({', '.join(missing)}): run `make bench-peers` to measure them; "
            "the targets against the peers are not judged without them"
        )
    for peer in built:
        try:
            _run_peer(bench, peer, results)
        except BenchError as exc:
            bench.say(f"{peer}: FAILED: {exc}")
            results[peer] = {"failed": str(exc).splitlines()[0][:300]}


def _run_peer(bench: Bench, peer: str, results: dict) -> None:
    from bench.run import Endpoint, _baseline

    a = bench.args
    port = free_port()
    launch = peers.launch(peer, bench.work, bench.model_joblib, port, [free_port(), free_port()])
    log = bench.work / f"{peer}.log"
    bench.say(
        f"starting {peer} {launch.versions.get(peer, '?')} on 127.0.0.1:{port}, core {a.server_cpu}"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELSERVE_", "MLSERVER_"))}
    proc = bench.procs.start(
        launch.argv, env={**env, **launch.env}, cpu=a.server_cpu, log=log, cwd=bench.work
    )
    try:
        wait_ready(launch.ready_url, proc, log, timeout=180.0)
        if peer == "mlserver":
            endpoints = _v2_pair(bench, "mlserver", launch.infer_url, {}, proc.pid, True)
        else:
            endpoints = [
                Endpoint(
                    name=peer,
                    url=launch.infer_url,
                    single_bodies=[bench.rows_bodies(None, [r]) for r in bench.single_rows],
                    batch_bodies=[bench.rows_bodies(None, b) for b in bench.batch_rows],
                    single_labels=bench.single_labels,
                    batch_labels=bench.batch_labels,
                    read_single=_baseline,
                    read_batch=_baseline,
                    pgid=proc.pid,
                )
            ]
        for endpoint in endpoints:
            bench.say(f"measuring {endpoint.name}")
            results[endpoint.name] = bench.measure(endpoint)
    except BenchError:
        bench.say(f"{peer} log (last lines):\n{tail(log)}")
        raise
    finally:
        bench.procs.stop(proc)


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise BenchError(f"no VmRSS for process {pid}")


def memory_row(bench: Bench, gql: GraphQL, pid: int) -> dict:
    """In a fresh API process: one small model uploaded and predicted (the code paths warm),
    then ``MEMORY_MODELS`` more; the process's RSS growth per model, against the model
    cache's budget (bytes and models held)."""
    from sklearn.tree import DecisionTreeClassifier

    from settings import Settings

    budget = Settings.model_fields["model_cache_max_bytes"].default
    max_models = Settings.model_fields["model_cache_max_models"].default
    X = reference.training_matrix()
    rng = np.random.default_rng(7)
    rows = bench.single_rows[:1]
    _, _, token = gql.register()
    mismatched = 0
    samples: list[list[int]] = []
    started = time.monotonic()
    for i in range(MEMORY_MODELS + 1):
        picked = rng.integers(0, len(X), size=500)
        y = (X[picked, i % X.shape[1]] > 0).astype(int)
        model = DecisionTreeClassifier(max_depth=6, random_state=i).fit(X[picked], y)
        _, full_name, _ = gql.upload_model(
            token, f"small-{i}", reference.to_skops(model), f"small-{i}.skops"
        )
        data = gql.call(
            predict_query(f"{full_name}:1"), {"rows": rows}, token=token, what="predict"
        )
        got = reference.label(data["predict"]["predictions"][0]["value"])
        mismatched += got != reference.label(model.predict(np.asarray(rows))[0])
        if i % 10 == 0:
            samples.append([i, _rss_bytes(pid)])
            if i == 0:
                bench.say(f"memory: {MEMORY_MODELS} small models into one fresh API process")
    before, after = samples[0][1], _rss_bytes(pid)
    growth = after - before
    result = {
        "models": MEMORY_MODELS,
        "rss_before_bytes": before,
        "rss_after_bytes": after,
        "rss_growth_bytes": growth,
        "rss_growth_per_model_bytes": growth / MEMORY_MODELS,
        "rss_by_models_loaded": samples,
        "cache_budget_bytes": budget,
        "cache_max_models": max_models,
        "mismatched_predictions": int(mismatched),
        "seconds": round(time.monotonic() - started, 1),
    }
    bench.say(
        f"  memory: RSS {before / 2**20:.1f} -> {after / 2**20:.1f} MiB, "
        f"{growth / MEMORY_MODELS / 1024:.1f} KiB per model (budget {budget / 2**20:.0f} MiB, "
        f"{max_models} models cached at most)"
    )
    return result


def scaling(bench: Bench, endpoint: Endpoint, start_second: object) -> dict:
    """The c64 single-row load split over two API processes (one per core; the generators run
    unpinned beside them): req/s per core, against the one-process figure of ``endpoint``."""
    a = bench.args
    second_url, second = start_second()
    try:
        other = _replace_url(endpoint, second_url)
        for e in (endpoint, other):
            check = bench.check(e, batch=False)
            if check["errors"] or check["mismatched_rows"]:
                raise BenchError(f"scaling: {e.url} answers wrongly: {check['problems'][:1]}")
        # The warm-up (discarded), then the measured load: both processes at once.
        for seconds in ([a.warmup] if a.warmup > 0 else []) + [a.duration]:
            half = SCALING_CONCURRENCY // 2
            pending = [
                bench.start_load(e, e.single_bodies, half, seconds, "single", pinned=False)
                for e in (endpoint, other)
            ]
            joint = combine([p.finish(bench.procs) for p in pending])
    finally:
        bench.procs.stop(second)
    result = joint.to_dict()
    result["processes"] = 2
    result["rps_per_core"] = joint.rps / 2
    bench.say(
        f"  scaling: 2 processes, c{SCALING_CONCURRENCY}: {joint.rps:,.0f} req/s "
        f"({joint.rps / 2:,.0f} per core), p99 {joint.p99_ms:.2f} ms, errors {joint.errors}"
    )
    return result


def _replace_url(endpoint: Endpoint, url: str) -> Endpoint:
    from dataclasses import replace

    return replace(endpoint, name=f"{endpoint.name}-2", url=url)


def to_joblib(model: object) -> bytes:
    """The model as ``joblib.dump`` writes it (what MLServer and LitServe load)."""
    import io

    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()
