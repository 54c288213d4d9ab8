"""A model's input columns: their types as read from the input example, and the table built
from them, the same way at upload (in the sandbox) and at serve time.

A column is ``{"name": str | None, "type": "number" | "string" | "boolean", "nullable": bool}``.
A model fit on a DataFrame (it has ``feature_names_in_``) gets a DataFrame with those names and
one dtype per column: float64 for numbers, object for strings (missing values as NaN, as pandas
reads them) and bool for booleans (object when nullable). Any other model gets a matrix: float64
when every column is a number, else object.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from domain.errors import ModelRejected

COLUMN_TYPES = ("number", "string", "boolean")
MAX_STRING_CHARS = 1024


def value_type(value: Any) -> str | None:
    """The column type a JSON value fits, or None for a missing value (null or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    raise TypeError(type(value).__name__)


def check_columns(value: Any) -> list[dict[str, Any]] | None:
    """Stored columns as written by :func:`example_table`, every field checked."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError("expected a list of columns")
    columns = []
    for column in value:
        if not isinstance(column, dict) or column.get("type") not in COLUMN_TYPES:
            raise ValueError("expected columns with a known type")
        name = column.get("name")
        if name is not None and not isinstance(name, str):
            raise ValueError("expected column names to be strings")
        columns.append(
            {"name": name, "type": column["type"], "nullable": bool(column.get("nullable"))}
        )
    return columns


def numeric_columns(
    n_features: int, names: list[str] | None, nullable: bool
) -> list[dict[str, Any]]:
    return [
        {"name": names[j] if names else None, "type": "number", "nullable": nullable}
        for j in range(n_features)
    ]


def _invalid(message: str) -> ModelRejected:
    return ModelRejected("invalid_example", message)


def check_example_records(
    records: list[Any], *, max_rows: int, max_columns: int
) -> list[dict[str, Any]]:
    """Records keyed by column name whose values are numbers, strings, booleans or null."""
    if not 1 <= len(records) <= max_rows:
        raise _invalid(f"The input example must have 1 to {max_rows} records.")
    checked = []
    for record in records:
        if not isinstance(record, dict) or not 1 <= len(record) <= max_columns:
            raise _invalid("Each input example record must be a non-empty object.")
        for key, value in record.items():
            if not isinstance(key, str) or not 0 < len(key) <= 256:
                raise _invalid("Input example column names must be 1-256 characters.")
            if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
                raise _invalid(f"Input example strings are at most {MAX_STRING_CHARS} characters.")
            if isinstance(value, float) and math.isinf(value):
                raise _invalid("Input example numbers must be finite.")
            try:
                value_type(value)
            except TypeError:
                raise _invalid(
                    "Input example values must be numbers, strings, booleans or null."
                ) from None
        checked.append(dict(record))
    return checked


def example_table(
    example: list[Any], *, names: list[str] | None, n_features: int | None, nullable: bool
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The example as an object matrix in the model's column order, and each column's type.

    ``example`` holds rows (lists in feature order) or records (objects keyed by feature
    name); ``nullable`` says whether number columns accept missing values without one.
    """
    if isinstance(example[0], dict):
        if not names:
            raise _invalid("Records need a model fit on named columns; give rows instead.")
        unknown = sorted({key for record in example for key in record} - set(names))
        if unknown:
            raise _invalid(f"The input example has unknown columns: {', '.join(unknown[:5])}.")
        rows = [[record.get(name) for name in names] for record in example]
    else:
        rows = example
    width = len(rows[0])
    if n_features is not None and width != n_features:
        raise _invalid(f"The input example has {width} columns; the model expects {n_features}.")
    columns = []
    for j in range(width):
        seen = set()
        for row in rows:
            try:
                seen.add(value_type(row[j]))
            except TypeError as exc:
                raise _invalid(f"Column {j} of the input example holds a {exc}.") from None
        kinds = seen - {None}
        if len(kinds) > 1:
            found = " and ".join(sorted(kinds))
            raise _invalid(f"Column {j} of the input example mixes {found} values.")
        kind = kinds.pop() if kinds else "number"
        columns.append(
            {
                "name": names[j] if names else None,
                "type": kind,
                "nullable": None in seen or (kind == "number" and nullable),
            }
        )
    table = np.empty((len(rows), width), dtype=object)
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            table[i, j] = missing_value(column) if value_type(row[j]) is None else row[j]
    return table, columns


def missing_value(column: dict[str, Any]) -> Any:
    """What a missing value becomes in a column: NaN (numbers, strings) or None (booleans)."""
    return None if column["type"] == "boolean" else math.nan


def model_input(
    matrix: np.ndarray, columns: list[dict[str, Any]] | None, names: list[str] | None
) -> Any:
    """What the model is called with: a typed DataFrame when it was fit on one, else a matrix."""
    typed = columns is not None and any(column["type"] != "number" for column in columns)
    if not names:
        return matrix if typed else matrix.astype(np.float64, copy=False)
    import pandas

    if not typed:
        return pandas.DataFrame(matrix.astype(np.float64, copy=False), columns=names, copy=False)
    assert columns is not None
    data = {}
    for j, (name, column) in enumerate(zip(names, columns, strict=True)):
        values = matrix[:, j]
        if column["type"] == "number":
            data[name] = values.astype(np.float64)
        elif column["type"] == "boolean" and not column["nullable"]:
            data[name] = values.astype(bool)
        else:
            data[name] = pandas.Series(values, dtype=object)
    return pandas.DataFrame(data)
