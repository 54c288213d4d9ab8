"""Input checks against a version's signature, before any model code runs."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from domain.errors import FieldError, ValidationFailed
from domain.registry.intake.columns import MAX_STRING_CHARS, missing_value, value_type

MAX_PROBLEMS = 10


class InvalidInput(ValidationFailed):
    """The rows do not fit the model; ``errors`` lists the first problems (row, feature)."""

    def __init__(self, errors: list[FieldError]) -> None:
        first = errors[0]
        super().__init__(errors, message=f"Invalid input: {'.'.join(first.path)}: {first.message}")


def _problem(path: list[str], message: str, code: str) -> FieldError:
    return FieldError(tuple(path), message, code)


def _check_count(n: int, max_rows: int) -> None:
    if n == 0:
        raise InvalidInput([_problem(["inputs"], "Give at least one row.", "empty")])
    if n > max_rows:
        raise InvalidInput(
            [_problem(["inputs"], f"At most {max_rows} rows per call; got {n}.", "too_many_rows")]
        )


def rows_to_matrix(
    rows: Any, *, n_features: int | None, allows_missing: bool, max_rows: int
) -> np.ndarray:
    """A float64 matrix from rows of numbers, or ``InvalidInput`` naming the first problems.

    The common case (a well-formed list of equally long numeric rows) is one numpy call; the
    cell-by-cell diagnosis runs only when that fails.
    """
    if not isinstance(rows, list):
        raise InvalidInput([_problem(["inputs"], "Expected a list of rows.", "not_a_list")])
    _check_count(len(rows), max_rows)
    try:
        matrix = np.asarray(rows)
    except ValueError:
        matrix = None
    if (
        matrix is not None
        and matrix.ndim == 2
        and matrix.dtype.kind in "iuf"
        and (n_features is None or matrix.shape[1] == n_features)
        and not _has_bool(rows)
    ):
        matrix = matrix.astype(np.float64, copy=False)
        if allows_missing or bool(np.isfinite(matrix).all()):
            return matrix
    problems = _diagnose_rows(rows, n_features, allows_missing)
    if problems:
        raise InvalidInput(problems)
    # Only missing values (None) that this model accepts stopped the fast path.
    return _with_nan(rows)


def _has_bool(rows: list[Any]) -> bool:
    """Whether a cell is a bool, which numpy would quietly take as 0 or 1 beside numbers
    (the cell types gathered in C, not compared one by one in Python)."""
    return bool in set(map(type, itertools.chain.from_iterable(rows)))


def _with_nan(rows: list[list[Any]]) -> np.ndarray:
    """Rows whose only non-numbers are None (missing), with None as NaN."""
    return np.asarray(
        [[np.nan if value is None else value for value in row] for row in rows], dtype=np.float64
    )


def _cell_problem(value: Any, allows_missing: bool) -> tuple[str, str] | None:
    if value is None:
        return None if allows_missing else ("Missing value; this model needs a number.", "missing")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return (f"Expected a number, got {type(value).__name__}.", "not_a_number")
    if not math.isfinite(value) and not (allows_missing and math.isnan(value)):
        return ("NaN and infinite values are not accepted by this model.", "not_finite")
    return None


def _diagnose_rows(
    rows: list[Any], n_features: int | None, allows_missing: bool
) -> list[FieldError]:
    problems: list[FieldError] = []
    expected = n_features
    for i, row in enumerate(rows):
        if len(problems) >= MAX_PROBLEMS:
            break
        if not isinstance(row, list):
            problems.append(
                _problem(["inputs", str(i)], "Expected a list of numbers.", "not_a_row")
            )
            continue
        if expected is None:
            expected = len(row)
        if len(row) != expected:
            problems.append(
                _problem(
                    ["inputs", str(i)],
                    f"Expected {expected} features, got {len(row)}.",
                    "wrong_feature_count",
                )
            )
            continue
        for j, value in enumerate(row):
            found = _cell_problem(value, allows_missing)
            if found is not None:
                problems.append(_problem(["inputs", str(i), str(j)], *found))
                if len(problems) >= MAX_PROBLEMS:
                    break
    return problems


def records_to_matrix(
    records: Any,
    *,
    feature_names: list[str] | None,
    allows_missing: bool,
    max_rows: int,
) -> np.ndarray:
    """A matrix from records keyed by feature name, in the model's column order."""
    if not feature_names:
        raise InvalidInput(
            [
                _problem(
                    ["inputs"],
                    "This model was not fit on named features; send `rows` instead.",
                    "no_feature_names",
                )
            ]
        )
    if not isinstance(records, list):
        raise InvalidInput([_problem(["inputs"], "Expected a list of records.", "not_a_list")])
    _check_count(len(records), max_rows)
    names = set(feature_names)
    problems: list[FieldError] = []
    rows: list[list[Any]] = []
    for i, record in enumerate(records):
        if len(problems) >= MAX_PROBLEMS:
            break
        if not isinstance(record, dict):
            problems.append(_problem(["inputs", str(i)], "Expected an object.", "not_a_record"))
            continue
        for key in sorted(set(record) - names)[:3]:
            problems.append(
                _problem(["inputs", str(i), str(key)[:64]], "Unknown feature.", "unknown_feature")
            )
        for name in feature_names:
            if name not in record:
                if not allows_missing:
                    problems.append(
                        _problem(["inputs", str(i), name], "Missing feature.", "missing_feature")
                    )
                continue
            found = _cell_problem(record[name], allows_missing)
            if found is not None:
                problems.append(_problem(["inputs", str(i), name], *found))
        rows.append([record.get(name) for name in feature_names])
    if problems:
        raise InvalidInput(problems[:MAX_PROBLEMS])
    return _with_nan(rows)


# -- typed columns: strings, booleans and per-column missing values ---------------------------


def typed_columns(signature: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The signature's columns when they need more than the all-numbers checks, else None."""
    columns = signature.get("columns")
    if not columns:
        return None
    allows_missing = bool(signature.get("allows_missing"))
    if all(c["type"] == "number" and c["nullable"] == allows_missing for c in columns):
        return None
    return columns


_EXPECTED = {"number": "a number", "string": "a string", "boolean": "true or false"}


def _typed_cell(value: Any, column: dict[str, Any]) -> tuple[Any, tuple[str, str] | None]:
    """The cell as the table holds it, or the problem with it."""
    try:
        kind = value_type(value)
    except TypeError:
        kind = "other"
    expected = column["type"]
    if kind is None:
        if column["nullable"]:
            return missing_value(column), None
        return None, (f"Missing value; this column needs {_EXPECTED[expected]}.", "missing")
    if kind != expected:
        got = type(value).__name__
        return None, (f"Expected {_EXPECTED[expected]}, got {got}.", f"not_a_{expected}")
    if kind == "number" and not math.isfinite(value):
        return None, ("Infinite values are not accepted.", "not_finite")
    if kind == "string" and len(value) > MAX_STRING_CHARS:
        return None, (f"Strings are at most {MAX_STRING_CHARS} characters.", "too_long")
    return value, None


def _typed_row(
    cells: list[tuple[str, Any]], columns: list[dict[str, Any]], path: list[str], out: np.ndarray
) -> list[FieldError]:
    problems = []
    for j, ((label, value), column) in enumerate(zip(cells, columns, strict=True)):
        cell, found = _typed_cell(value, column)
        if found is not None:
            problems.append(_problem([*path, label], *found))
        else:
            out[j] = cell
    return problems


def rows_to_table(rows: Any, *, columns: list[dict[str, Any]], max_rows: int) -> np.ndarray:
    """An object matrix from rows whose cells match the columns' types, or ``InvalidInput``
    naming the row and column of each bad value (the first ten)."""
    if not isinstance(rows, list):
        raise InvalidInput([_problem(["inputs"], "Expected a list of rows.", "not_a_list")])
    _check_count(len(rows), max_rows)
    table = np.empty((len(rows), len(columns)), dtype=object)
    problems: list[FieldError] = []
    for i, row in enumerate(rows):
        if len(problems) >= MAX_PROBLEMS:
            break
        path = ["inputs", str(i)]
        if not isinstance(row, list):
            problems.append(_problem(path, "Expected a list of values.", "not_a_row"))
        elif len(row) != len(columns):
            message = f"Expected {len(columns)} features, got {len(row)}."
            problems.append(_problem(path, message, "wrong_feature_count"))
        else:
            cells = [(str(j), value) for j, value in enumerate(row)]
            problems += _typed_row(cells, columns, path, table[i])
    if problems:
        raise InvalidInput(problems[:MAX_PROBLEMS])
    return table


def records_to_table(records: Any, *, columns: list[dict[str, Any]], max_rows: int) -> np.ndarray:
    """An object matrix from records keyed by column name, in the model's column order."""
    if not isinstance(records, list):
        raise InvalidInput([_problem(["inputs"], "Expected a list of records.", "not_a_list")])
    names = [c["name"] for c in columns]
    if None in names:
        message = "This model was not fit on named features; send `rows` instead."
        raise InvalidInput([_problem(["inputs"], message, "no_feature_names")])
    _check_count(len(records), max_rows)
    known = set(names)
    table = np.empty((len(records), len(columns)), dtype=object)
    problems: list[FieldError] = []
    for i, record in enumerate(records):
        if len(problems) >= MAX_PROBLEMS:
            break
        path = ["inputs", str(i)]
        if not isinstance(record, dict):
            problems.append(_problem(path, "Expected an object.", "not_a_record"))
            continue
        for key in sorted(set(record) - known)[:3]:
            problems.append(_problem([*path, str(key)[:64]], "Unknown feature.", "unknown_feature"))
        cells = [(name, record.get(name)) for name in names]
        problems += _typed_row(cells, columns, path, table[i])
    if problems:
        raise InvalidInput(problems[:MAX_PROBLEMS])
    return table
