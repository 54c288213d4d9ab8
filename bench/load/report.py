"""From the request log and the memory samples to figures, targets and a Markdown summary."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.stats import percentile

SINGLE = "predict"
P99_OVER_P50_MAX = 10.0
MEMORY_GROWTH_MAX_PCT = 10.0
BACKENDS = {"postgres": "PostgreSQL + Redis", "sqlite": "SQLite + Redis"}


@dataclass(frozen=True)
class Request:
    t: float  # wall-clock end, seconds
    name: str
    ms: float
    ok: bool
    api: int


def read_log(path: Path) -> list[Request]:
    out = []
    for line in path.read_text().splitlines():
        t, name, ms, ok, api = line.split(",")  # operation names hold no comma
        out.append(Request(float(t), name, float(ms), ok == "1", int(api)))
    return out


def _latency(values: list[float]) -> dict:
    ordered = sorted(values)
    return {f"p{q}_ms": _round(percentile(ordered, q)) for q in (50, 95, 99)}


def _round(value: float, digits: int = 2) -> float | None:
    return None if math.isnan(value) else round(value, digits)


def operations(requests: list[Request], start: float, end: float) -> dict:
    """Per operation: every request and failure of the run; rate and latency after warm-up."""
    seconds = max(end - start, 1e-9)
    by_name: dict[str, list[Request]] = defaultdict(list)
    for r in requests:
        by_name[r.name].append(r)
    out = {}
    for name in sorted(by_name):
        every = by_name[name]
        measured = [r for r in every if start <= r.t <= end]
        out[name] = {
            "requests": len(every),
            "errors": sum(not r.ok for r in every),
            "measured_requests": len(measured),
            "rps": round(len(measured) / seconds, 2),
            **_latency([r.ms for r in measured if r.ok]),
        }
    return out


def overall(requests: list[Request], start: float, end: float, apis: int) -> dict:
    measured = [r for r in requests if start <= r.t <= end]
    errors = sum(not r.ok for r in requests)
    return {
        "requests": len(requests),
        "errors": errors,
        "error_rate": round(errors / len(requests), 6) if requests else None,
        "measured_s": round(end - start, 1),
        "rps": round(len(measured) / max(end - start, 1e-9), 2),
        "requests_per_api": [sum(r.api == i for r in requests) for i in range(apis)],
    }


def series(requests: list[Request], t0: float, duration_s: float, bucket_s: float) -> list[dict]:
    """Throughput (all operations) and single-prediction latency per ``bucket_s`` seconds of the
    run (what ends while the users stop is in the totals, not here: a part-filled interval)."""
    buckets: dict[int, list[Request]] = defaultdict(list)
    for r in requests:
        buckets[int((r.t - t0) // bucket_s)].append(r)
    out = []
    for k in range(int(duration_s // bucket_s)):
        rs = buckets.get(k, [])
        single = [r.ms for r in rs if r.name == SINGLE and r.ok]
        out.append(
            {
                "t_s": round((k + 1) * bucket_s, 1),
                "rps": round(len(rs) / bucket_s, 2),
                "errors": sum(not r.ok for r in rs),
                **_latency(single),
            }
        )
    return out


def memory(samples: list[dict], warm_end: float) -> dict:
    """Each process's RSS after warm-up and at the end, and its growth in between."""
    after = [s for s in samples if s["t"] >= warm_end] or samples[-1:]
    if not after:
        return {}
    first, last = after[0], after[-1]
    out = {}
    for name, start_mb in first["rss_mb"].items():
        end_mb = last["rss_mb"].get(name)
        growth = None
        if start_mb and end_mb is not None:
            growth = round(100.0 * (end_mb - start_mb) / start_mb, 2)
        out[name] = {
            "start_mb": start_mb,
            "end_mb": end_mb,
            "peak_mb": max(s["rss_mb"].get(name) or 0.0 for s in samples),
            "growth_pct": growth,
        }
    return out


def targets(summary: dict) -> list[dict]:
    errors = summary["overall"]["errors"]  # stream errors and failed jobs are in it too
    out = [{"target": "zero errors", "value": errors, "threshold": 0, "pass": errors == 0}]
    single = summary["operations"].get(SINGLE, {})
    p50, p99 = single.get("p50_ms"), single.get("p99_ms")
    ratio = round(p99 / p50, 2) if p50 and p99 is not None else None
    out.append(
        {
            "target": "single predictions: p99 / p50",
            "value": ratio,
            "threshold": f"< {P99_OVER_P50_MAX:g}",
            "pass": ratio is not None and ratio < P99_OVER_P50_MAX,
        }
    )
    for name, m in summary["memory"].items():
        growth = m["growth_pct"]
        out.append(
            {
                "target": f"{name}: RSS growth after warm-up, %",
                "value": growth,
                "threshold": f"< {MEMORY_GROWTH_MAX_PCT:g}",
                "pass": growth is not None and growth < MEMORY_GROWTH_MAX_PCT,
            }
        )
    return out


def summary(
    results: Path,
    *,
    started_at: str,
    t0: float,
    settings: dict,
    environment: dict,
    cpu: dict,
    samples: list[dict],
    notes: list[str],
) -> dict:
    """Everything the run found, from the request log and locust's extras in ``results``."""
    requests = read_log(results / "requests.csv")
    extra = json.loads((results / "locust-extra.json").read_text())
    warm_end, end = t0 + settings["warmup_s"], t0 + settings["duration_s"]
    subscribers, jobs = extra["subscribers"], extra["jobs"]
    done = [j for j in jobs if not j["error"]]
    out = {
        "started_at": started_at,
        "t0": t0,
        "settings": settings,
        "environment": environment,
        "cpu": cpu,
        "overall": overall(requests, warm_end, end, len(settings["apis"])),
        "operations": operations(requests, warm_end, end),
        "memory": memory(samples, warm_end),
        "memory_samples": samples,
        "subscriptions": {
            "subscribers": len(subscribers),
            "events": sum(s["events"] for s in subscribers),
            "errors": sum(s["errors"] for s in subscribers),
            "predictions_made": extra["predictions_made"],
            "each": subscribers,
        },
        "jobs": {
            "completed": len(done),
            "failed": len(jobs) - len(done),
            "mean_s": round(sum(j["s"] for j in done) / len(done), 2) if done else None,
        },
        "failures": extra["failures"],
        "series": series(requests, t0, settings["duration_s"], settings["bucket_s"]),
        "notes": notes,
    }
    out["targets"] = targets(out)
    out["passed"] = all(t["pass"] for t in out["targets"])
    return out


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def markdown(summary: dict) -> str:
    s, env = summary["settings"], summary["environment"]
    o = summary["overall"]
    lines = [
        f"# Load test, {summary['started_at'][:19]}Z",
        "",
        f"{s['users']} users ({s['mix']}) for {s['duration_s']:g} s, {s['warmup_s']:g} s of "
        f"warm-up; {len(s['apis'])} API processes and a worker on {BACKENDS[s['backend']]}. "
        f"{env.get('cpu_model', '?')}, {env.get('cpus')} cores; Python {env.get('python')}, "
        f"locust {env.get('locust')}, commit {str(env.get('git_commit', '?'))[:10]}.",
        "",
        f"Overall: {o['rps']:,.1f} req/s after warm-up, {o['requests']:,} requests, "
        f"{o['errors']} errors (rate {o['error_rate']}); requests per API process "
        f"{o['requests_per_api']}.",
        "",
    ]
    lines += _table(
        ["operation", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"],
        [
            [n, v["requests"], v["errors"], v["rps"], v["p50_ms"], v["p95_ms"], v["p99_ms"]]
            for n, v in summary["operations"].items()
        ],
    )
    lines += [""]
    lines += _table(
        ["process", "RSS after warm-up MB", "RSS at end MB", "peak MB", "growth %"],
        [
            [n, m["start_mb"], m["end_mb"], m["peak_mb"], m["growth_pct"]]
            for n, m in summary["memory"].items()
        ],
    )
    sub, jobs = summary["subscriptions"], summary["jobs"]
    lines += [
        "",
        f"Subscribers: {sub['subscribers']}, {sub['events']:,} prediction events received "
        f"({sub['errors']} stream errors) while {sub['predictions_made']:,} predictions were made.",
        f"Batch jobs: {jobs['completed']} completed, {jobs['failed']} failed, "
        f"mean {_cell(jobs['mean_s'])} s end to end.",
        "",
    ]
    lines += _table(
        ["target", "value", "threshold", "result"],
        [
            [t["target"], t["value"], t["threshold"], "PASS" if t["pass"] else "FAIL"]
            for t in summary["targets"]
        ],
    )
    lines += [""] + [f"- note: {n}" for n in summary["notes"]]
    return "\n".join(lines).rstrip() + "\n"
