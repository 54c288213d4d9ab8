"""ModelServe's GraphiQL in headless Chromium (tests/clients/graphiql.mjs), against a live server.

Needs node, ``npm ci`` in tests/clients (playwright-core) and Chromium at /usr/bin/chromium
(Debian's ``chromium``; CHROMIUM names another). Without them the test is skipped, which CI
turns into a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.clients.node import require_node_modules, run_script

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def chromium_binary() -> str:
    """Chromium's path, or skip the test when it is not installed."""
    found = shutil.which(CHROMIUM)
    if found is None:
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (CI does)")
    return found


async def test_graphiql_queries_and_subscribes_in_a_browser(live_server, iris, tmp_path: Path):
    chromium = chromium_binary()
    require_node_modules("playwright-core")
    token, model = iris["token"], iris["model"]
    screenshot = tmp_path / "graphiql.png"

    seen = await run_script(
        "graphiql.mjs",
        f"http://{live_server}",
        model["fullName"],
        str(screenshot),
        env={"GRAPHIQL_TOKEN": token, "CHROMIUM": chromium},
    )

    assert "default-src 'self'" in seen["policy"]
    assert seen["introspection"] == 200
    assert seen["foreign"] == []
    assert {request["url"].split("/")[2] for request in seen["requests"]} == {live_server}
    assert [seen["consoleErrors"], seen["pageErrors"], seen["cspViolations"]] == [[], [], []]
    # One socket per Authorization value, each presenting it in connection_init.
    assert seen["sockets"] == [f"ws://{live_server}/graphql"] * 2
    assert seen["connectionInits"] == ["token", "Bearer not-a-token"]
    assert "4403" in seen["refused"]
    assert "errors" not in seen["query"], seen["query"]
    assert seen["query"]["data"]["me"]["id"]
    assert [e["node"]["id"] for e in seen["query"]["data"]["models"]["edges"]] == [model["id"]]
    event = seen["subscription"]["shown"]["data"]["predictions"]
    assert event["requestId"] in seen["subscription"]["predicted"]
    assert (event["status"], event["rows"], len(event["outputs"])) == ("ok", 1, 1)
    assert screenshot.stat().st_size > 10_000
