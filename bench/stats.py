"""Latency summaries shared by the in-process loop and the Python load generator."""

from __future__ import annotations

import math


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (``q`` in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(seconds: list[float]) -> dict:
    """p50/p90/p99/mean/max in milliseconds."""
    values = sorted(seconds)
    if not values:
        nan = math.nan
        return {"p50_ms": nan, "p90_ms": nan, "p99_ms": nan, "mean_ms": nan, "max_ms": nan}
    return {
        "p50_ms": percentile(values, 50) * 1e3,
        "p90_ms": percentile(values, 90) * 1e3,
        "p99_ms": percentile(values, 99) * 1e3,
        "mean_ms": sum(values) / len(values) * 1e3,
        "max_ms": values[-1] * 1e3,
    }
