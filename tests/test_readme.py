"""The README's walkthrough runs as written: its shell blocks, in order, against a live server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_REDIS_URL

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## A first session with curl"


def sh_blocks(section: str) -> list[str]:
    """The ``sh`` blocks of one README section (up to the next ``## `` heading), in order."""
    text = README.read_text()
    start = text.index(section)
    end = text.find("\n## ", start + len(section))
    return re.findall(r"```sh\n(.*?)```", text[start : end if end > 0 else None], re.DOTALL)


def walkthrough() -> str:
    """The ``sh`` blocks of the walkthrough section, joined into one script."""
    # The test serves the app itself; the reader starts `make run` (with a setting or two).
    serve = re.compile(r"^(\w+=\S+ )*make run")
    lines = [line for b in sh_blocks(SECTION) for line in b.splitlines() if not serve.match(line)]
    return "\n".join(lines) + "\n"


async def run_script(script: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``script`` with bash, stopping at its first failing command; exit code and output."""
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        script,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=240)
    return process.returncode, stdout.decode(), stderr.decode()


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


@pytest.mark.timeout(600)  # several uploads, each checked in a sandbox, on a busy machine
async def test_the_walkthrough_runs_as_written(app, live_server, tmp_path, monkeypatch):
    # Given the README's blocks, pointed at a live server started as the README says (loopback
    # webhooks on), with a compressed retry schedule
    settings = app.state.services.settings
    monkeypatch.setattr(settings, "webhook_allow_loopback", True)
    monkeypatch.setattr(settings, "webhook_backoff_base_s", 0.2)
    monkeypatch.setattr(settings, "webhook_drain_interval_s", 0.2)
    script = walkthrough().replace(
        "API=http://127.0.0.1:8000/graphql", f"API=http://{live_server}/graphql"
    )
    assert "ACCESS=..." not in script and "API=http://127.0.0.1:8000" not in script
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}

    # When bash runs them, stopping at the first failing command
    returncode, stdout, stderr = await run_script(script, tmp_path, env)

    # Then every step succeeded
    assert returncode == 0, stderr[-2000:]
    printed, lines = printed_by(stdout)
    assert [a for a in printed if "errors" in a] == []
    assert printed[0]["data"]["register"]["__typename"] == "RegisterSuccess"
    assert printed[1]["data"]["me"]["username"] == "ada"
    assert answered(printed, "setAlias") == [{"__typename": "SetAliasSuccess"}] * 2

    # And the published model predicts, row by row and in a batch
    predicted = answered(printed, "predict")
    assert predicted[0]["version"] == {"number": 1}
    assert predicted[0]["predictions"][0]["probabilities"]
    (batch,) = answered(printed, "predictBatch")
    assert batch["rows"] == 2
    assert batch["classes"] == [0, 1, 2]

    # And a predict-only key predicts, and is refused everything else
    forbidden, first, second, limited, retry_after, header, unauthenticated = lines[:7]
    shape, missing, served = lines[7:10]
    explained, received, results = lines[10:15], lines[15:19], lines[19:21]
    (queue,) = lines[21:]
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
    alias_set, _ = [a for a in printed if "setAlias" in (a.get("data") or {})]
    assert entries[actions.index("ALIAS_SET")]["requestId"] == alias_set["extensions"]["requestId"]

    # And the same model answers over the Open Inference Protocol and MLflow's scoring protocol
    assert (shape, missing) == ("[-1, 4]", "404")
    (inferred,) = [a for a in printed if "model_name" in a]
    assert inferred["id"] == "first" and inferred["model_version"] == "1"
    assert [o["name"] for o in inferred["outputs"]] == ["predict", "predict_proba"]
    assert inferred["outputs"][0]["data"] == [0, 2] and inferred["outputs"][1]["shape"] == [2, 3]
    assert [a for a in printed if "predictions" in a and "data" not in a] == [
        {"predictions": [0]},
        {"predictions": [2]},
    ]

    # And the canary: the policy as set, one version for this caller, the shadow's copies compared
    traffic, cleared = answered(printed, "setAliasTraffic")
    assert traffic["__typename"] == "SetAliasTrafficSuccess"
    assert traffic["alias"]["traffic"] == {
        "split": [
            {"weight": 90, "version": {"number": 1}},
            {"weight": 10, "version": {"number": 2}},
        ],
        "shadows": [{"number": 3}],
    }
    assert served in {"1", "2"}
    (compared,) = answered(printed, "modelAnalytics")
    by = {(v["number"], v["shadow"]): v for v in compared["versions"]}
    shadow = by[(3, True)]
    assert (shadow["count"], shadow["errorCount"]) == (5, 0)
    assert shadow["agreement"]["comparedRows"] == 5
    assert 0 <= shadow["agreement"]["rate"] <= 1
    assert by[(int(served), False)]["count"] >= 5

    # And an explanation adds up to the model's decision_function, costs ten times the units,
    # and a model without an explainer says so with its own code
    assert explained == [
        "MARGIN",
        "adds up",
        "10",
        "UploadModelVersionSuccess",
        "EXPLANATION_UNSUPPORTED",
    ]
    # And, the canary cleared so that v1 answers every caller, a reference profile flags the
    # shifted window of traffic, and not the calm one
    assert cleared == {
        "__typename": "SetAliasTrafficSuccess",
        "alias": {"version": {"number": 1}, "traffic": None},
    }
    (profiled,) = answered(printed, "uploadDriftReference")
    assert profiled["__typename"] == "DriftProfileSuccess", profiled
    assert profiled["profile"]["source"] == "UPLOAD" and profiled["profile"]["rows"] == 150
    (thresholds,) = answered(printed, "setDriftThresholds")
    assert thresholds["thresholds"]["psi"] == 0.25
    calm, shifted = answered(printed, "driftReport")
    assert (calm["rows"], calm["drifted"], calm["driftedFeatures"]) == (150, False, [])
    assert shifted["rows"] == 150 and shifted["drifted"] is True
    assert "x2" in shifted["driftedFeatures"]

    # And a webhook to the metadata address is refused; the local receiver that failed three
    # times got the alias change a fourth time, every copy verified by standardwebhooks
    (refused,) = answered(printed, "createWebhookEndpoint")
    assert refused["__typename"] == "ValidationError"
    assert [f["code"] for f in refused["fields"]] == ["address_not_allowed"]
    assert [line.split()[0] for line in received] == ["500", "500", "500", "200"]
    assert {tuple(line.split()[1:]) for line in received} == {
        ("verified", line.split()[2], "alias.changed") for line in received[:1]
    }
    (endpoint,) = answered(printed, "webhookEndpoint")
    (delivery,) = endpoint["deliveries"]["nodes"]
    # Four answers; on a loaded machine an attempt may also time out before the receiver reads
    # it (no status code), which then counts as one more attempt.
    answered_codes = [a["statusCode"] for a in delivery["attemptLog"]]
    assert delivery["status"] == "SUCCEEDED", delivery
    assert delivery["attempts"] == len(answered_codes), delivery
    assert [c for c in answered_codes if c is not None] == [500, 500, 500, 200], delivery
    assert delivery["webhookId"] == received[0].split()[2]

    # And the batch job predicted every row but the malformed one, downloadable both ways
    (job,) = answered(printed, "job")
    assert (job["status"], job["rowsDone"], job["rowsFailed"]) == ("SUCCEEDED", 1500, 1)
    assert job["rowErrors"] == [
        {"line": 1502, "code": "invalid", "message": "0: Expected a number, got str."}
    ]
    assert job["version"] == {"number": 1}
    columns = "sepal_length,sepal_width,petal_length,petal_width"
    probabilities = "probability_0,probability_1,probability_2"
    assert results[0] == f"line,{columns},prediction,{probabilities}"
    assert results[1].startswith("2,5.1,3.5,1.4,0.2,0,")
    (linked,) = [a for a in printed if "prediction" in a]
    assert (linked["line"], linked["prediction"]) == (2, 0)
    assert linked["input"] == dict(
        zip(columns.split(","), ["5.1", "3.5", "1.4", "0.2"], strict=True)
    )
