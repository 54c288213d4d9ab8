"""`make demo`'s publishing and traffic (client/examples/demo.py) against a live server."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

from modelserve_client import Client

DEMO = Path(__file__).resolve().parents[2] / "client" / "examples" / "demo.py"


def load_demo():
    spec = importlib.util.spec_from_file_location("modelserve_demo", DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_demo(url: str, workdir: Path) -> tuple[dict, list, str]:
    demo = load_demo()
    with Client(url) as client:
        client.register(demo.DEMO_EMAIL, demo.DEMO_PASSWORD)
        client.login(demo.DEMO_EMAIL, demo.DEMO_PASSWORD)
        did = demo.publish_and_drive(client, workdir)
        return did, client.models(), client.token


DRIFT_REPORT = """query($since: DateTime!) {
  driftReport(model: "demo/iris", window: {since: $since}) {
    versionNumber rows drifted driftedFeatures } }"""


async def test_the_demo_publishes_two_models_and_drives_traffic(url, tmp_path, app, gql):
    # When the demo's publishing and traffic run against the server
    did, models, token = await asyncio.to_thread(run_demo, url, tmp_path)

    # Then two models are published, one with categorical columns, iris promoted
    assert sorted(m.full_name for m in models) == ["demo/churn", "demo/iris"]
    iris, churn = did["versions"][1], did["versions"][2]
    assert {m.full_name: m.aliases for m in models}["demo/iris"] == {"production": 2}
    assert [c["type"] for c in churn.signature["columns"]] == [
        "string",
        "string",
        "number",
        "number",
    ]
    assert iris.number == 2 and did["promoted"].version_number == 2

    # And it predicted, single and batch, ran a job to its end, and sent a drifted window
    assert len(did["singles"]) == 20 and did["batch"].rows == 400
    assert (did["job"].status, did["job"].rows_done) == ("SUCCEEDED", 600)
    assert did["profile"]["rows"] == 150
    await app.state.services.inference.log_writer.drain()
    answer = await gql(DRIFT_REPORT, {"since": did["drift_since"]}, token=token)
    report = answer["data"]["driftReport"]
    assert report["rows"] == did["drifted"].rows == 900
    assert report["versionNumber"] == 2 and report["drifted"] is True
    assert "x2" in report["driftedFeatures"]
