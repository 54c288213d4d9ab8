"""A model's answers as JSON values, checked at serve time rather than trusted.

Intake runs every new upload once, but a version stored before that check, or a model whose
answers depend on its input, may still answer anything its code returns. Before an answer is
cached, logged or sent, every value becomes a JSON one: numpy scalars become Python numbers,
booleans and strings, arrays become lists. Anything else is refused as ``UnservableOutput``,
a ``PREDICTION_FAILED`` error that names the offending type, never the value: bytes, complex
numbers, dates, arbitrary objects, integers past 64 bits, and NaN or infinities. JSON has no
NaN, and ``null`` would be no better: the schema promises a value for every row and a number
for every probability, and a model answering NaN has failed at that row, not answered it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from domain.errors import DomainError
from domain.inference.batching import BatchOutput, PredictionFailed

# Nesting deeper than this is not an answer for one row; it also bounds the recursion.
MAX_DEPTH = 32
# What orjson writes: the int64 and uint64 ranges together.
_MIN_INT, _MAX_INT = -(2**63), 2**64 - 1


class UnservableOutput(PredictionFailed):
    """The model answered, but with something no JSON answer can carry."""

    def __init__(self, detail: str) -> None:
        DomainError.__init__(self, f"The model answered what JSON cannot carry: {detail}.")
        self.detail = detail


def plain_output(output: BatchOutput, n_rows: int) -> BatchOutput:
    """``output`` with JSON values only, one answer per row; raises ``UnservableOutput``."""
    predictions = np.asarray(output.predictions)
    if predictions.ndim == 0 or len(predictions) != n_rows:
        got = "one value" if predictions.ndim == 0 else f"{len(predictions)} answers"
        raise UnservableOutput(f"{got} for {n_rows} rows")
    probabilities = None
    if output.probabilities is not None:
        probabilities = _plain_probabilities(np.asarray(output.probabilities), n_rows)
    return BatchOutput(_plain_predictions(predictions), probabilities)


def plain_values(values: list[Any] | None, what: str) -> list[Any] | None:
    """A list of ``what`` (e.g. class labels) as JSON values; raises ``UnservableOutput``."""
    if values is None:
        return None
    return [_plain(value, what, 0) for value in values]


def _plain_predictions(predictions: np.ndarray) -> np.ndarray:
    """An array whose ``tolist()`` holds JSON values only."""
    kind = predictions.dtype.kind
    if kind in "biuU":
        return predictions  # tolist() gives Python bools, ints and strings
    if kind == "f":
        if predictions.dtype.itemsize > 8:  # long double: tolist() would keep numpy scalars
            predictions = predictions.astype(np.float64)
        if not np.isfinite(predictions).all():
            raise UnservableOutput("a prediction that is NaN or infinite")
        return predictions
    if kind != "O":
        raise UnservableOutput(f"a prediction of numpy type {predictions.dtype}")
    plain = np.empty(len(predictions), dtype=object)
    for i, value in enumerate(predictions.tolist()):
        plain[i] = _plain(value, "prediction", 0)
    return plain


def _plain_probabilities(probabilities: np.ndarray, n_rows: int) -> np.ndarray:
    if probabilities.dtype.kind not in "biuf":
        try:
            probabilities = probabilities.astype(np.float64)
        except (TypeError, ValueError):
            raise UnservableOutput("a probability that is not a number") from None
    elif probabilities.dtype.itemsize > 8:
        probabilities = probabilities.astype(np.float64)
    if probabilities.ndim != 2 or len(probabilities) != n_rows:
        raise UnservableOutput(f"probabilities of shape {probabilities.shape} for {n_rows} rows")
    if not np.isfinite(probabilities).all():
        raise UnservableOutput("a probability that is NaN or infinite")
    return probabilities


def _plain(value: Any, what: str, depth: int) -> Any:
    """``value`` as a JSON value: None, bool, int, float, str, list or str-keyed dict."""
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        number = int(value)
        if not _MIN_INT <= number <= _MAX_INT:
            raise UnservableOutput(f"a {what} integer outside the 64-bit range")
        return number
    if isinstance(value, float | np.floating):
        number = float(value)
        if not math.isfinite(number):
            raise UnservableOutput(f"a {what} that is NaN or infinite")
        return number
    if isinstance(value, str):  # numpy's str_ and other subclasses: the plain string
        return str(value)
    if depth >= MAX_DEPTH:
        raise UnservableOutput(f"a {what} nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(item, what, depth + 1) for item in value]
    if isinstance(value, dict):
        if not all(type(key) is str for key in value):
            raise UnservableOutput(f"a {what} object whose keys are not all strings")
        return {key: _plain(item, what, depth + 1) for key, item in value.items()}
    raise UnservableOutput(f"a {what} of type {type(value).__name__}")
