"""The load test (bench/load) runs end to end, briefly: a handful of users for 15 s against two
API processes and a worker, with every kind of simulated user, and reports without an error.

On the PostgreSQL pass it creates (and drops) its own database on the test server; on the
embedded pass the three processes share one SQLite file. Either way it starts its own Redis.
Its figures mean nothing here (a busy machine, a few users): only the report's shape and the
absence of errors are checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = {
    "predict",
    "predictBatch",
    "models",
    "login",
    "job: submit",
    "job: status",
    "job: results",
    "job: end to end",
    "subscribe: predictions",
}

pytestmark = [pytest.mark.fault, pytest.mark.timeout(180)]


def test_a_short_run_reports_every_operation_without_errors(tmp_path):
    # Given a short run with a few users of every kind (cheap password hashing: sign-ins are
    # not what this checks)
    backend = ["--backend", "postgres", "--postgres-admin-url", TEST_DATABASE_URL]
    argv = [sys.executable, "-m", "bench.load", "--users", "6", "--duration", "15"]
    argv += ["--warmup", "5", "--results", str(tmp_path / "results")]
    argv += backend if TEST_DATABASE_URL else ["--backend", "sqlite"]
    argv += ["--set", "ARGON2_TIME_COST=2", "--set", "ARGON2_MEMORY_KIB=19456"]

    # When it runs
    run = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=170)

    # Then it finished (0: every target met; 3: a figure missed on this busy machine)
    assert run.returncode in (0, 3), run.stdout[-3000:] + run.stderr[-3000:]
    results = tmp_path / "results"
    summary = json.loads((results / "summary.json").read_text())

    # And nothing failed: no request, no stream, no job
    assert summary["overall"]["errors"] == 0, summary["failures"]
    assert summary["failures"] == []
    assert summary["subscriptions"]["errors"] == 0
    assert summary["jobs"]["failed"] == 0 and summary["jobs"]["completed"] >= 1
    assert summary["targets"][0] == {
        "target": "zero errors",
        "value": 0,
        "threshold": 0,
        "pass": True,
    }

    # And every operation was made, on both API processes, and measured
    operations = summary["operations"]
    assert set(operations) >= OPERATIONS
    assert all(op["errors"] == 0 for op in operations.values())
    assert all(n > 0 for n in summary["overall"]["requests_per_api"])
    assert len(summary["overall"]["requests_per_api"]) == 2
    single = operations["predict"]
    assert single["measured_requests"] > 0 and single["rps"] > 0
    assert 0 < single["p50_ms"] <= single["p95_ms"] <= single["p99_ms"]

    # And the subscriber saw predictions made on either process
    assert summary["subscriptions"]["subscribers"] == 1
    assert summary["subscriptions"]["events"] > 0

    # And each process's memory was taken after the warm-up and at the end
    assert set(summary["memory"]) == {"api-a", "api-b", "worker"}
    for memory in summary["memory"].values():
        assert memory["start_mb"] > 0 and memory["end_mb"] > 0
        assert memory["growth_pct"] is not None

    # And the targets, the series, the Markdown summary and the plot are there
    assert [t["target"] for t in summary["targets"]][1] == "single predictions: p99 / p50"
    assert len(summary["targets"]) == 5
    assert summary["passed"] == all(t["pass"] for t in summary["targets"])
    assert len(summary["series"]) >= 10
    markdown = (results / "summary.md").read_text()
    assert "| predict |" in markdown and "PASS" in markdown
    assert (results / "load.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert summary["environment"]["locust"] and summary["environment"]["cpus"]
