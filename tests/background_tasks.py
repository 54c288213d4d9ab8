"""Background work only tests declare: named by ``MODELSERVE_BACKGROUND_MODULES``, never shipped.

Each run appends a line to the file ``MODELSERVE_TEST_MARKS`` names, so a test reads back which
process ran what, and how often.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

from domain.background import Scheduled, Task
from storage.queue import scheduled_slot


def _mark(line: str) -> None:
    with Path(os.environ["MODELSERVE_TEST_MARKS"]).open("a") as marks:
        marks.write(f"{line} {os.getpid()}\n")


def read_marks(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines()]


async def record(_services: Any, *, mark: str, hold_s: float = 0.0, once: bool = False) -> None:
    """Mark a start, hold ``hold_s`` (only on the first delivery if ``once``), mark the end."""
    started_before = any(m[:2] == ["start", mark] for m in read_marks(_marks_path()))
    _mark(f"start {mark}")
    if hold_s and not (once and started_before):
        await asyncio.sleep(hold_s)
    _mark(f"done {mark}")


async def crash(_services: Any, *, mark: str) -> None:
    """Kill the worker running it, as an out-of-memory kill would."""
    _mark(f"start {mark}")
    os.kill(os.getpid(), signal.SIGKILL)


async def fail(_services: Any, *, mark: str) -> None:
    _mark(f"fail {mark}")
    raise RuntimeError("a task that always fails")


def _marks_path() -> Path:
    return Path(os.environ["MODELSERVE_TEST_MARKS"])


def _tick_s(_settings: Any) -> float:
    return float(os.environ["MODELSERVE_TEST_TICK_S"])


async def tick(_services: Any) -> None:
    _mark(f"tick {scheduled_slot.get()}")  # the slot claimed, however late the run starts


TASKS = [
    Task("tests.record", record, max_attempts=1),
    Task("tests.crash", crash),
    Task("tests.fail", fail, max_attempts=2),
]
SCHEDULE = (
    [Scheduled("tests.tick", every_s=_tick_s, run=tick)]
    if os.environ.get("MODELSERVE_TEST_TICK_S")
    else []
)
