"""Backups of a deployment: its database and its artifact store, restored and checked together.

A backup is a directory:

    manifest.json        when, which dialect, every table's row count, every artifact's size
    database.dump        PostgreSQL, ``pg_dump --format=custom`` (or database.sqlite3: SQLite's
                         online backup of the embedded default)
    artifacts/<key>      each stored blob, by its content-addressed key

``restore`` loads it into a *new* database and an empty store (refusing any that is not), then
counts again: every table must have the rows the manifest lists and every blob must come back
under the key it had (keys are content hashes, so a changed byte is a changed key). The
database is dumped before the artifacts are listed, so every blob a version names is present;
blobs uploaded in between are orphans the housekeeping sweep removes. The restored database
carries the backup's migration history, so ``modelserve migrate`` (or a newer server starting)
brings it up to date from there.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404 - runs the PostgreSQL client tools, argv lists only
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from storage.artifacts import artifact_store_from_url
from storage.db import dialect_of

MANIFEST = "manifest.json"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


@dataclass(frozen=True)
class Report:
    tables: dict[str, int]
    artifacts: int
    artifact_bytes: int

    def summary(self) -> str:
        rows = sum(self.tables.values())
        return (
            f"{len(self.tables)} tables, {rows} rows, "
            f"{self.artifacts} artifacts ({self.artifact_bytes} bytes)"
        )


async def backup(database_url: str, artifact_store_url: str, destination: Path) -> Report:
    await asyncio.to_thread(destination.mkdir, parents=True, exist_ok=False)
    dialect = dialect_of(database_url)
    if dialect == "postgres":
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={destination / 'database.dump'}",
                _libpq(database_url),
            ]
        )
    else:
        await asyncio.to_thread(_sqlite_copy, _sqlite_path(database_url), destination)
    tables = await _counts(database_url)
    store = artifact_store_from_url(artifact_store_url)
    artifacts: dict[str, int] = {}
    try:
        (destination / "artifacts").mkdir()
        for key in sorted(await store.list_keys()):
            target = destination / "artifacts" / key
            target.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            with target.open("wb") as out:
                async for chunk in await store.open_stream(key):
                    out.write(chunk)
                    size += len(chunk)
            artifacts[key] = size
    finally:
        await store.close()
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "dialect": dialect,
        "tables": tables,
        "artifacts": artifacts,
    }
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return Report(tables, len(artifacts), sum(artifacts.values()))


async def restore(source: Path, database_url: str, artifact_store_url: str) -> Report:
    manifest = _manifest(source)
    dialect = dialect_of(database_url)
    if manifest["dialect"] != dialect:
        raise BackupError(f"the backup is of a {manifest['dialect']} database, not {dialect}")
    if await _counts(database_url):
        raise BackupError(
            "the target database is not empty (it has tables); restore into a new database"
        )
    store = artifact_store_from_url(artifact_store_url)
    try:
        if await store.list_keys():
            raise BackupError("the target artifact store holds blobs; restore into an empty one")
        if dialect == "postgres":
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    f"--dbname={_libpq(database_url)}",
                    str(source / "database.dump"),
                ]
            )
        else:
            target = Path(_sqlite_path(database_url))
            target.parent.mkdir(parents=True, exist_ok=True)
            for leftover in target.parent.glob(target.name + "*"):
                leftover.unlink()
            shutil.copyfile(source / "database.sqlite3", target)
        for key, size in manifest["artifacts"].items():
            stored = await store.put_stream(
                _read(source / "artifacts" / key), max_bytes=max(size, 1), suffix=_suffix(key)
            )
            if stored.key != key or stored.size != size:
                raise BackupError(f"artifact {key} came back as {stored.key} ({stored.size} bytes)")
        keys = await store.list_keys()
    finally:
        await store.close()
    tables = await _counts(database_url)
    if tables != manifest["tables"]:
        differ = sorted(
            name
            for name in set(tables) | set(manifest["tables"])
            if tables.get(name) != manifest["tables"].get(name)
        )
        raise BackupError(f"row counts differ from the backup's in: {', '.join(differ)}")
    if sorted(keys) != sorted(manifest["artifacts"]):
        raise BackupError("the restored store does not hold exactly the backup's artifacts")
    return Report(tables, len(keys), sum(manifest["artifacts"].values()))


def _manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} is not a backup: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


async def _counts(database_url: str) -> dict[str, int]:
    """Rows per table (our tables and the migration history), from a connection of our own."""
    if dialect_of(database_url) == "postgres":
        conn = await asyncpg.connect(_libpq(database_url))
        try:
            names = [
                r["tablename"]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
            ]
            return {n: await conn.fetchval(_count(n)) for n in sorted(names)}
        finally:
            await conn.close()
    return await asyncio.to_thread(_sqlite_counts, _sqlite_path(database_url))


def _count(table: str) -> str:
    """``SELECT count(*)`` of a table the catalogue named (never a caller's text)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise BackupError(f"unexpected table name {table!r}")
    return f'SELECT count(*) FROM "{table}"'  # noqa: S608 # nosec B608 - a checked identifier only


def _sqlite_counts(path: str) -> dict[str, int]:
    if not os.path.exists(path):
        return {}
    with sqlite3.connect(path) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {n: conn.execute(_count(n)).fetchone()[0] for n in names}


def _sqlite_copy(path: str, destination: Path) -> None:
    """SQLite's online backup: a consistent copy while the server keeps writing."""
    if not os.path.exists(path):
        raise BackupError(f"no database at {path}")
    with sqlite3.connect(path) as live, sqlite3.connect(destination / "database.sqlite3") as copy:
        live.backup(copy)


def _sqlite_path(url: str) -> str:
    return url.split("://", 1)[1].split("?", 1)[0]


def _libpq(url: str) -> str:
    """The URL as libpq and asyncpg read it: ``postgresql://``, without Tortoise's pool options."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


def _suffix(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name[name.index(".") :] if "." in name else ""


async def _read(path: Path) -> Any:
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            yield chunk


def _run(command: list[str]) -> None:
    try:
        # The PostgreSQL client tools, with the configured database URL as their argument.
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 # nosec B603 - our own pg client argv, no shell
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools)") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")
