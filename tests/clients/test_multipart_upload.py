"""Apollo-style multipart uploads (Node's fetch) of a skops file and of a drift reference."""

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


async def test_apollo_style_upload_of_a_drift_reference(live_server, iris, tmp_path):
    require_node_modules("extract-files")
    X, _ = factories.training_data()
    path = tmp_path / "reference.csv"
    lines = ["x0,x1,x2,x3", *(",".join(repr(v) for v in row) for row in X.tolist())]
    path.write_text("\n".join(lines) + "\n")
    settings = {
        "http": f"http://{live_server}/graphql",
        "token": iris["token"],
        "versionId": iris["version"]["id"],
        "path": str(path),
    }

    seen = await run_script("drift_reference.mjs", json.dumps(settings))

    assert seen["multipart"] is True
    assert seen["status"] == 200, seen
    result = seen["answer"]["data"]["uploadDriftReference"]
    assert result == {
        "__typename": "DriftProfileSuccess",
        "profile": {
            "source": "UPLOAD",
            "rows": 200,
            "features": [{"name": f"x{i}", "kind": "NUMERIC", "count": 200} for i in range(4)],
        },
    }
