"""Running the Node clients of tests/clients from pytest.

A script is run with ``run_script(name, *args)``: it gets its arguments on the command line and
prints one JSON document on stdout, which comes back decoded; a non-zero exit fails the test
with the script's stderr. Without ``node`` or without ``node_modules`` (``npm ci`` in this
folder; ``make test`` does it) the test is skipped with the reason; CI forbids skips, so there
a missing install fails the run.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CLIENTS = Path(__file__).resolve().parent
NODE_MODULES = CLIENTS / "node_modules"
# A hang guard, not a speed bound: every script finishes in seconds when the server answers.
TIMEOUT_S = 120.0


def node_binary() -> str:
    """The path of ``node``, or skip the test when there is none."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (CI installs Debian's nodejs and npm)")
    return node


def require_node_modules(*packages: str) -> None:
    """Skip unless ``npm ci`` has installed ``packages`` under tests/clients."""
    missing = [p for p in packages if not (NODE_MODULES / p / "package.json").is_file()]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: run `npm ci` in tests/clients")


async def run_script(
    script: str, *args: str, timeout: float = TIMEOUT_S, env: dict[str, str] | None = None
) -> Any:
    """Run tests/clients/``script`` with ``args``; return its stdout decoded as JSON.

    Asynchronous, so the live server the script talks to keeps running on the test's loop.
    """
    node = node_binary()
    process = await asyncio.create_subprocess_exec(
        node,
        str(CLIENTS / script),
        *args,
        cwd=CLIENTS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"{script} did not finish within {timeout:.0f} s")
    if process.returncode != 0:
        pytest.fail(f"{script} exited {process.returncode}:\n{stderr.decode()}{stdout.decode()}")
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        pytest.fail(f"{script} printed no JSON:\n{stdout.decode()}\n{stderr.decode()}")
