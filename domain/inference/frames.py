"""Models fit on a DataFrame are called with one: the column names and dtypes they were fit on.

Validation hands over a matrix (float64, or object when the signature has string or boolean
columns); micro-batching stacks those, and only the batch's runner, in the executor thread, turns
them into what the model takes (see :func:`domain.registry.intake.columns.model_input`, which
intake used to run the model once on its example).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from domain.registry.intake.columns import model_input

Runner = Callable[[Any], Any]


def needs_table(signature: dict[str, Any]) -> bool:
    """Whether the model takes named or non-numeric columns rather than a float matrix."""
    columns = signature.get("columns") or []
    return bool(signature.get("feature_names")) or any(c["type"] != "number" for c in columns)


def with_model_input(run: Runner, signature: dict[str, Any], runtime: str) -> Runner:
    """``run``, called with the model's own kind of input (ONNX copies take the matrix)."""
    if runtime != "sklearn" or not needs_table(signature):
        return run
    columns = signature.get("columns")
    names = signature.get("feature_names")

    def framed(rows: np.ndarray) -> Any:
        return run(model_input(rows, columns, names))

    return framed
