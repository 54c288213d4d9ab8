"""The README's "Python client and CLI" shell blocks run as written against a live server."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.test_readme import run_script, sh_blocks

SECTION = "## Python client and CLI"
DEMO_PASSWORD = "modelserve demo password"


def client_blocks() -> str:
    """The section's ``sh`` blocks as one script, without the line that starts `make demo`."""
    blocks = sh_blocks(SECTION)
    lines = [line for b in blocks for line in b.splitlines() if not line.startswith("make demo")]
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(300)
async def test_the_client_section_runs_as_written(live_server, signup, tmp_path):
    # Given the demo user (what `make demo` creates) and the section's blocks pointed at the
    # live server, with the config dir and the project's virtual environment of this run
    await signup("demo@example.com", DEMO_PASSWORD)
    script = client_blocks().replace("http://127.0.0.1:8000", f"http://{live_server}")
    script = script.replace('export PATH="$PWD/.venv/bin:$PATH"', "")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSERVE_")} | {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "COLUMNS": "160",
    }

    # When bash runs them, stopping at the first failing command
    returncode, stdout, stderr = await run_script(script, tmp_path, env)

    # Then every step succeeded: published, promoted, predicted, a job run and downloaded
    assert returncode == 0, stderr[-2000:]
    printed = stdout
    assert "iris-tree version 1" in printed and "iris-tree@production → version 1" in printed
    assert json.loads((tmp_path / "job.json").read_text())["status"] == "SUCCEEDED"
    results = (tmp_path / "results.csv").read_text().splitlines()
    assert results[0].startswith("line,a,b,c,d,prediction") and len(results) == 3
    assert json.loads((tmp_path / "key.json").read_text())["secret"].startswith("msk_")
    assert printed.rstrip().splitlines()[-1] == "['demo/iris-tree']"
