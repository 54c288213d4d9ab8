"""An Apollo-style multipart upload (multipart_upload.mjs, Node's fetch) of a skops file."""

from __future__ import annotations

import json

from tests import factories
from tests.clients.node import require_node_modules, run_script


async def test_apollo_style_upload_then_predict(live_server, iris, tmp_path):
    require_node_modules("extract-files")
    path = tmp_path / "iris-v2.skops"
    path.write_bytes(factories.skops_bytes(factories.logistic_regression(seed=5)))
    settings = {
        "http": f"http://{live_server}/graphql",
        "token": iris["token"],
        "modelId": iris["model"]["id"],
        "model": "ada/iris",
        "path": str(path),
        "rows": [[5.1, 3.5, 1.4, 0.2]],
    }

    seen = await run_script("multipart_upload.mjs", json.dumps(settings))

    assert seen["multipart"] is True
    assert seen["status"] == 200, seen
    result = seen["upload"]["data"]["uploadModelVersion"]
    assert result["__typename"] == "UploadModelVersionSuccess", result
    version = result["version"]
    assert version["number"] == 2
    assert version["sourceFormat"] == "skops"
    assert version["originalFilename"] == "iris-v2.skops"
    assert version["signature"] == {"nFeaturesIn": 4}
    predict = seen["predict"]["data"]["predict"]
    assert predict["version"] == {"id": version["id"], "number": 2}
    assert len(predict["predictions"]) == 1
