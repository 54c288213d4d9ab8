"""The README's walkthrough runs as written: its shell blocks, in order, against a live server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## A first session with curl"


def walkthrough() -> str:
    """The ``sh`` blocks of the walkthrough section, joined into one script."""
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    blocks = re.findall(r"```sh\n(.*?)```", text[start : end if end > 0 else None], re.DOTALL)
    # The test serves the app itself; the reader starts `make run`.
    lines = [line for b in blocks for line in b.splitlines() if not line.startswith("make run")]
    return "\n".join(lines) + "\n"


def answers(output: str) -> list[dict]:
    """Every JSON document the script printed (one per request it did not capture)."""
    decoder = json.JSONDecoder()
    found, at = [], 0
    while (start := output.find("{", at)) >= 0:
        value, at = decoder.raw_decode(output, start)
        found.append(value)
    return found


async def test_the_walkthrough_runs_as_written(live_server, tmp_path):
    # Given the README's blocks, pointed at a live server
    script = walkthrough().replace(
        "API=http://127.0.0.1:8000/graphql", f"API=http://{live_server}/graphql"
    )
    assert "ACCESS=..." not in script and "API=http://127.0.0.1:8000" not in script
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}

    # When bash runs them, stopping at the first failing command
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        script,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)

    # Then every step succeeded, and it ends with predictions from the published model
    assert process.returncode == 0, stderr.decode()[-2000:]
    printed = answers(stdout.decode())
    assert [a for a in printed if "errors" in a] == []
    assert printed[0]["data"]["register"]["__typename"] == "RegisterSuccess"
    assert printed[1]["data"]["me"]["username"] == "ada"
    assert printed[2]["data"]["setAlias"]["__typename"] == "SetAliasSuccess"
    assert printed[-2]["data"]["predict"]["version"] == {"number": 1}
    batch = printed[-1]["data"]["predictBatch"]
    assert batch["rows"] == 2
    assert batch["classes"] == [0, 1, 2]
