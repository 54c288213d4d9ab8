"""The migration histories, applied from zero on each backend.

Every table takes a row, each migration applies over a row in every table without losing one, the
migrated schema equals what Tortoise's generate_schemas makes of the same models, a second upgrade
applies nothing and keeps the rows, two processes may upgrade at once, a downgrade and a failed
migration leave no trace, a caller's Tortoise is left alone, and ``check`` passes at head.

SQLite always; PostgreSQL too when MODELSERVE_TEST_DATABASE_URL names a server where this test may
create and drop scratch databases. Nothing here knows a table name: the tables come from whatever
models are registered.

The checks (``isolated_*``) run in a child pytest of their own, started by the one ``test_``
below: they init Tortoise on scratch databases of both dialects, and Tortoise keeps a model's
registration (connection name, dialect's query class) on the model class, process-wide, where it
would re-point the models under the session's app of tests/conftest.py. To run them directly:
    python -m pytest tests/storage/test_migrations.py -o 'python_functions=isolated_*' --noconftest
Both dialects share the child: its Tortoise contexts use a connection name per dialect, because
Tortoise caches SQL by connection name.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aerich.models import Aerich
from tortoise import Tortoise, fields
from tortoise.context import TortoiseContext
from tortoise.models import Model

from storage import migrate
from storage.db import MIGRATIONS_ROOT, migrations_location, tortoise_config

PG_SERVER_URL = os.environ.get("MODELSERVE_TEST_DATABASE_URL", "")
PROJECT_ROOT = MIGRATIONS_ROOT.parent
PROBE_TABLE = "migration_probe"  # a table of the test's own, made by hand-written probe files

Schema = dict[str, dict[str, Any]]
NewDatabase = Callable[[], Awaitable[str]]


# ------------------------------------------------------------------------- scratch databases


def _with_database(server_url: str, database: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path="/" + database))


def _sqlite_path(url: str) -> str:
    return url.split("://", 1)[1]


@pytest.fixture(params=["sqlite", *(["postgres"] if PG_SERVER_URL else [])])
def dialect(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def new_database(dialect: str, tmp_path: Path) -> AsyncIterator[NewDatabase]:
    """A factory of empty databases of the dialect; the PostgreSQL ones are dropped afterwards."""
    created: list[str] = []

    async def new() -> str:
        name = f"modelserve_migtest_{uuid.uuid4().hex[:12]}"
        if dialect == "sqlite":
            return f"sqlite://{tmp_path / name}.sqlite3"
        conn = await asyncpg.connect(PG_SERVER_URL)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        created.append(name)
        return _with_database(PG_SERVER_URL, name)

    yield new
    if created:
        conn = await asyncpg.connect(PG_SERVER_URL)
        try:
            for name in created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def _fetch(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of one query, over a plain driver connection (no Tortoise state involved)."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(_sqlite_path(url))) as conn:
            return conn.execute(sql, args).fetchall()
    conn = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


async def _tables(url: str) -> list[str]:
    if url.startswith("sqlite"):
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    return sorted(row[0] for row in await _fetch(url, sql))


async def _row_counts(url: str) -> dict[str, int]:
    return {
        table: (await _fetch(url, f'SELECT count(*) FROM "{table}"'))[0][0]
        for table in await _tables(url)
    }


def _config(url: str, connection: str) -> dict[str, Any]:
    """The application's Tortoise config under another connection name."""
    config = tortoise_config(url)
    config["connections"] = {connection: config["connections"]["default"]}
    config["apps"]["models"]["default_connection"] = connection
    return config


# ----------------------------------------------------------------- schema, read from catalogue


def _sqlite_schema(path: str) -> Schema:
    schema: Schema = {}
    with closing(sqlite3.connect(path)) as conn:
        tables = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for (table,) in tables:
            columns = conn.execute(
                'SELECT name, type, "notnull", pk FROM pragma_table_info(?)', (table,)
            ).fetchall()
            indexes, uniques = [], []
            for name, unique, origin in conn.execute(
                "SELECT name, [unique], origin FROM pragma_index_list(?)", (table,)
            ).fetchall():
                cols = tuple(
                    row[0]
                    for row in conn.execute(
                        "SELECT name FROM pragma_index_info(?) ORDER BY seqno", (name,)
                    )
                )
                indexes.append((cols, bool(unique)))
                if origin == "u":
                    uniques.append(cols)
            keys: dict[int, list[tuple[Any, ...]]] = {}
            for key_id, *rest in conn.execute(
                'SELECT id, "from", "table", "to", on_delete FROM pragma_foreign_key_list(?) '
                "ORDER BY id, seq",
                (table,),
            ):
                keys.setdefault(key_id, []).append(tuple(rest))
            schema[table] = {
                # SQLite enforces a type's affinity only, not its length: compare that family.
                "columns": {n: (migrate.sqlite_affinity(t), bool(nn)) for n, t, nn, _ in columns},
                "primary_key": tuple(
                    n for n, _, _, pk in sorted(columns, key=lambda c: c[3]) if pk
                ),
                "indexes": sorted(indexes),
                "unique_constraints": sorted(uniques),
                "foreign_keys": sorted(
                    (
                        tuple(part[0] for part in parts),
                        parts[0][1],
                        tuple(part[2] for part in parts),
                        parts[0][3],
                    )
                    for parts in keys.values()
                ),
            }
    return schema


_PG_COLUMNS = """
SELECT table_name, column_name, udt_name, character_maximum_length, numeric_precision,
       numeric_scale, is_nullable = 'YES'
FROM information_schema.columns WHERE table_schema = current_schema()
"""
_PG_INDEXES = """
SELECT t.relname, ix.indisunique, ix.indisprimary,
       ARRAY(SELECT a.attname FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.num
             ORDER BY k.ord),
       pg_get_expr(ix.indpred, ix.indrelid), pg_get_expr(ix.indexprs, ix.indrelid)
FROM pg_index ix
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema()
"""
_PG_CONSTRAINTS = """
SELECT t.relname, c.contype::text,
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.ord),
       r.relname,
       ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num ORDER BY k.ord),
       c.confdeltype::text
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_class r ON r.oid = c.confrelid
WHERE n.nspname = current_schema() AND c.contype IN ('u', 'f')
"""


async def _postgres_schema(url: str) -> Schema:
    schema: Schema = {
        table: {
            "columns": {},
            "primary_key": (),
            "indexes": [],
            "unique_constraints": [],
            "foreign_keys": [],
        }
        for table in await _tables(url)
    }
    for table, column, udt, length, precision, scale, nullable in await _fetch(url, _PG_COLUMNS):
        # PostgreSQL enforces lengths, so the type is compared whole; precision only for numeric.
        size = length if length is not None else (precision, scale) if udt == "numeric" else None
        schema[table]["columns"][column] = (udt if size is None else f"{udt}{size}", not nullable)
    for table, unique, primary, cols, predicate, expressions in await _fetch(url, _PG_INDEXES):
        schema[table]["indexes"].append((tuple(cols), unique, predicate, expressions))
        if primary:
            schema[table]["primary_key"] = tuple(cols)
    for table, kind, cols, ref_table, ref_cols, on_delete in await _fetch(url, _PG_CONSTRAINTS):
        if kind == "u":
            schema[table]["unique_constraints"].append(tuple(cols))
        else:
            schema[table]["foreign_keys"].append(
                (tuple(cols), ref_table, tuple(ref_cols), on_delete)
            )
    for shape in schema.values():
        for key in ("indexes", "unique_constraints", "foreign_keys"):
            shape[key].sort(key=repr)
    return schema


async def _schema(url: str) -> Schema:
    if url.startswith("sqlite"):
        return _sqlite_schema(_sqlite_path(url))
    return await _postgres_schema(url)


# ------------------------------------------------------------------- a row in every table


def _sample_value(model: type[Model], name: str, spec: fields.Field) -> Any:
    """A valid value for a data field, from its metadata (one row per table: no clashes)."""
    enum_type = getattr(spec, "enum_type", None)
    if isinstance(enum_type, type) and issubclass(enum_type, Enum):
        return next(iter(enum_type))
    if isinstance(spec, fields.JSONField):
        return {"sample": [1, "two"]}
    samples: dict[type, Any] = {
        uuid.UUID: uuid.uuid4(),
        bool: True,
        int: 7,
        float: 1.5,
        Decimal: Decimal(1),
        datetime: datetime.now(UTC),
        date: date.today(),
        time: time(12, 30),
        timedelta: timedelta(seconds=90),
        bytes: b"\x00\x01",
    }
    if spec.field_type is str:
        return "s" * min(getattr(spec, "max_length", None) or 8, 8)
    if spec.field_type in samples:
        return samples[spec.field_type]
    raise TypeError(f"no sample value for {model.__name__}.{name} ({type(spec).__name__})")


def _relations(model: type[Model]) -> dict[str, Any]:
    return {
        name: model._meta.fields_map[name]
        for name in model._meta.fk_fields | model._meta.o2o_fields
    }


def _sample_row(model: type[Model], made: dict[type[Model], Model]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, relation in _relations(model).items():
        if relation.related_model is model:
            assert relation.null, f"{model.__name__}.{name} references its own table, NOT NULL"
            row[name] = None  # the first row of a table can point at no other
        else:
            row[name] = made[relation.related_model]
    set_by_relations = {relation.source_field for relation in _relations(model).values()}
    for name in model._meta.fields_db_projection:
        spec = model._meta.fields_map[name]
        automatic = spec.generated or getattr(spec, "auto_now", False)
        if name in set_by_relations or automatic or getattr(spec, "auto_now_add", False):
            continue
        row[name] = _sample_value(model, name, spec)
    return row


async def _insert_row_everywhere(url: str, dialect: str) -> dict[type[Model], Any]:
    """One row per registered model, parents first, then one link per many-to-many field.

    Returns each model's primary key, for ``_read_back``.
    """
    async with TortoiseContext() as ctx:
        await ctx.init(config=_config(url, f"rows_{dialect}"))
        assert ctx.apps is not None
        # aerich's table already holds the history's rows; a made-up one would be noise.
        models = [model for model in ctx.apps.get_models_iterable() if model is not Aerich]
        graph = {
            model: {r.related_model for r in _relations(model).values()} - {model}
            for model in models
        }
        made: dict[type[Model], Model] = {}
        for model in TopologicalSorter(graph).static_order():
            made[model] = await model.create(**_sample_row(model, made))
        for model in models:
            for name in model._meta.m2m_fields:
                spec = model._meta.fields_map[name]
                if not spec._generated:  # the other side of the same through table
                    await getattr(made[model], name).add(made[spec.related_model])
        return {model: row.pk for model, row in made.items()}


async def _read_back(url: str, dialect: str, keys: dict[type[Model], Any]) -> None:
    """Every row loads through the ORM, so the columns still hold what the models expect."""
    async with TortoiseContext() as ctx:
        await ctx.init(config=_config(url, f"rows_{dialect}"))
        for model, key in keys.items():
            assert await model.get_or_none(pk=key) is not None, f"{model.__name__} lost its row"


# ------------------------------------------------- a row in every table, from the catalogue alone
# The models describe the head only; before an older migration the tables have older shapes, so
# the rows that must survive each migration are built from the catalogue instead.

_PG_RAW_COLUMNS = """
SELECT table_name, column_name, udt_name, is_nullable = 'YES',
       column_default IS NOT NULL OR is_identity = 'YES'
FROM information_schema.columns WHERE table_schema = current_schema()
ORDER BY table_name, ordinal_position
"""


async def _raw_columns(url: str) -> dict[str, list[tuple[str, str, bool, bool]]]:
    """table -> [(column, type, nullable, filled by the database)]."""
    tables: dict[str, list[tuple[str, str, bool, bool]]] = {t: [] for t in await _tables(url)}
    if url.startswith("sqlite"):
        for table, columns in tables.items():
            sql = (
                'SELECT name, type, "notnull", dflt_value IS NOT NULL, pk FROM pragma_table_info(?)'
            )
            for name, declared, notnull, has_default, pk in await _fetch(url, sql, table):
                rowid = bool(pk) and declared.upper() == "INTEGER"  # SQLite numbers those itself
                columns.append((name, declared, not notnull, bool(has_default) or rowid))
    else:
        for table, name, udt, nullable, has_default in await _fetch(url, _PG_RAW_COLUMNS):
            tables[table].append((name, udt, nullable, has_default))
    return tables


async def _raw_references(url: str) -> dict[str, dict[str, tuple[str, str]]]:
    """table -> {column: (referenced table, referenced column)}."""
    references: dict[str, dict[str, tuple[str, str]]] = {t: {} for t in await _tables(url)}
    if url.startswith("sqlite"):
        sql = 'SELECT "from", "table", "to" FROM pragma_foreign_key_list(?)'
        for table, columns in references.items():
            for column, ref_table, ref_column in await _fetch(url, sql, table):
                columns[column] = (ref_table, ref_column)
    else:
        for table, kind, cols, ref_table, ref_cols, _ in await _fetch(url, _PG_CONSTRAINTS):
            if kind == "f":
                references[table].update(
                    {c: (ref_table, r) for c, r in zip(cols, ref_cols, strict=True)}
                )
    return references


def _raw_sample(declared: str, dialect: str) -> Any:
    now = datetime.now(UTC)
    if dialect == "postgres":
        by_type: dict[str, Any] = {
            "uuid": uuid.uuid4(),
            "bool": True,
            "int2": 7,
            "int4": 7,
            "int8": 7,
            "float4": 1.5,
            "float8": 1.5,
            "numeric": Decimal(0),
            "timestamptz": now,
            "timestamp": now.replace(tzinfo=None),
            "date": now.date(),
            "time": time(12, 30),
            "interval": timedelta(seconds=90),
            "json": '{"sample": 1}',
            "jsonb": '{"sample": 1}',
            "bytea": b"\x00",
            "varchar": "s",
            "bpchar": "s",
            "text": "s",
        }
        if declared not in by_type:
            raise TypeError(f"no sample value for PostgreSQL type {declared}: extend _raw_sample")
        return by_type[declared]
    upper = declared.upper()
    if upper == "CHAR(36)":  # Tortoise's UUIDField
        return str(uuid.uuid4())
    if "JSON" in upper:
        return '{"sample": 1}'
    if "TIME" in upper or "DATE" in upper:
        return now.isoformat()
    return {"INTEGER": 7, "TEXT": "s", "REAL": 1.5, "BLOB": b"\x00"}.get(
        migrate.sqlite_affinity(declared), 0
    )


async def _insert_returning(url: str, table: str, row: dict[str, Any]) -> dict[str, Any]:
    names = ", ".join(f'"{name}"' for name in row)
    if url.startswith("sqlite"):
        marks = ", ".join("?" for _ in row)
        values = f"({names}) VALUES ({marks})" if row else "DEFAULT VALUES"
        with closing(sqlite3.connect(_sqlite_path(url))) as conn:
            cursor = conn.execute(f'INSERT INTO "{table}" {values} RETURNING *', list(row.values()))
            inserted = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
            conn.commit()
            return inserted
    marks = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    values = f"({names}) VALUES ({marks})" if row else "DEFAULT VALUES"
    conn = await asyncpg.connect(url)
    try:
        return dict(
            await conn.fetchrow(f'INSERT INTO "{table}" {values} RETURNING *', *row.values())
        )
    finally:
        await conn.close()


async def _insert_raw_row_in_empty_tables(url: str, dialect: str) -> None:
    """A row in every empty table (aerich's is not), parents first, built from the catalogue."""
    columns, references = await _raw_columns(url), await _raw_references(url)
    graph = {t: {ref for ref, _ in refs.values()} - {t} for t, refs in references.items()}
    rows: dict[str, dict[str, Any]] = {}
    for table in TopologicalSorter(graph).static_order():
        names = [name for name, *_ in columns[table]]
        select = ", ".join(f'"{name}"' for name in names)
        if found := await _fetch(url, f'SELECT {select} FROM "{table}" LIMIT 1'):
            rows[table] = dict(zip(names, found[0], strict=True))  # a parent to point at
            continue
        row: dict[str, Any] = {}
        for name, declared, nullable, filled in columns[table]:
            if name in references[table]:
                ref_table, ref_column = references[table][name]
                row[name] = rows[ref_table][ref_column] if ref_table in rows else None
                assert row[name] is not None or nullable, f"{table}.{name}: no row to point at"
            elif not filled:
                row[name] = _raw_sample(declared, dialect)
        rows[table] = await _insert_returning(url, table, row)


# -------------------------------------------------------------------------------------- tests


def _history_names(url: str) -> list[str]:
    return [
        path.name
        for path in sorted(
            (migrations_location(url) / "models").glob("[0-9]*_*.py"),
            key=lambda path: int(path.name.split("_", 1)[0]),
        )
    ]


async def _connections_to(url: str) -> int:
    database = urlsplit(url).path.lstrip("/")
    sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
    return (await _fetch(PG_SERVER_URL, sql, database))[0][0]


async def isolated_upgrade_from_zero_then_again_keeps_every_row(
    dialect: str, new_database: NewDatabase
) -> None:
    url = await new_database()
    history = _history_names(url)
    assert history, f"no migrations under {migrations_location(url)}"

    assert await migrate.upgrade(url) == history
    assert not Tortoise.is_inited(), "upgrade left a Tortoise context behind"
    if dialect == "postgres":
        assert await _connections_to(url) == 0, "upgrade left connections open"

    keys = await _insert_row_everywhere(url, dialect)
    counts = await _row_counts(url)
    assert all(counts.values()), f"tables without a row: {[t for t, n in counts.items() if not n]}"

    assert await migrate.upgrade(url) == []
    assert await _row_counts(url) == counts
    await _read_back(url, dialect, keys)
    statuses = await migrate.history(url)
    assert [(s.name, s.applied, s.on_disk) for s in statuses] == [(n, True, True) for n in history]


async def isolated_each_migration_keeps_the_rows_before_it(
    dialect: str, new_database: NewDatabase, tmp_path: Path
) -> None:
    """Migrations one at a time, each over a row in every table; at head, rows once more."""
    url = await new_database()
    staged = tmp_path / "models"
    staged.mkdir()
    for name in _history_names(url):
        await _insert_raw_row_in_empty_tables(url, dialect)
        before = await _row_counts(url)
        shutil.copyfile(migrations_location(url) / "models" / name, staged / name)
        assert await migrate.upgrade(url, location=tmp_path) == [name]
        after = await _row_counts(url)
        lost = {t: (n, after[t]) for t, n in before.items() if t in after and after[t] < n}
        assert not lost, f"{name} lost rows (before, after): {lost}"
    # Also at head, so the catalogue-built rows are known to fit even while the history is short.
    await _insert_raw_row_in_empty_tables(url, dialect)
    counts = await _row_counts(url)
    assert all(counts.values()), f"tables without a row: {[t for t, n in counts.items() if not n]}"


async def isolated_migrated_schema_equals_generate_schemas(
    dialect: str, new_database: NewDatabase
) -> None:
    migrated, reference = await new_database(), await new_database()
    await migrate.upgrade(migrated)
    async with TortoiseContext() as ctx:
        await ctx.init(config=_config(reference, f"reference_{dialect}"))
        await ctx.generate_schemas(safe=False)

    got, want = await _schema(migrated), await _schema(reference)
    assert sorted(got) == sorted(want), "the migrations make other tables than the models"
    for table, shape in want.items():
        diffs = {
            key: (got[table][key], value)
            for key, value in shape.items()
            if got[table][key] != value
        }
        assert not diffs, f"{table!r}, (migrated, generate_schemas): {diffs}"


async def isolated_two_processes_upgrading_at_once_apply_each_migration_once(
    new_database: NewDatabase,
) -> None:
    url = await new_database()
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "storage.migrate",
            "upgrade",
            url,
            cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = await asyncio.gather(*(proc.communicate() for proc in procs))
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
    statuses = await migrate.history(url)  # which also names aerich's table, by registering it
    assert all(status.applied for status in statuses)
    table = Aerich._meta.db_table
    recorded = [row[0] for row in await _fetch(url, f'SELECT version FROM "{table}"')]
    assert sorted(recorded) == sorted(_history_names(url))


def _history_with_probe(url: str, root: Path, upgrade_sql: str, downgrade_sql: str) -> str:
    """A copy of the dialect's history plus one hand-written migration; returns its name."""
    shutil.copytree(
        migrations_location(url) / "models",
        root / "models",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    name = f"{len(_history_names(url))}_20990101000000_probe.py"
    (root / "models" / name).write_text(
        "async def upgrade(db):\n"
        f"    return {upgrade_sql!r}\n\n\n"
        "async def downgrade(db):\n"
        f"    return {downgrade_sql!r}\n",
        encoding="utf-8",
    )
    return name


async def isolated_downgrade_reverts_what_follows_the_version(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    url = await new_database()
    head = len(_history_names(url)) - 1
    probe = _history_with_probe(
        url,
        tmp_path,
        f'CREATE TABLE "{PROBE_TABLE}" ("id" INT NOT NULL PRIMARY KEY);',
        f'DROP TABLE "{PROBE_TABLE}";',
    )
    assert (await migrate.upgrade(url, location=tmp_path))[-1] == probe
    assert PROBE_TABLE in await _tables(url)

    assert await migrate.downgrade(url, head, location=tmp_path) == [probe]
    assert PROBE_TABLE not in await _tables(url)
    pending = [s.name for s in await migrate.history(url, location=tmp_path) if not s.applied]
    assert pending == [probe]
    assert await migrate.upgrade(url, location=tmp_path) == [probe]
    with pytest.raises(ValueError):
        await migrate.downgrade(url, -1, location=tmp_path)


async def isolated_a_failing_migration_leaves_no_trace(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    url = await new_database()
    probe = _history_with_probe(
        url,
        tmp_path,
        f'CREATE TABLE "{PROBE_TABLE}" ("id" INT NOT NULL PRIMARY KEY);\n'
        'INSERT INTO "no_such_table" VALUES (1);',
        "",
    )
    with pytest.raises(Exception, match="no_such_table"):
        await migrate.upgrade(url, location=tmp_path)

    assert PROBE_TABLE not in await _tables(url), "half of the failed migration stayed"
    statuses = {s.name: s.applied for s in await migrate.history(url, location=tmp_path)}
    assert statuses.pop(probe) is False
    assert all(statuses.values()), "the migrations before the failing one stay applied"


async def isolated_upgrade_leaves_the_callers_tortoise_alone(new_database: NewDatabase) -> None:
    url = await new_database()
    await migrate.upgrade(url)
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))  # the application's own set-up
        conn = ctx.db()
        assert await migrate.upgrade(url) == []
        assert Tortoise.is_inited() and ctx.db() is conn
        assert await conn.execute_query_dict("SELECT 1 AS one") == [{"one": 1}]
        assert ctx.apps is not None
        for model in ctx.apps.get_models_iterable():  # the ORM still reaches the caller's database
            expected = len(_history_names(url)) if model is Aerich else 0
            assert await model.all().count() == expected, model.__name__


def isolated_check_passes_at_head() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "storage.migrate", "check"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_migrations_in_a_process_of_their_own() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            __file__,
            "-o",
            "python_functions=isolated_*",
            "--noconftest",
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-20_000:] + proc.stderr[-5_000:]
