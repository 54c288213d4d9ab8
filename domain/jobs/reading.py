"""Reading a batch file row by row with bounded memory: CSV with a header, or JSON Lines.

Lines are read at most ``max_line_bytes`` at a time: a longer line is skipped to its end and
reported as one malformed row, so a single 200 MB line never sits in memory. Text is UTF-8
(a byte-order mark is dropped); a line that is not is reported, not guessed at.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

SKIP_BLOCK = 1 << 16


class BadInput(Exception):
    """The file as a whole cannot be read (no header, duplicate columns...): the job fails."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # where the row starts, counting from 1
    values: Any  # CSV: the cells (strings) in header order; JSON Lines: the parsed value


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str
    code: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message, "code": self.code}


class Lines:
    """A binary file's lines as text, each at most ``max_bytes``; counts lines and bytes."""

    def __init__(self, handle: BinaryIO, max_bytes: int) -> None:
        self._handle = handle
        self.max_bytes = max_bytes
        self.line = 0  # physical lines read so far
        self.offset = 0  # bytes read so far
        self.too_long = False  # set when a line was cut (cleared by the reader)
        self.not_utf8 = False

    def __iter__(self) -> Iterator[str]:
        handle = self._handle
        while raw := handle.readline(self.max_bytes + 1):
            self.line += 1
            self.offset += len(raw)
            if len(raw) > self.max_bytes and not raw.endswith(b"\n"):
                while more := handle.readline(SKIP_BLOCK):
                    self.offset += len(more)
                    if more.endswith(b"\n"):
                        break
                self.too_long = True
                yield "\n"
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.not_utf8 = True
                text = raw.decode("utf-8", errors="replace")
            if self.line == 1 and text.startswith("\ufeff"):
                text = text[1:]
            yield text

    def problem(self, line: int) -> RowError | None:
        """What made the row just read unusable, if anything (and forget it)."""
        found = None
        if self.too_long:
            found = RowError(line, f"Line longer than {self.max_bytes} bytes.", "line_too_long")
        elif self.not_utf8:
            found = RowError(line, "Not valid UTF-8; save the file as UTF-8.", "encoding")
        self.too_long = self.not_utf8 = False
        return found


class CsvReader:
    """A CSV file with a header line; ``rows()`` yields each data row or what is wrong with it."""

    def __init__(self, handle: BinaryIO, *, max_line_bytes: int, max_columns: int) -> None:
        self.lines = Lines(handle, max_line_bytes)
        self._reader = csv.reader(iter(self.lines))
        try:
            header = next(self._reader)
        except StopIteration:
            raise BadInput("The file is empty.") from None
        except csv.Error as exc:
            raise BadInput(f"The header is not valid CSV ({exc}).") from None
        problem = self.lines.problem(1)
        if problem is not None:
            raise BadInput(f"The header: {problem.message}")
        if len(header) > max_columns:
            raise BadInput(f"{len(header)} columns; at most {max_columns} are accepted.")
        self.columns = [name.strip() for name in header]
        if not any(self.columns):
            raise BadInput("The first line must name the columns.")
        seen: set[str] = set()
        for name in self.columns:
            if not name:
                raise BadInput("A column has no name in the header.")
            if name in seen:
                raise BadInput(f"The column {name[:64]!r} appears twice in the header.")
            seen.add(name)

    def rows(self) -> Iterator[Row | RowError]:
        width = len(self.columns)
        while True:
            start = self.lines.line + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.lines.problem(start)
                yield RowError(start, f"Not valid CSV ({exc}).", "malformed")
                continue
            problem = self.lines.problem(start)
            if problem is not None:
                yield problem
            elif not cells:
                continue  # a blank line
            elif len(cells) != width:
                message = f"Expected {width} values, got {len(cells)}."
                yield RowError(start, message, "wrong_column_count")
            else:
                yield Row(start, cells)


class JsonLinesReader:
    """One JSON value per line; blank lines are skipped."""

    def __init__(self, handle: BinaryIO, *, max_line_bytes: int) -> None:
        self.lines = Lines(handle, max_line_bytes)
        self.columns: list[str] | None = None

    def rows(self) -> Iterator[Row | RowError]:
        for text in self.lines:
            line = self.lines.line
            problem = self.lines.problem(line)
            if problem is not None:
                yield problem
                continue
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except ValueError as exc:
                yield RowError(line, f"Not valid JSON ({exc.args[0][:80]}).", "malformed")
                continue
            yield Row(line, value)
