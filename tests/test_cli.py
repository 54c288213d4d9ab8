"""The `modelserve` command, run as a new user would run it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, data_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSERVE_")} | {
        "MODELSERVE_DATA_DIR": str(data_dir)
    }
    return run_cli_with(env, *args, stdin=stdin)


def run_cli_with(
    env: dict[str, str], *args: str, stdin: str = "", timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``modelserve ARGS`` from the checkout, with exactly ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "graph.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_export_schema_prints_the_committed_schema(tmp_path):
    result = run_cli("export-schema", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "schema.graphql").read_text()


def test_migrate_then_create_admin(tmp_path):
    migrated = run_cli("migrate", data_dir=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "applied" in migrated.stdout

    created = run_cli(
        "create-admin",
        "Root@Example.com",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="a long admin password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "admin ready: root@example.com" in created.stdout

    with sqlite3.connect(tmp_path / "modelserve.db") as db:
        rows = db.execute("select email, role, is_active from users").fetchall()
    assert rows == [("root@example.com", "admin", 1)]


def test_create_admin_refuses_a_short_password(tmp_path):
    result = run_cli(
        "create-admin", "root@example.com", "--password-stdin", data_dir=tmp_path, stdin="short\n"
    )
    assert result.returncode != 0
    assert "password: Use at least 10 characters." in result.stderr


def test_bad_configuration_is_reported_not_raised(tmp_path):
    env_result = subprocess.run(
        [sys.executable, "-m", "graph.cli", "migrate"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("MODELSERVE_")},
            "MODELSERVE_DATA_DIR": str(tmp_path),
            "MODELSERVE_ENVIRONMENT": "production",
            "MODELSERVE_PRODUCTION_ALLOW": "sqlite",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert env_result.returncode == 2
    assert "MODELSERVE_SECRET_KEY is required in production" in env_result.stderr
    assert "Traceback" not in env_result.stderr


def test_worker_without_a_redis_queue_says_serve_runs_the_work(tmp_path):
    result = run_cli("worker", data_dir=tmp_path)
    assert result.returncode == 2
    assert "the queue is in process (memory://), so `serve` runs the work" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_serve_that_runs_no_work_needs_a_redis_queue(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSERVE_")} | {
        "MODELSERVE_DATA_DIR": str(tmp_path),
        "MODELSERVE_WORKER_IN_PROCESS": "false",
    }
    result = subprocess.run(
        [sys.executable, "-m", "graph.cli", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "MODELSERVE_WORKER_IN_PROCESS=false needs a Redis queue" in result.stderr
    assert "Traceback" not in result.stderr
