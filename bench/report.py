"""The table and the target ratios of issue 4."""

from __future__ import annotations

import math

ROWS = (
    ("service-sklearn", "service-sklearn"),
    ("service-onnx", "service-onnx"),
    ("baseline", "baseline (b)"),
    ("inprocess", "in-process (a)"),
    ("inprocess-onnx", "in-process (a, onnx)"),
)
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


def targets_text(items: list[dict]) -> str:
    lines = ["Targets (issue 4; ratios to the baseline (b) from this run)"]
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
        lines.append(
            f"  service-{t['runtime']:<8} {t['target']:<20} {shown:>9}  "
            f"(target {t['op']} {limit:<5})  {verdict}"
        )
    return "\n".join(lines)
