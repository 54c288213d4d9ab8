"""Read an uploaded reference CSV, inside the intake sandbox: typed rows, sampled.

Run by the confined intake worker (``domain.registry.intake._worker``, mode ``reference``) on
an inherited read-only descriptor. It streams the file (one row at a time, each field at most
``MAX_FIELD`` characters), checks the header names every model column, types each cell as the
column needs, and keeps a uniform sample of at most ``sample_rows`` rows (reservoir sampling
with a fixed seed, so the same file gives the same profile). Anything wrong is refused with the
line it was found on. Only plain numbers, strings and booleans leave the sandbox.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
from typing import Any

from domain.errors import ModelRejected

MAX_FIELD = 1 << 16
MAX_COLUMNS = 10_000
MAX_STRING_CHARS = 1024  # what serving accepts in a string column
# The answer travels on a pipe the sandbox caps at 4 MiB: a larger sample is subsampled.
MAX_ANSWER_BYTES = 3 << 20
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _refuse(message: str) -> ModelRejected:
    return ModelRejected("invalid_example", message[:500])


def _cell(raw: str, column: dict[str, Any], line: int) -> Any:
    text = raw.strip()
    if text == "" or text.lower() in {"na", "nan", "null"}:
        return None
    kind = column["type"]
    if kind == "number":
        try:
            value = float(text)
        except ValueError:
            raise _refuse(
                f"Line {line}, column {column['name']!r}: {text[:40]!r} is not a number."
            ) from None
        return value if math.isfinite(value) else None
    if kind == "boolean":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise _refuse(f"Line {line}, column {column['name']!r}: expected true or false.")
    if len(raw) > MAX_STRING_CHARS:
        raise _refuse(
            f"Line {line}, column {column['name']!r}: strings are at most "
            f"{MAX_STRING_CHARS} characters."
        )
    return raw


def read_reference(request: dict[str, Any]) -> dict[str, Any]:
    columns: list[dict[str, Any]] = request["columns"]
    sample_rows = int(request["sample_rows"])
    csv.field_size_limit(MAX_FIELD)
    chooser = random.Random(0)  # noqa: S311 # nosec B311 - a sample, not a secret
    sample: list[list[Any]] = []
    total = 0
    with io.TextIOWrapper(
        os.fdopen(int(request["fd"]), "rb", closefd=False), encoding="utf-8-sig", newline=""
    ) as text:
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            if header is None:
                raise _refuse("The file is empty: it needs a header row and data rows.")
            if len(header) > MAX_COLUMNS:
                raise _refuse(f"The header has more than {MAX_COLUMNS} columns.")
            names = [h.strip() for h in header]
            if len(set(names)) != len(names):
                raise _refuse("The header names a column twice.")
            where = {name: i for i, name in enumerate(names)}
            missing = [c["name"] for c in columns if c["name"] not in where]
            if missing:
                raise _refuse(f"The header lacks the model's column(s): {', '.join(missing[:10])}.")
            picks = [where[c["name"]] for c in columns]
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                if len(row) != len(names):
                    raise _refuse(
                        f"Line {line} has {len(row)} fields; the header has {len(names)}."
                    )
                typed = [_cell(row[i], c, line) for i, c in zip(picks, columns, strict=True)]
                total += 1
                if len(sample) < sample_rows:
                    sample.append(typed)
                else:
                    slot = chooser.randrange(total)
                    if slot < sample_rows:
                        sample[slot] = typed
        except csv.Error as exc:
            raise _refuse(f"Line {reader.line_num}: {exc}.") from None
        except UnicodeDecodeError:
            raise _refuse("The file is not UTF-8 text.") from None
    if not total:
        raise _refuse("The file has a header but no data rows.")
    size = len(json.dumps(sample))
    if size > MAX_ANSWER_BYTES:
        # A uniform subset of a uniform sample is a uniform sample.
        sample = chooser.sample(sample, max(1, int(len(sample) * MAX_ANSWER_BYTES * 0.9 / size)))
    return {"reference": {"rows": sample, "total": total}}
