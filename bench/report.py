"""The table, the target ratios of issue 4 (against (b)) and of issue 13 (against the peers)."""

from __future__ import annotations

import math

ROWS = (
    ("mlserver", "MLServer, adaptive batching (v2 JSON)"),
    ("mlserver-binary", "MLServer, adaptive batching (v2 binary)"),
    ("litserve", "LitServe, batching"),
    ("service-sklearn", "ModelServe, scikit-learn runtime"),
    ("service-onnx", "ModelServe, compiled runtime"),
    ("service-v2", "ModelServe v2 REST (JSON)"),
    ("service-v2-binary", "ModelServe v2 REST (binary)"),
    ("baseline", "limit: Starlette + inline predict (b)"),
    ("floor-graphql", "floor: Strawberry, no model, caches on"),
    ("floor-json", "floor: Starlette JSON, no model"),
    ("inprocess", "in-process (a)"),
    ("inprocess-onnx", "in-process (a, onnx)"),
)
# The tuned peers the targets of issue 13 compare with: the best of them per column.
PEERS = ("mlserver", "mlserver-binary", "litserve")
COLUMNS = (
    "c1 req/s",
    "c1 p50 ms",
    "c1 p99 ms",
    "c16 req/s",
    "c64 req/s",
    "c64 p99 ms",
    "errors",
    "batch rows/s",
    "batch p50 ms",
)


def _get(result: dict, phase: str, key: str) -> float | None:
    value = (result.get(phase) or {}).get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def table(results: dict) -> str:
    width = max(len(label) for _, label in ROWS)
    header = f"{'':<{width}}  " + "  ".join(f"{c:>12}" for c in COLUMNS)
    lines = [header, "-" * len(header)]
    for key, label in ROWS:
        result = results.get(key)
        if result is None:
            continue
        if "failed" in result:
            lines.append(f"{label:<{width}}  not measured: {result['failed']}")
            continue
        cells = [
            _rate(_get(result, "c1", "rps")),
            _ms(_get(result, "c1", "p50_ms")),
            _ms(_get(result, "c1", "p99_ms")),
            _rate(_get(result, "c16", "rps")),
            _rate(_get(result, "c64", "rps")),
            _ms(_get(result, "c64", "p99_ms")),
            str(result.get("errors", 0)),
            _rate(_get(result, "batch", "rows_per_s")),
            _ms(_get(result, "batch", "p50_ms")),
        ]
        lines.append(f"{label:<{width}}  " + "  ".join(f"{c:>12}" for c in cells))
    return "\n".join(lines)


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def targets(results: dict) -> list[dict]:
    """Each issue-4 target for each service runtime against (b): ratio, threshold, PASS/FAIL."""
    base = results.get("baseline") or {}
    out: list[dict] = []
    for runtime, c1_limit in (("sklearn", 1.3), ("onnx", 0.3)):
        service = results.get(f"service-{runtime}")
        missing = service is None or "failed" in service
        service = service or {}

        def add(
            name: str,
            value: float | None,
            op: str,
            limit: float,
            unit: str = "x",
            runtime: str = runtime,
            missing: bool = missing,
        ) -> None:
            ok = (
                not missing
                and value is not None
                and (value >= limit if op == ">=" else value <= limit)
            )
            out.append(
                {
                    "subject": f"service-{runtime}",
                    "runtime": runtime,
                    "target": name,
                    "value": value,
                    "op": op,
                    "threshold": limit,
                    "unit": unit,
                    "pass": bool(ok),
                }
            )

        add(
            "c64 req/s vs (b)",
            _ratio(_get(service, "c64", "rps"), _get(base, "c64", "rps")),
            ">=",
            5.0,
        )
        add(
            "c64 p99 vs (b)",
            _ratio(_get(service, "c64", "p99_ms"), _get(base, "c64", "p99_ms")),
            "<=",
            0.2,
        )
        add("errors", None if missing else float(service.get("errors", 0)), "<=", 0.0, unit="")
        add(
            "c1 p50 vs (b)",
            _ratio(_get(service, "c1", "p50_ms"), _get(base, "c1", "p50_ms")),
            "<=",
            c1_limit,
        )
        add(
            "batch rows/s vs (b)",
            _ratio(_get(service, "batch", "rows_per_s"), _get(base, "batch", "rows_per_s")),
            ">=",
            0.9,
        )
    return out


def _best(results: dict, phase: str, key: str, pick: object) -> tuple[float | None, str]:
    """The best tuned peer's figure for one column (``pick`` is max or min) and its name."""
    found = [
        (value, name)
        for name in PEERS
        if (value := _get(results.get(name) or {}, phase, key)) is not None
    ]
    if not found:
        return None, "-"
    return pick(found)


def _item(
    subject: str,
    target: str,
    value: float | None,
    op: str,
    limit: float,
    unit="x",
    floor: float | None = None,
):
    """One target; ``floor`` is the same ratio for the framework floor the subject is built on
    (bench/floor.py): what any server on that framework reaches at best on this core."""
    ok = value is not None and (value >= limit if op == ">=" else value <= limit)
    return {
        "subject": subject,
        "target": target,
        "value": value,
        "op": op,
        "threshold": limit,
        "unit": unit,
        "pass": bool(ok),
        "floor": floor,
    }


def issue13_targets(results: dict) -> list[dict]:
    """The targets of issue 13: the memory row's, and those against the peers when any was
    measured (they are not judged when the peers are not built)."""
    out = _memory_target(results)
    if not any(_get(results.get(p) or {}, "c1", "rps") for p in PEERS):
        return out
    c64, c64_by = _best(results, "c64", "rps", max)
    p99, p99_by = _best(results, "c64", "p99_ms", min)
    p50, p50_by = _best(results, "c1", "p50_ms", min)
    rows, rows_by = _best(results, "batch", "rows_per_s", max)
    graphql = results.get("floor-graphql") or {}
    for runtime, c1_limit in (("sklearn", 0.25), ("onnx", 0.1)):
        subject = f"service-{runtime}"
        r = results.get(subject) or {}
        out += [
            _item(
                subject,
                f"c64 req/s vs {c64_by}",
                _ratio(_get(r, "c64", "rps"), c64),
                ">=",
                2,
                floor=_ratio(_get(graphql, "c64", "rps"), c64),
            ),
            _item(
                subject,
                f"c64 p99 vs {p99_by}",
                _ratio(_get(r, "c64", "p99_ms"), p99),
                "<=",
                0.5,
                floor=_ratio(_get(graphql, "c64", "p99_ms"), p99),
            ),
            _item(
                subject,
                f"c1 p50 vs {p50_by}",
                _ratio(_get(r, "c1", "p50_ms"), p50),
                "<=",
                c1_limit,
            ),
            _item(
                subject,
                "c1 p99 vs own c1 p50",
                _ratio(_get(r, "c1", "p99_ms"), _get(r, "c1", "p50_ms")),
                "<=",
                3,
            ),
        ]
    out.append(
        _item(
            "service-onnx",
            f"batch rows/s vs {rows_by}",
            _ratio(_get(results.get("service-onnx") or {}, "batch", "rows_per_s"), rows),
            ">=",
            1.5,
        )
    )
    mlserver = results.get("mlserver") or {}
    v2 = results.get("service-v2") or {}
    out.append(
        _item(
            "service-v2",
            "c64 req/s vs mlserver",
            _ratio(_get(v2, "c64", "rps"), _get(mlserver, "c64", "rps")),
            ">=",
            3,
            floor=_ratio(
                _get(results.get("floor-json") or {}, "c64", "rps"), _get(mlserver, "c64", "rps")
            ),
        )
    )
    # MLServer's best batch figure: binary when it takes binary tensors, else JSON.
    ml_rows, ml_by = _best(
        {k: results.get(k) for k in ("mlserver", "mlserver-binary")}, "batch", "rows_per_s", max
    )
    for subject in ("service-v2", "service-v2-binary"):
        out.append(
            _item(
                subject,
                f"batch rows/s vs {ml_by}",
                _ratio(_get(results.get(subject) or {}, "batch", "rows_per_s"), ml_rows),
                ">=",
                2,
            )
        )
    return out


def _memory_target(results: dict) -> list[dict]:
    memory = results.get("memory")
    if memory is None or "failed" in memory:
        return []
    growth = memory["rss_growth_bytes"] / memory["cache_budget_bytes"]
    return [
        _item("memory", f"RSS growth, {memory['models']} models vs cache budget", growth, "<=", 1)
    ]


def extras_text(results: dict) -> str:
    """The scaling figure and the memory row."""
    lines = []
    scaling = results.get("scaling")
    one = _get(results.get("service-onnx") or results.get("service-sklearn") or {}, "c64", "rps")
    if scaling is not None and "failed" in scaling:
        lines.append(f"Scaling: not measured: {scaling['failed']}")
    elif scaling is not None:
        per_core = scaling["rps_per_core"]
        held = f", {per_core / one:.2f}x the one-process figure" if one else ""
        lines.append(
            f"Scaling (c64 single rows, GraphQL): 1 process {_rate(one)} req/s on its core; "
            f"2 processes {_rate(scaling['rps'])} req/s = {_rate(per_core)} req/s per core{held}; "
            f"p99 {_ms(scaling['p99_ms'])} ms, errors {scaling['errors']}"
        )
    memory = results.get("memory")
    if memory is not None and "failed" in memory:
        lines.append(f"Memory: not measured: {memory['failed']}")
    elif memory is not None:
        lines.append(
            f"Memory: {memory['models']} small models uploaded and predicted once each: RSS "
            f"{memory['rss_before_bytes'] / 2**20:.1f} -> {memory['rss_after_bytes'] / 2**20:.1f}"
            f" MiB, {memory['rss_growth_per_model_bytes'] / 1024:.1f} KiB per model; cache budget"
            f" {memory['cache_budget_bytes'] / 2**20:.0f} MiB and {memory['cache_max_models']} "
            f"models; {memory['mismatched_predictions']} wrong predictions"
        )
    return "\n".join(lines)


def targets_text(items: list[dict], title: str) -> str:
    lines = [title]
    for t in items:
        value = t["value"]
        if value is None:
            shown = "n/a"
        elif t["unit"] == "x":
            shown = f"{value:.2f}x"
        else:
            shown = f"{value:g}"
        limit = f"{t['threshold']:g}{t['unit']}"
        verdict = "PASS" if t["pass"] else "FAIL"
        if t.get("floor") is not None:
            verdict += f"  (the framework with no model: {t['floor']:.2f}x)"
        lines.append(
            f"  {t['subject']:<17} {t['target']:<34} {shown:>9}  "
            f"(target {t['op']} {limit:<5})  {verdict}"
        )
    return "\n".join(lines)
