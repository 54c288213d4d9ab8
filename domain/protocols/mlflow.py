"""MLflow's scoring protocol (``/invocations``): its input formats as the rows a prediction
takes, and its answer, ``{"predictions": [...]}``.

JSON bodies hold exactly one of ``dataframe_split`` (``{"columns", "data", "index"}``),
``dataframe_records`` (a list of objects), ``instances`` or ``inputs`` (TF-serving style: a list
of rows, a list of objects, or an object of columns), plus optional ``params``; CSV bodies are a
header line and rows, read as ``pandas.read_csv`` reads them (which is what MLflow does).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from domain.errors import FieldError, ValidationFailed

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
REQUIRED_FORMAT = (
    "The input must be a JSON object with exactly one of the input fields "
    "dataframe_split, dataframe_records, instances or inputs"
)


class BadRequest(ValidationFailed):
    """A body MLflow's scoring server would refuse; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__([FieldError((), message, "bad_request")], message)


@dataclass(frozen=True, slots=True)
class Table:
    """Rows, with ``columns`` naming their cells when the body named them, or records."""

    rows: list[Any] | None = None
    columns: list[str] | None = None
    records: list[Any] | None = None


def _at_most(max_rows: int, count: int) -> None:
    """Refuses ``count`` rows past ``max_rows`` before any row is built (as Inference would
    after building them all)."""
    if count > max_rows:
        raise BadRequest(f"At most {max_rows} rows per call; got {count}.")


def _from_records(records: list[Any]) -> Table:
    """Records as named rows, columns in first-seen order (as ``pandas.DataFrame`` builds
    them), so a model fit on a plain matrix takes them in that order too."""
    columns: dict[str, None] = {}
    for record in records:
        if not isinstance(record, dict):
            raise BadRequest("Each record must be an object of column names and values.")
        for key in record:
            columns.setdefault(key, None)
    names = list(columns)
    return Table(rows=[[record.get(name) for name in names] for record in records], columns=names)


def _from_columns(data: dict[str, Any], max_rows: int) -> Table:
    lengths = {len(v) if isinstance(v, list) else -1 for v in data.values()}
    if not data or -1 in lengths or len(lengths) != 1:
        raise BadRequest("The values of each input/column must be lists of the same length.")
    _at_most(max_rows, lengths.pop())
    names = [str(name) for name in data]
    return Table(rows=[list(row) for row in zip(*data.values(), strict=True)], columns=names)


def _tensor_input(value: Any, max_rows: int) -> Table:
    """``instances`` or ``inputs``: rows, records, or an object of columns."""
    if isinstance(value, dict):
        return _from_columns(value, max_rows)
    if not isinstance(value, list):
        raise BadRequest("`instances` and `inputs` must be a list or an object of columns.")
    _at_most(max_rows, len(value))
    if value and all(isinstance(item, dict) for item in value):
        return _from_records(value)
    if not all(isinstance(item, list) for item in value):
        raise BadRequest("Each instance must be a list of feature values or an object.")
    return Table(rows=value)


def _split(value: Any, max_rows: int) -> Table:
    if not isinstance(value, dict) or not isinstance(value.get("data"), list):
        raise BadRequest("`dataframe_split` must be an object with `data` (and `columns`).")
    _at_most(max_rows, len(value["data"]))
    columns = value.get("columns")
    if columns is None:
        return Table(rows=value["data"])
    if not isinstance(columns, list) or not all(isinstance(c, str | int) for c in columns):
        raise BadRequest("`dataframe_split.columns` must be a list of column names.")
    return Table(rows=value["data"], columns=[str(c) for c in columns])


def parse_json(body: Any, *, max_rows: int) -> Table:
    """A JSON body's input as a table.

    Raises:
        BadRequest: not an object with exactly one of the formats, a malformed one, or more
            than ``max_rows`` rows (counted before any row is built).
    """
    if not isinstance(body, dict):
        got = "a list" if isinstance(body, list) else f"a {type(body).__name__}"
        raise BadRequest(f"{REQUIRED_FORMAT}. Received {got}.")
    given = [key for key in FORMATS if key in body]
    if len(given) != 1:
        keys = ", ".join(str(k)[:32] for k in list(body)[:8]) or "none"
        raise BadRequest(f"{REQUIRED_FORMAT}. Received input fields: {keys}.")
    value = body[given[0]]
    if given[0] == "dataframe_split":
        return _split(value, max_rows)
    if given[0] == "dataframe_records":
        if not isinstance(value, list):
            raise BadRequest("`dataframe_records` must be a list of objects.")
        _at_most(max_rows, len(value))
        return _from_records(value)
    return _tensor_input(value, max_rows)


def parse_csv(text: str, *, max_rows: int) -> Table:
    """A CSV body (a header line, then rows) as a table, cells typed as pandas reads them.

    Raises:
        BadRequest: text pandas cannot read as a table, or more than ``max_rows`` rows (pandas
            reads one past the cap, no more).
    """
    import pandas

    try:
        frame = pandas.read_csv(io.StringIO(text), nrows=max_rows + 1)
    except Exception as exc:  # pandas raises several types for malformed text
        message = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise BadRequest(f"Failed to parse input as a CSV table: {message}") from None
    if len(frame) > max_rows:
        raise BadRequest(f"At most {max_rows} rows per call; got more.")
    if not isinstance(frame.index, pandas.RangeIndex):
        # pandas makes the extra leading fields of a too-long first row the index, shifting
        # every value; refuse rather than predict on the wrong columns.
        raise BadRequest(
            "Failed to parse input as a CSV table: a row has more fields than the header."
        )
    cells = frame.astype(object).where(frame.notna(), None)
    return Table(rows=cells.values.tolist(), columns=[str(c) for c in frame.columns])


def answer(predictions: list[Any]) -> dict[str, Any]:
    """MLflow's answer: the model's ``predict`` output, one value (or list) per row."""
    return {"predictions": predictions}
