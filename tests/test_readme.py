"""The README's walkthrough runs as written: its shell blocks, in order, against a live server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

from tests.conftest import TEST_REDIS_URL

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


def printed_by(output: str) -> tuple[list[dict], list[str]]:
    """Every JSON document the script printed (one per request it did not capture), and the
    lines it printed outside them (fields ``jget`` picked, headers)."""
    decoder = json.JSONDecoder()
    found, rest, at = [], [], 0
    while (start := output.find("{", at)) >= 0:
        rest.append(output[at:start] + "\n")
        value, at = decoder.raw_decode(output, start)
        found.append(value)
    rest.append(output[at:])
    return found, [line.strip() for line in "".join(rest).splitlines() if line.strip()]


def answered(printed: list[dict], field: str) -> list:
    """The value of ``field`` in every printed answer that has it, in order."""
    return [a["data"][field] for a in printed if field in (a.get("data") or {})]


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

    # Then every step succeeded
    assert process.returncode == 0, stderr.decode()[-2000:]
    printed, lines = printed_by(stdout.decode())
    assert [a for a in printed if "errors" in a] == []
    assert printed[0]["data"]["register"]["__typename"] == "RegisterSuccess"
    assert printed[1]["data"]["me"]["username"] == "ada"
    assert answered(printed, "setAlias") == [{"__typename": "SetAliasSuccess"}]

    # And the published model predicts, row by row and in a batch
    predicted = answered(printed, "predict")
    assert predicted[0]["version"] == {"number": 1}
    assert predicted[0]["predictions"][0]["probabilities"]
    (batch,) = answered(printed, "predictBatch")
    assert batch["rows"] == 2
    assert batch["classes"] == [0, 1, 2]

    # And a predict-only key predicts, and is refused everything else
    forbidden, first, second, limited, retry_after, header, unauthenticated, queue = lines
    ((listed,),) = answered(printed, "apiKeys")
    assert listed["name"] == "iris-client" and listed["scopes"] == ["PREDICT"]
    assert re.fullmatch(r"msk_[0-9a-f]{16}", listed["prefix"]) and listed["isActive"] is True
    assert len(predicted) == 2  # the session's, then the key's
    assert predicted[1] == {"version": {"number": 1}, "predictions": [{"value": 0}]}
    assert forbidden == "FORBIDDEN"

    # And the model's quota lets two predictions through and refuses the third, saying when to retry
    set_quota, cleared = answered(printed, "setModelQuota")
    assert set_quota["__typename"] == "SetModelQuotaSuccess"
    assert set_quota["model"]["quota"]["perMinute"] == 2
    assert [first, second, limited] == ["1", "1", "RATE_LIMITED"]
    assert int(retry_after) >= 1
    assert re.fullmatch(r"retry-after:\s*[1-9][0-9]*", header, re.IGNORECASE)
    assert cleared == {"__typename": "SetModelQuotaSuccess", "model": {"quota": None}}

    # And the revoked key is refused on its next request
    (revoked,) = answered(printed, "revokeApiKey")
    assert revoked["__typename"] == "RevokeApiKeySuccess"
    assert revoked["key"]["isActive"] is False and revoked["key"]["revokedAt"]
    assert unauthenticated == "UNAUTHENTICATED"

    # And the server says where its background work runs
    assert queue == ("redis" if TEST_REDIS_URL else "in-process")

    # And the model's audit trail has the alias set and both quota changes, by ada
    (model,) = answered(printed, "model")
    entries = [edge["node"] for edge in model["auditLog"]["edges"]]
    actions = [entry["action"] for entry in entries]
    assert actions.count("QUOTA_CHANGED") == 2 and "ALIAS_SET" in actions
    assert not [a for a in actions if a.startswith("KEY_")]
    assert {entry["actor"]["username"] for entry in entries} == {"ada"}
    (alias_set,) = [a for a in printed if "setAlias" in (a.get("data") or {})]
    assert entries[actions.index("ALIAS_SET")]["requestId"] == alias_set["extensions"]["requestId"]
