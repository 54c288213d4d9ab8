"""How busy the server core was, and how much of that was the server: other processes on the
machine (tests, builds) skew a benchmark, so every load run records its interference."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path


def _core_jiffies(cpu: int | None) -> tuple[int, int]:
    """(busy, total) clock ticks of one core since boot; of all of them with ``cpu=None``."""
    prefix = "cpu " if cpu is None else f"cpu{cpu} "
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(prefix):
            values = [int(v) for v in line.split()[1:9]]  # user..steal; guest is inside user
            idle = values[3] + values[4]
            return sum(values) - idle, sum(values)
    return 0, 0


# The database servers the PostgreSQL backend talks to: not pinned, and working for the service.
DATABASE_COMMANDS = frozenset({"postgres", "redis-server"})


def _process_jiffies(pgid: int | None) -> tuple[int, int]:
    """utime + stime of (every live process in group ``pgid``, every PostgreSQL/Redis process)."""
    return _groups_jiffies(set() if pgid is None else {pgid})


def _groups_jiffies(pgids: set[int]) -> tuple[int, int]:
    """utime + stime of (every live process in ``pgids``, every other PostgreSQL/Redis process)."""
    group = database = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            raw = Path(entry.path, "stat").read_text()
            comm = raw[raw.find("(") + 1 : raw.rfind(")")]
            rest = raw[raw.rfind(")") + 2 :].split()
            used = int(rest[11]) + int(rest[12])
            if int(rest[2]) in pgids:
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


def machine_snapshot(pgids: set[int]) -> Snapshot:
    """The whole machine's ticks, those of the process groups ``pgids`` and the databases'."""
    busy, total = _core_jiffies(None)
    return Snapshot(busy, total, *_groups_jiffies(pgids))


def machine_usage(before: Snapshot, after: Snapshot) -> dict:
    """Percentages of the whole machine (every core) over the interval, from two
    ``machine_snapshot``s: busy, used by our process groups, by the databases, by others."""
    shares = usage(before, after)
    if not shares:
        return {}
    return {
        "machine_busy_pct": shares["server_core_busy_pct"],
        "ours_pct": shares["server_cpu_pct"],
        "database_pct": shares["database_cpu_pct"],
        "others_pct": shares["unexplained_on_server_core_pct"],
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
