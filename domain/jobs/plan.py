"""How a row of the file becomes a row the model takes: columns matched, cells typed."""

from __future__ import annotations

from typing import Any

from domain.jobs.reading import BadInput, Row, RowError
from storage import tables

MAX_NAMED = 5


class Plan:
    """Checks the file's columns against the version's signature once, then converts rows.

    A CSV file must name every feature of a model fit on named features, and no other column
    (a misspelt column would otherwise be dropped silently); for a model fit on a plain matrix
    its columns are taken in order. JSON Lines rows are objects for a model with named
    features, arrays otherwise. The model's rows go in feature order as ``rows``.
    """

    def __init__(
        self, *, signature: dict[str, Any], fmt: tables.JobFormat, columns: list[str] | None
    ) -> None:
        self.fmt = fmt
        self.names: list[str] | None = signature.get("feature_names") or None
        self._known = frozenset(self.names or ())
        typed = signature.get("columns") or None
        n_features = signature.get("n_features_in")
        if typed:
            self.kinds = [column["type"] for column in typed]
        else:
            self.kinds = ["number"] * (len(self.names) if self.names else (n_features or 0))
        self.index: list[int] | None = None
        if fmt is tables.JobFormat.CSV:
            assert columns is not None
            if self.names:
                missing = [name for name in self.names if name not in columns]
                unknown = [name for name in columns if name not in self._known]
                if missing:
                    raise BadInput(f"Missing columns: {_list(missing)}.")
                if unknown:
                    raise BadInput(f"Columns the model does not know: {_list(unknown)}.")
                self.index = [columns.index(name) for name in self.names]
            else:
                if n_features is not None and len(columns) != n_features:
                    raise BadInput(f"{len(columns)} columns; the model takes {n_features}.")
                self.index = list(range(len(columns)))
                if not self.kinds:
                    self.kinds = ["number"] * len(columns)

    def convert(self, row: Row) -> list[Any] | RowError:
        """The model's row, or why this row cannot be one."""
        if self.index is not None:
            cells = row.values
            return [_cell(cells[i], kind) for i, kind in zip(self.index, self.kinds, strict=True)]
        value = row.values
        if self.names:
            if not isinstance(value, dict):
                return RowError(
                    row.line, "Expected a JSON object keyed by feature.", "not_an_object"
                )
            unknown = [str(key) for key in value if key not in self._known]
            if unknown:
                return RowError(row.line, f"Unknown features: {_list(unknown)}.", "unknown_feature")
            return [value.get(name) for name in self.names]
        if not isinstance(value, list):
            return RowError(row.line, "Expected a JSON array of features.", "not_an_array")
        return value


def _cell(text: str, kind: str) -> Any:
    """A CSV cell as its column's type; left as text when it is not one (validation says so)."""
    if text == "":
        return None
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in {"true", "1"}:
            return True
        if lowered in {"false", "0"}:
            return False
    return text


def _list(names: list[str]) -> str:
    shown = ", ".join(repr(name[:64]) for name in names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")
