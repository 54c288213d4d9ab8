"""Reference profiles, and the statistics that compare a window of inputs with them.

A profile is plain JSON, one entry per feature (and one for the predictions):

    numeric      {"name", "kind": "numeric", "count", "missing", "edges", "counts", "sample"}
    categorical  {"name", "kind": "categorical", "count", "missing", "frequencies"}

Numeric features keep their (sampled) reference values sorted, so the two-sample
Kolmogorov-Smirnov statistic is computed exactly against the stored reference, and ``bins``
quantile bins: the interior edges are the reference's ``i / bins`` quantiles (numpy's linear
interpolation), duplicates dropped, and bin ``i`` is ``[edges[i-1], edges[i])`` with -inf and
+inf outside, so every window value lands in a bin. Categorical features keep the counts of
their ``MAX_CATEGORIES`` most frequent values; the rest, and window values never seen in the
reference, count as ``OTHER``. Missing values (null, NaN) are counted apart and left out of
every statistic.

PSI is ``sum((q - p) * ln(q / p))`` over the bins (or categories), with ``p`` the reference
and ``q`` the window proportions, each floored at ``EPSILON`` so an empty bin counts as rare
rather than impossible. Chi-square compares the window's category counts with the counts the
reference proportions predict for a window of that size, the reference counts smoothed by
``SMOOTHING`` (an unseen category then has a small expected count rather than zero, which
would make the statistic infinite). KS and chi-square p-values are scipy's.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

EPSILON = 1e-4
SMOOTHING = 0.5
MAX_CATEGORIES = 100
OTHER = "__other__"
NUMERIC = "numeric"
CATEGORICAL = "categorical"
PREDICTION = "prediction"


def numeric_value(value: Any) -> float | None:
    """A number of a numeric column, or None when missing (null, NaN or not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def category_key(value: Any) -> str | None:
    """A categorical value as a profile keys it: strings as they are, anything else as JSON."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def bin_counts(edges: Sequence[float], values: Sequence[float]) -> list[int]:
    """How many ``values`` fall in each bin ``[edges[i-1], edges[i])`` (outer bins unbounded)."""
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")
    return np.bincount(index, minlength=len(edges) + 1).tolist()


def quantile_edges(sorted_values: Sequence[float], bins: int) -> list[float]:
    if not sorted_values:
        return []
    quantiles = np.quantile(np.asarray(sorted_values), np.arange(1, bins) / bins)
    return sorted({float(q) for q in quantiles})


def numeric_profile(name: str, values: Iterable[Any], bins: int) -> dict[str, Any]:
    numbers = [numeric_value(v) for v in values]
    sample = sorted(n for n in numbers if n is not None)
    edges = quantile_edges(sample, bins)
    return {
        "name": name,
        "kind": NUMERIC,
        "count": len(sample),
        "missing": len(numbers) - len(sample),
        "edges": edges,
        "counts": bin_counts(edges, sample),
        "sample": sample,
    }


def categorical_profile(name: str, values: Iterable[Any]) -> dict[str, Any]:
    keys = [category_key(v) for v in values]
    counts = Counter(k for k in keys if k is not None)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    frequencies = dict(ranked[:MAX_CATEGORIES])
    rest = sum(n for _, n in ranked[MAX_CATEGORIES:])
    if rest:
        frequencies[OTHER] = frequencies.get(OTHER, 0) + rest
    return {
        "name": name,
        "kind": CATEGORICAL,
        "count": sum(counts.values()),
        "missing": sum(1 for k in keys if k is None),
        "frequencies": frequencies,
    }


def feature_profile(name: str, kind: str, values: Iterable[Any], bins: int) -> dict[str, Any]:
    if kind == NUMERIC:
        return numeric_profile(name, values, bins)
    return categorical_profile(name, values)


def psi(reference: Sequence[int], window: Sequence[int]) -> float:
    """The population stability index of ``window`` against ``reference`` counts."""
    ref_total, win_total = sum(reference), sum(window)
    total = 0.0
    for ref_count, win_count in zip(reference, window, strict=True):
        p = max(ref_count / ref_total, EPSILON)
        q = max(win_count / win_total, EPSILON)
        total += (q - p) * math.log(q / p)
    return total


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A feature drifts when its PSI reaches ``psi`` or a test's p-value falls below its
    threshold; a window of fewer than ``min_rows`` rows is never called drifted."""

    psi: float = 0.2
    ks_p_value: float = 0.01
    chi_square_p_value: float = 0.01
    min_rows: int = 50


@dataclass(frozen=True, slots=True)
class BinCount:
    lower: float | None  # None: unbounded
    upper: float | None
    reference: int
    window: int


@dataclass(frozen=True, slots=True)
class CategoryCount:
    value: str
    reference: int
    window: int


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    name: str
    kind: str
    reference_count: int
    window_count: int
    window_missing: int
    psi: float | None = None
    ks_statistic: float | None = None
    ks_p_value: float | None = None
    chi_square: float | None = None
    chi_square_p_value: float | None = None
    drifted: bool = False
    bins: list[BinCount] = field(default_factory=list)
    categories: list[CategoryCount] = field(default_factory=list)


def compare_numeric(profile: dict[str, Any], values: Iterable[Any], t: Thresholds) -> FeatureDrift:
    numbers = [numeric_value(v) for v in values]
    window = [n for n in numbers if n is not None]
    edges, reference = profile["edges"], profile["counts"]
    counts = bin_counts(edges, window)
    bounds = [None, *edges, None]
    drift = FeatureDrift(
        name=profile["name"],
        kind=NUMERIC,
        reference_count=profile["count"],
        window_count=len(window),
        window_missing=len(numbers) - len(window),
        bins=[
            BinCount(bounds[i], bounds[i + 1], reference[i], counts[i])
            for i in range(len(reference))
        ],
    )
    if not window or not profile["count"]:
        return drift
    value = psi(reference, counts)
    ks = scipy_stats.ks_2samp(profile["sample"], window)
    return replace(
        drift,
        psi=value,
        ks_statistic=float(ks.statistic),
        ks_p_value=float(ks.pvalue),
        drifted=value >= t.psi or float(ks.pvalue) < t.ks_p_value,
    )


def compare_categorical(
    profile: dict[str, Any], values: Iterable[Any], t: Thresholds
) -> FeatureDrift:
    reference: dict[str, int] = dict(profile["frequencies"])
    keys = [category_key(v) for v in values]
    window: Counter[str] = Counter(k if k in reference else OTHER for k in keys if k is not None)
    if window.get(OTHER) and OTHER not in reference:
        reference[OTHER] = 0
    names = list(reference)
    ref_counts = [reference[k] for k in names]
    win_counts = [window.get(k, 0) for k in names]
    n = sum(win_counts)
    drift = FeatureDrift(
        name=profile["name"],
        kind=CATEGORICAL,
        reference_count=profile["count"],
        window_count=n,
        window_missing=sum(1 for k in keys if k is None),
        categories=[
            CategoryCount(k, r, w) for k, r, w in zip(names, ref_counts, win_counts, strict=True)
        ],
    )
    if not n or not profile["count"]:
        return drift
    value = psi(ref_counts, win_counts)
    statistic, p_value = chi_square(ref_counts, win_counts)
    return replace(
        drift,
        psi=value,
        chi_square=statistic,
        chi_square_p_value=p_value,
        drifted=value >= t.psi or p_value < t.chi_square_p_value,
    )


def expected_counts(reference: Sequence[int], n: int) -> list[float]:
    """What a window of ``n`` values holds per category if it follows the (smoothed) reference."""
    total = sum(reference) + SMOOTHING * len(reference)
    return [n * (r + SMOOTHING) / total for r in reference]


def chi_square(reference: Sequence[int], window: Sequence[int]) -> tuple[float, float]:
    """Pearson's chi-square of ``window`` against the reference proportions, and its p-value."""
    if len(reference) < 2:
        return 0.0, 1.0  # one category: nothing can differ
    result = scipy_stats.chisquare(window, expected_counts(reference, sum(window)))
    return float(result.statistic), float(result.pvalue)


def compare(profile: dict[str, Any], values: Iterable[Any], t: Thresholds) -> FeatureDrift:
    if profile["kind"] == NUMERIC:
        return compare_numeric(profile, values, t)
    return compare_categorical(profile, values, t)
