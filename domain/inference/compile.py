"""The compiled fast path: a scikit-learn version converted to ONNX, kept only if it agrees.

skl2onnx converts the loaded (skops) model; the ONNX copy is run next to the original on the
version's example rows (or, without examples, on seeded synthetic rows) and kept only when
labels match exactly and probabilities (or regression outputs) agree within ``TOLERANCE``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from domain.registry.intake import load_serving_model

log = logging.getLogger("modelserve.inference")

TOLERANCE = 1e-4
SYNTHETIC_ROWS = 64


@dataclass(frozen=True, slots=True)
class Compiled:
    onnx_bytes: bytes
    max_abs_diff: float
    rows_checked: int


class NotCompiled(Exception):
    """Why a version has no compiled fast path (a short reason, shown as a warning)."""


def _check_rows(n_features: int, example: list[Any] | None) -> np.ndarray:
    if example:
        return np.asarray(example, dtype=np.float64)
    return np.random.default_rng(0).normal(size=(SYNTHETIC_ROWS, n_features))


def compile_version(
    *, serving_bytes: bytes, n_features: int | None, example: list[Any] | None
) -> Compiled:
    """Convert and verify; raises ``NotCompiled`` with the reason when it cannot be trusted."""
    if not n_features:
        raise NotCompiled("the number of input features is unknown")
    if example and not all(isinstance(row, list) for row in example):
        raise NotCompiled("the model takes records (named, typed columns)")
    try:
        from skl2onnx import to_onnx
    except ImportError:  # pragma: no cover - skl2onnx is a dependency
        raise NotCompiled("skl2onnx is not installed") from None
    model = load_serving_model(data=serving_bytes, serving_format="skops")
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    options = {id(final): {"zipmap": False}} if hasattr(final, "predict_proba") else None
    sample = np.zeros((1, n_features), dtype=np.float32)
    try:
        onnx_model = to_onnx(model, sample, options=options, target_opset=None)
    except Exception as exc:
        raise NotCompiled(f"skl2onnx cannot convert it ({type(exc).__name__})") from None
    data = onnx_model.SerializeToString()
    compiled = load_serving_model(data=data, serving_format="onnx")
    rows = _check_rows(n_features, example)
    try:
        expected = np.asarray(model.predict(rows))
    except Exception as exc:
        # e.g. a ColumnTransformer selecting columns by name: it needs a DataFrame.
        raise NotCompiled(
            f"the model does not take a plain matrix ({type(exc).__name__})"
        ) from None
    labels, proba = compiled.predict_with_proba(rows)
    if hasattr(final, "predict_proba") and proba is not None:
        if not np.array_equal(np.asarray(labels).astype(expected.dtype), expected):
            raise NotCompiled("the converted model predicts other labels")
        diff = float(np.max(np.abs(np.asarray(proba) - model.predict_proba(rows))))
    else:
        got = np.asarray(labels, dtype=np.float64).reshape(expected.shape)
        scale = np.maximum(1.0, np.abs(expected.astype(np.float64)))
        diff = float(np.max(np.abs(got - expected) / scale))
    if not np.isfinite(diff) or diff > TOLERANCE:
        raise NotCompiled(f"the converted model differs by {diff:.2g} (> {TOLERANCE:g})")
    return Compiled(onnx_bytes=data, max_abs_diff=diff, rows_checked=len(rows))
