"""The dashboard at /ui in headless Chromium (tests/clients/ui.mjs), against a live server.

Needs what the GraphiQL browser test needs (node, ``npm ci`` in tests/clients, Chromium).
With ``MODELSERVE_SCREENSHOTS=DIR`` the script saves ``dashboard.png`` and ``graphiql.png``
there (docs/images holds the committed ones).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from modelserve_client import Client

from tests import factories
from tests.clients.node import require_node_modules, run_script
from tests.clients.test_graphiql_browser import chromium_binary
from tests.conftest import DEFAULT_PASSWORD

ROWS = [[5.1, 3.5, 1.4, 0.2]]
ALIASES = "query($id: ID!) { model(id: $id) { aliases { name version { number } } } }"


def publish_two_versions(url: str, token: str) -> dict[str, Any]:
    """What a data scientist does before the dashboard: upload fitted estimators."""
    with Client(url, token=token) as client:
        first = client.upload(factories.logistic_regression(), name="iris")
        second = client.upload(factories.logistic_regression(1), name="iris")
        model = client.model("iris")
    assert (first.number, second.number) == (1, 2)
    assert model is not None
    return {"id": model.id, "fullName": model.full_name}


async def test_dashboard_end_to_end_in_a_browser(live_server, signup, gql, tmp_path: Path):
    chromium = chromium_binary()
    require_node_modules("playwright-core")
    token = (await signup("ada@example.com"))["accessToken"]
    # Uploaded through the Python client, promoted in the dashboard (issue 14). The blocking
    # client runs in a thread: the server shares this event loop.
    model = await asyncio.to_thread(publish_two_versions, f"http://{live_server}", token)
    job_file = tmp_path / "rows.csv"
    job_file.write_text("x0,x1,x2,x3\n" + "".join(f"{i},1.5,2.5,0.5\n" for i in range(50)))
    shots = os.environ.get("MODELSERVE_SCREENSHOTS")
    config = {
        "base": f"http://{live_server}",
        "email": "ada@example.com",
        "password": DEFAULT_PASSWORD,
        "token": token,
        "model": model["fullName"],
        "modelId": model["id"],
        "rows": ROWS,
        "jobFile": str(job_file),
        "screenshots": shots,
    }

    seen = await run_script("ui.mjs", json.dumps(config), env={"CHROMIUM": chromium})

    first = seen["firstScreen"]
    assert first["url"] == f"http://{live_server}/ui"
    assert "default-src 'self'" in first["policy"]
    # The redirect, the page, one stylesheet and three modules; under 40 KB in all.
    assert first["requests"] == 6, first
    assert first["bytes"] < 40_000, first
    assert seen["signInUnlabelled"] == seen["modelUnlabelled"] == []
    assert seen["analytics"]["unlabelled"] == seen["keys"]["unlabelled"] == []
    assert seen["webhooksUnlabelled"] == []
    assert (
        seen["signInTabOrder"][-2:] == ["Email", "Password"] or "Sign in" in seen["signInTabOrder"]
    )
    assert "Promote v1 to production" in seen["modelTabOrder"]
    assert seen["stored"] == ["modelserve.session"]
    assert seen["who"] == "ada"
    assert seen["afterPromote"].startswith("production → v2")
    assert seen["beforeRollback"].startswith("production → v1")
    assert seen["afterRollback"] == "production → v2 Roll back production to v1"
    assert seen["history"] == 3
    assert seen["live"]["shown"] in seen["live"]["predicted"]
    assert seen["job"]["percent"] == "100 %"
    assert seen["job"]["progressSubscribed"] is True
    assert seen["job"]["failure"] is None
    assert seen["job"]["download"].endswith(".csv")
    assert seen["analytics"]["count"] >= 1
    # Throughput, latency and outputs; drift needs a profile, which this model has not.
    assert seen["analytics"]["charts"] == 3
    assert seen["compare"] == ["v1", "v2"]
    assert seen["keys"]["secretShown"] is True
    assert "revoked" in seen["keys"]["rows"][0]
    assert seen["phone"] <= 375
    assert seen["refreshed"] is True
    assert seen["signedOut"] is None
    assert seen["hosts"] == [live_server]
    assert [seen["consoleErrors"], seen["pageErrors"], seen["cspViolations"]] == [[], [], []]
    # The dashboard's clicks reached the server: production is v2 after the roll back.
    aliases = await gql(ALIASES, {"id": model["id"]}, token=token)
    assert [(a["name"], a["version"]["number"]) for a in aliases["data"]["model"]["aliases"]] == [
        ("production", 2)
    ]
