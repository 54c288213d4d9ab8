"""How busy the server core was, and how much of that was the server: other processes on the
machine (tests, builds) skew a benchmark, so every load run records its interference."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path


def _core_jiffies(cpu: int) -> tuple[int, int]:
    """(busy, total) clock ticks of one core since boot."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{cpu} "):
            values = [int(v) for v in line.split()[1:9]]  # user..steal; guest is inside user
            idle = values[3] + values[4]
            return sum(values) - idle, sum(values)
    return 0, 0


# The database servers the PostgreSQL backend talks to: not pinned, and working for the service.
DATABASE_COMMANDS = frozenset({"postgres", "redis-server"})


def _process_jiffies(pgid: int | None) -> tuple[int, int]:
    """utime + stime of (every live process in group ``pgid``, every PostgreSQL/Redis process)."""
    group = database = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            raw = Path(entry.path, "stat").read_text()
            comm = raw[raw.find("(") + 1 : raw.rfind(")")]
            rest = raw[raw.rfind(")") + 2 :].split()
            used = int(rest[11]) + int(rest[12])
            if pgid is not None and int(rest[2]) == pgid:
                group += used
            elif comm in DATABASE_COMMANDS:
                database += used
    return group, database


@dataclass
class Snapshot:
    core_busy: int
    core_total: int
    server: int
    database: int


def snapshot(cpu: int, pgid: int | None) -> Snapshot:
    busy, total = _core_jiffies(cpu)
    return Snapshot(busy, total, *_process_jiffies(pgid))


def usage(before: Snapshot, after: Snapshot) -> dict:
    """Percentages of the server core over the interval: busy, used by the server, by others."""
    total = after.core_total - before.core_total
    if total <= 0:
        return {}
    busy = 100.0 * (after.core_busy - before.core_busy) / total
    server = 100.0 * (after.server - before.server) / total
    database = 100.0 * (after.database - before.database) / total
    other = max(0.0, busy - server)
    return {
        "server_core_busy_pct": round(busy, 1),
        "server_cpu_pct": round(server, 1),
        # The server is pinned to this core, so whatever else kept it busy was someone else...
        "other_on_server_core_pct": round(other, 1),
        # ...or PostgreSQL / Redis working for it (on any core: an upper bound of their share).
        "database_cpu_pct": round(database, 1),
        "unexplained_on_server_core_pct": round(max(0.0, other - database), 1),
    }


def cores_busy(cpus: list[int], interval: float = 1.0) -> dict[int, float]:
    """Busy percentage of each core over ``interval`` seconds (everyone's work, ours included)."""
    before = {c: _core_jiffies(c) for c in cpus}
    time.sleep(interval)
    out = {}
    for c in cpus:
        busy0, total0 = before[c]
        busy1, total1 = _core_jiffies(c)
        out[c] = round(100.0 * (busy1 - busy0) / (total1 - total0), 1) if total1 > total0 else 0.0
    return out
