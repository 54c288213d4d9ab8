"""The Open Inference Protocol (KServe v2) through tritonclient.http, the standard client, on a
real server, and its edges through plain HTTP: a model published through GraphQL is listed,
described and predicted, in JSON and in binary, under GraphQL's keys, scopes and limits."""

from __future__ import annotations

import asyncio
import gzip
import json
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np
import pandas
import pytest
import tritonclient.http as triton
from prometheus_client import REGISTRY
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from tritonclient.utils import InferenceServerException

from domain.protocols import open_inference
from storage import tables
from tests import factories
from tests.graph.queries import CREATE_MODEL, SET_ALIAS
from tests.graph.test_api_keys import CREATE_KEY
from tests.graph.test_quotas import SET_MODEL_QUOTA, admin, limit_user  # noqa: F401
from tests.graph.test_streams import PREDICTIONS, subscribe
from tests.graph.test_teams import ACCEPT, CREATE_TEAM, INVITE
from tests.graph.test_websocket import receive

X, _ = factories.training_data()
ROWS = X[:5]


class Triton:
    """tritonclient.http is synchronous and gevent-based: one thread makes, uses and closes
    each client, off the loop that serves it."""

    def __init__(self, url: str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1)
        self._client = self._thread.submit(triton.InferenceServerClient, url=url).result()

    async def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        function = partial(getattr(self._client, method), *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._thread, function)

    async def refusal(self, method: str, *args: Any, **kwargs: Any) -> tuple[str, str]:
        with pytest.raises(InferenceServerException) as caught:
            await self(method, *args, **kwargs)
        return caught.value.status(), caught.value.message()

    def close(self) -> None:
        self._thread.submit(self._client.close).result()
        self._thread.shutdown()


async def publish(gql, upload, token: str, name: str, data: bytes, **fields: Any) -> str:
    created = await gql(CREATE_MODEL, {"name": name}, token=token)
    model = created["data"]["createModel"]["model"]
    body = await upload(token, model["id"], data, **fields)
    result = body["data"]["uploadModelVersion"]
    assert result["__typename"] == "UploadModelVersionSuccess", body
    return model["id"]


async def key(gql, token: str, *scopes: str) -> str:
    body = await gql(CREATE_KEY, {"name": "v2", "scopes": list(scopes)}, token=token)
    result = body["data"]["createApiKey"]
    assert result["__typename"] == "CreateApiKeySuccess", body
    return result["secret"]


@pytest.fixture
async def iris(gql, signup, upload) -> dict[str, Any]:
    """Ada's `ada/iris` (4 features, classes 0 and 1) with its production alias, and keys."""
    ada = await signup("ada@example.com")
    token = ada["accessToken"]
    model = factories.logistic_regression()
    model_id = await publish(gql, upload, token, "iris", factories.skops_bytes(model))
    versions = await gql(
        "query($id: ID!) { model(id: $id) { versions(first: 1) { edges { node { id } } } } }",
        {"id": model_id},
        token=token,
    )
    version_id = versions["data"]["model"]["versions"]["edges"][0]["node"]["id"]
    alias = await gql(
        SET_ALIAS, {"model": model_id, "alias": "production", "version": version_id}, token=token
    )
    assert alias["data"]["setAlias"]["__typename"] == "SetAliasSuccess", alias
    return {
        "token": token,
        "model": model,
        "model_id": model_id,
        "predict_key": await key(gql, token, "PREDICT"),
        "read_key": await key(gql, token, "READ"),
    }


def client(live_server: str) -> Triton:
    return Triton(live_server)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def fp64_input(rows: np.ndarray, binary: bool, name: str = "input-0") -> triton.InferInput:
    tensor = triton.InferInput(name, list(rows.shape), "FP64")
    tensor.set_data_from_numpy(rows.astype(np.float64), binary_data=binary)
    return tensor


async def test_tritonclient_lists_describes_and_infers_in_json_and_binary(live_server, iris):
    # Given a model published through GraphQL, and the standard client with keys
    v2 = client(live_server)
    reader, predictor = bearer(iris["read_key"]), bearer(iris["predict_key"])

    # When it asks about the server
    assert await v2("is_server_live") is True
    assert await v2("is_server_ready") is True
    server = await v2("get_server_metadata")
    assert server["name"] == "modelserve" and server["extensions"] == ["binary_tensor_data"]

    # Then its index lists the model, and the metadata comes from the signature
    index = await v2("get_model_repository_index", headers=reader)
    assert index == [{"name": "ada/iris", "version": "1", "state": "READY"}]
    assert await v2("is_model_ready", "ada/iris", headers=reader) is True
    meta = await v2("get_model_metadata", "ada/iris", headers=reader)
    assert meta == {
        "name": "ada/iris",
        "versions": ["1"],
        "platform": meta["platform"],
        "inputs": [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}],
        "outputs": [
            {"name": "predict", "datatype": "INT64", "shape": [-1]},
            {
                "name": "predict_proba",
                "datatype": "FP64",
                "shape": [-1, 2],
                "parameters": {"classes": [0, 1]},
            },
        ],
    }
    assert meta["platform"] in ("sklearn", "onnx")
    config = await v2("get_model_config", "ada/iris", headers=reader)
    assert (config["max_batch_size"], config["input"], config["output"][0]) == (
        0,
        [{"name": "input-0", "data_type": "TYPE_FP64", "dims": [-1, 4]}],
        {"name": "predict", "data_type": "TYPE_INT64", "dims": [-1]},
    )

    # And it infers with JSON tensors, echoing the id, and with binary tensors both ways
    expected = iris["model"].predict(ROWS)
    proba = iris["model"].predict_proba(ROWS)
    as_json = await v2(
        "infer",
        "ada/iris",
        [fp64_input(ROWS, binary=False)],
        request_id="req-1",
        outputs=[
            triton.InferRequestedOutput("predict", binary_data=False),
            triton.InferRequestedOutput("predict_proba", binary_data=False),
        ],
        headers=predictor,
    )
    assert as_json.get_response()["id"] == "req-1"
    assert as_json.get_response()["model_version"] == "1"
    assert "parameters" not in as_json.get_output("predict")
    assert as_json.as_numpy("predict").tolist() == expected.tolist()
    np.testing.assert_allclose(as_json.as_numpy("predict_proba"), proba, rtol=1e-4)

    as_binary = await v2("infer", "ada/iris", [fp64_input(ROWS, binary=True)], headers=predictor)
    assert as_binary.get_output("predict")["parameters"]["binary_data_size"] == 5 * 8
    assert as_binary.as_numpy("predict").dtype == np.int64
    assert as_binary.as_numpy("predict").tolist() == expected.tolist()
    np.testing.assert_allclose(as_binary.as_numpy("predict_proba"), proba, rtol=1e-4)

    # And FP32 data, an alias, a version and an output asked for by name all work
    rows32 = ROWS.astype(np.float32)
    tensor = triton.InferInput("input-0", list(rows32.shape), "FP32")
    tensor.set_data_from_numpy(rows32, binary_data=True)
    only = await v2(
        "infer",
        "ada/iris@production",
        [tensor],
        model_version="",
        outputs=[triton.InferRequestedOutput("predict")],
        headers=predictor,
    )
    assert [o["name"] for o in only.get_response()["outputs"]] == ["predict"]
    assert only.as_numpy("predict").tolist() == iris["model"].predict(rows32).tolist()
    versioned = await v2(
        "infer", "ada/iris", [fp64_input(ROWS, True)], model_version="1", headers=predictor
    )
    assert versioned.as_numpy("predict").tolist() == expected.tolist()

    # And compressed bodies, gzip or deflate, both ways
    for algorithm in ("gzip", "deflate"):
        packed = await v2(
            "infer",
            "ada/iris",
            [fp64_input(ROWS, True)],
            headers=predictor,
            request_compression_algorithm=algorithm,
            response_compression_algorithm=algorithm,
        )
        assert packed.as_numpy("predict").tolist() == expected.tolist(), algorithm
    v2.close()


def counted(model_id: str, status: str) -> float:
    sample = REGISTRY.get_sample_value(
        "modelserve_predictions_total", {"model": model_id, "version": "1", "status": status}
    )
    return sample or 0.0


async def test_v2_predictions_are_logged_and_counted_like_graphql_ones(app, live_server, iris):
    # Given the model and a key that predicts
    v2 = client(live_server)
    before = counted(iris["model_id"], "ok"), counted(iris["model_id"], "BAD_USER_INPUT")

    # When two requests infer 5 rows and 1 row
    await v2("infer", "ada/iris", [fp64_input(ROWS, True)], headers=bearer(iris["predict_key"]))
    await v2("infer", "ada/iris", [fp64_input(ROWS[:1], True)], headers=bearer(iris["predict_key"]))
    # And one sends rows of the wrong width
    wide = [fp64_input(np.zeros((2, 3)), True)]
    await v2.refusal("infer", "ada/iris", wide, headers=bearer(iris["predict_key"]))
    v2.close()

    # Then the prediction log holds all three, and the metrics count them, as for GraphQL
    await app.state.services.inference.log_writer.drain()
    logged = await tables.PredictionLog.filter(model_id=iris["model_id"]).order_by("created_at")
    assert [(row.status, row.n_rows) for row in logged] == [("ok", 5), ("ok", 1), ("error", 2)]
    after = counted(iris["model_id"], "ok"), counted(iris["model_id"], "BAD_USER_INPUT")
    assert (after[0] - before[0], after[1] - before[1]) == (2, 1)


async def test_tritonclient_errors_are_the_protocols(gql, live_server, iris):
    # Given the standard client
    v2 = client(live_server)
    predictor = bearer(iris["predict_key"])
    rows = [fp64_input(ROWS, True)]

    # Then an unknown model is 404, whoever asks
    assert await v2.refusal("infer", "ada/nothing", rows, headers=predictor) == (
        "404",
        "Model not found.",
    )
    reader = bearer(iris["read_key"])
    assert (await v2.refusal("get_model_metadata", "bob/iris", headers=reader))[0] == "404"

    # And a wrong shape is 400, naming the problem
    wide = fp64_input(np.zeros((2, 3)), True)
    status, message = await v2.refusal("infer", "ada/iris", [wide], headers=predictor)
    assert status == "400" and "Expected 4 features, got 3" in message

    # And no key is 401, a bad one too
    assert (await v2.refusal("infer", "ada/iris", rows))[0] == "401"
    assert (await v2.refusal("infer", "ada/iris", rows, headers=bearer("msk_x_y")))[0] == "401"

    # And the wrong scope is 403: reading cannot predict, predicting cannot read
    by_header = await v2("infer", "ada/iris", rows, headers={"X-API-Key": iris["predict_key"]})
    assert by_header.as_numpy("predict").tolist() == iris["model"].predict(ROWS).tolist()
    status, message = await v2.refusal("infer", "ada/iris", rows, headers=bearer(iris["read_key"]))
    assert (status, message) == ("403", "This needs an API key with the predict scope.")
    assert (await v2.refusal("get_model_metadata", "ada/iris", headers=predictor))[0] == "403"
    assert (await v2.refusal("get_model_repository_index", headers=predictor))[0] == "403"

    # And past the model's quota it is 429
    quota = await gql(
        SET_MODEL_QUOTA, {"model": iris["model_id"], "perMinute": 1}, token=iris["token"]
    )
    assert quota["data"]["setModelQuota"]["__typename"] == "SetModelQuotaSuccess", quota
    await v2("infer", "ada/iris", rows, headers=predictor)
    status, message = await v2.refusal("infer", "ada/iris", rows, headers=predictor)
    assert status == "429" and message.startswith("Rate limit reached")
    v2.close()


async def test_team_models_infer_through_tritonclient(gql, signup, upload, live_server):
    # Given team acme's model `acme/churn`, and Bob, a predictor in the team, with a key
    ada = await signup("ada@example.com")
    bob = await signup("bob@example.com")
    created = await gql(CREATE_TEAM, {"name": "acme"}, token=ada["accessToken"])
    assert created["data"]["createTeam"]["__typename"] == "TeamSuccess", created
    await gql(
        INVITE, {"team": "acme", "user": "bob", "role": "PREDICTOR"}, token=ada["accessToken"]
    )
    await gql(ACCEPT, {"team": "acme"}, token=bob["accessToken"])
    body = await gql(
        'mutation { createModel(input: {name: "churn", team: "acme"}) '
        "{ ... on ModelSuccess { model { id } } } }",
        token=ada["accessToken"],
    )
    model_id = body["data"]["createModel"]["model"]["id"]
    model = factories.logistic_regression()
    await upload(ada["accessToken"], model_id, factories.skops_bytes(model))
    secret = await key(gql, bob["accessToken"], "PREDICT")

    # When Bob's key infers with it
    v2 = client(live_server)
    result = await v2("infer", "acme/churn", [fp64_input(ROWS, True)], headers=bearer(secret))
    v2.close()

    # Then the team's model answers
    assert result.get_response()["model_name"] == "acme/churn"
    assert result.as_numpy("predict").tolist() == model.predict(ROWS).tolist()


def customers() -> tuple[Any, pandas.DataFrame]:
    frame = pandas.DataFrame(
        {
            "age": [25.0, 32.0, 47.0, 51.0, 38.0, 29.0, 60.0, 44.0],
            "city": ["paris", "lyon", "paris", "nice", "lyon", "nice", "paris", "lyon"],
            "active": [True, False, True, True, False, True, False, True],
        }
    )
    y = [0, 1, 0, 1, 1, 0, 1, 0]
    columns = ColumnTransformer(
        [
            ("scale", StandardScaler(), ["age"]),
            ("onehot", OneHotEncoder(handle_unknown="ignore"), ["city"]),
            ("flag", "passthrough", ["active"]),
        ]
    )
    return make_pipeline(columns, LogisticRegression()).fit(frame, y), frame


@pytest.fixture
async def churn(gql, signup, upload) -> dict[str, Any]:
    """Ada's `ada/churn`: a ColumnTransformer over a number, a string and a boolean column."""
    ada = await signup("ada@example.com")
    model, frame = customers()
    example = frame.head(3).to_dict("records")
    model_id = await publish(
        gql,
        upload,
        ada["accessToken"],
        "churn",
        factories.skops_bytes(model),
        inputExampleRecords=example,
    )
    return {"token": ada["accessToken"], "model": model, "frame": frame, "model_id": model_id}


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
async def test_a_dataframe_model_takes_one_input_per_column_strings_as_bytes(
    live_server, churn, binary
):
    # Given a model fit on a DataFrame with a string column
    v2 = client(live_server)
    headers = bearer(churn["token"])
    frame = churn["frame"]

    # Then its metadata names one input per column, strings as BYTES (MLServer's pandas codec)
    meta = await v2("get_model_metadata", "ada/churn", headers=headers)
    assert meta["inputs"] == [
        {"name": "age", "datatype": "FP64", "shape": [-1, 1]},
        {"name": "city", "datatype": "BYTES", "shape": [-1, 1]},
        {"name": "active", "datatype": "BOOL", "shape": [-1, 1]},
    ]
    assert meta["parameters"] == {"content_type": "pd"}

    # When it infers with those inputs, in any order, [rows, 1] or [rows]
    city = triton.InferInput("city", [len(frame), 1], "BYTES")
    city.set_data_from_numpy(frame[["city"]].to_numpy(dtype=object), binary_data=binary)
    active = triton.InferInput("active", [len(frame)], "BOOL")
    active.set_data_from_numpy(frame["active"].to_numpy(dtype=bool), binary_data=binary)
    age = triton.InferInput("age", [len(frame), 1], "FP64")
    age.set_data_from_numpy(frame[["age"]].to_numpy(dtype=np.float64), binary_data=binary)
    result = await v2("infer", "ada/churn", [city, active, age], headers=headers)

    # Then it answers as the model does on the DataFrame
    expected = churn["model"].predict(frame)
    assert result.as_numpy("predict").tolist() == expected.tolist()

    # And a missing column, or numbers sent for the strings, are 400s naming the column
    status, message = await v2.refusal("infer", "ada/churn", [city, age], headers=headers)
    assert (status, message) == (
        "400",
        "Invalid input: inputs.0.active: Missing value; this column needs true or false.",
    )
    numbers = triton.InferInput("city", [len(frame)], "FP64")
    numbers.set_data_from_numpy(np.zeros(len(frame)), binary_data=binary)
    status, message = await v2.refusal(
        "infer", "ada/churn", [numbers, active, age], headers=headers
    )
    assert (status, message) == (
        "400",
        "Invalid input: inputs.0.city: Expected a string, got float.",
    )
    v2.close()


# -- the protocol's edges, through plain HTTP ----------------------------------------------


async def infer(client_, body: Any, token: str, path: str = "ada/iris", **headers: str) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client_.post(
        f"/v2/models/{path}/infer",
        content=content,
        headers={"Authorization": f"Bearer {token}", **headers},
    )


def tensor(data: Any, shape: list[int], datatype: str = "FP64", name: str = "x") -> dict:
    return {"name": name, "shape": shape, "datatype": datatype, "data": data}


async def test_nested_and_flat_data_answer_alike_and_shapes_are_checked(client, iris):
    token = iris["token"]
    flat = await infer(client, {"inputs": [tensor(ROWS.ravel().tolist(), [5, 4])]}, token)
    nested = await infer(client, {"inputs": [tensor(ROWS.tolist(), [5, 4])]}, token)
    assert flat.status_code == nested.status_code == 200
    assert flat.json()["outputs"] == nested.json()["outputs"]
    assert flat.json()["outputs"][0]["data"] == iris["model"].predict(ROWS).tolist()

    refused = {
        "count": tensor([1.0, 2.0, 3.0], [1, 4]),
        "ragged": tensor([[1.0, 2.0, 3.0, 4.0], [1.0]], [2, 4]),
        "dims": tensor([1.0] * 8, [1, 2, 4]),
        "type": tensor([1, 2, 3, "4"], [1, 4]),
        "bool": tensor([True, 1.0, 1.0, 1.0], [1, 4]),
        "datatype": tensor([1, 2, 3, 4], [1, 4], datatype="UINT8"),
        "int32": tensor([2**40, 1, 1, 1], [1, 4], datatype="INT32"),
        "rows": tensor([[1.0] * 4], [1, 4]) | {"shape": [-1, 4]},
        "too many rows": tensor([], [10**9, 0]),
    }
    for case, bad in refused.items():
        response = await infer(client, {"inputs": [bad]}, token)
        assert response.status_code == 400, (case, response.text)
        assert set(response.json()) == {"error"}, case

    empty = await infer(client, {"inputs": []}, token)
    assert empty.json() == {"error": "`inputs` must be a non-empty list."}
    garbage = await infer(client, b"{not json", token)
    assert (garbage.status_code, garbage.json()) == (
        400,
        {"error": "The request is not valid JSON."},
    )
    outputs = await infer(
        client, {"inputs": [tensor(ROWS.tolist(), [5, 4])], "outputs": [{"name": "logits"}]}, token
    )
    assert outputs.status_code == 400 and "Unknown output 'logits'" in outputs.json()["error"]


def binary_header(shape: list[int], datatype: str, size: int, **parameters: Any) -> bytes:
    """The JSON header of a one-input request whose data is ``size`` binary bytes."""
    tensor = {"name": "x", "shape": shape, "datatype": datatype}
    tensor["parameters"] = {"binary_data_size": size}
    return json.dumps({"inputs": [tensor], "parameters": parameters}).encode()


async def infer_binary(client_, header: bytes, data: bytes, token: str) -> Any:
    length = {"Inference-Header-Content-Length": str(len(header))}
    return await infer(client_, header + data, token, **length)


async def test_binary_framing_is_checked_and_the_body_capped(client, app, iris):
    token = iris["token"]
    data = ROWS.astype("<f8").tobytes()
    header = binary_header([5, 4], "FP64", len(data), binary_data_output=True)
    good = await infer_binary(client, header, data, token)
    assert good.status_code == 200, good.text
    assert good.headers["content-encoding"] == "gzip"  # httpx asks for it, and unpacks it
    length = int(good.headers["inference-header-content-length"])
    answer = json.loads(good.content[:length])
    size = answer["outputs"][0]["parameters"]["binary_data_size"]
    labels = np.frombuffer(good.content[length : length + size], dtype="<i8")
    assert labels.tolist() == iris["model"].predict(ROWS).tolist()

    short = await infer_binary(client, header, data[:-8], token)
    assert short.status_code == 400 and "binary_data_size" in short.json()["error"]
    extra = await infer_binary(client, header, data + b"xx", token)
    assert extra.json() == {"error": "2 bytes of binary data belong to no input."}
    beyond = await infer(client, header, token, **{"Inference-Header-Content-Length": "99999"})
    assert beyond.status_code == 400
    # A digit int() refuses (superscript two, as latin-1 sends it) or past int()'s digit limit
    for length in ("\xb2".encode("latin-1"), b"1" * 5000, b"+12", b" "):
        odd = await infer(client, header, token, **{"Inference-Header-Content-Length": length})
        assert odd.json() == {"error": "Inference-Header-Content-Length does not fit the body."}

    # A BYTES element's length prefix pointing past the data is refused
    bad_bytes = struct.pack("<I", 100) + b"abc"
    truncated = await infer_binary(
        client, binary_header([1, 1], "BYTES", len(bad_bytes)), bad_bytes, token
    )
    assert truncated.json() == {"error": "Input 'x': truncated BYTES element."}

    cap = app.state.settings.max_body_bytes
    huge = await infer(client, b"0" * (cap + 1), token)
    assert huge.status_code == 413 and set(huge.json()) == {"error"}
    bomb = await infer(
        client, gzip.compress(b"0" * (cap + 1)), token, **{"Content-Encoding": "gzip"}
    )
    assert bomb.status_code == 413 and set(bomb.json()) == {"error"}
    unknown = await infer(client, b"{}", token, **{"Content-Encoding": "br"})
    assert unknown.status_code == 415


async def test_paths_name_references_and_refuse_the_rest(client, iris):
    headers = {"Authorization": f"Bearer {iris['token']}"}
    alias = await client.get("/v2/models/ada/iris%40production", headers=headers)
    assert alias.status_code == 200 and alias.json()["name"] == "ada/iris@production"
    slash = await client.get("/v2/models/ada%2Firis/versions/1/ready", headers=headers)
    assert slash.json() == {"name": "ada/iris", "ready": True}
    both = await client.get("/v2/models/ada/iris@production/versions/1", headers=headers)
    assert both.status_code == 400
    missing_version = await client.get("/v2/models/ada/iris/versions/7", headers=headers)
    assert missing_version.json() == {"error": "Model version not found."}
    assert (await client.get("/v2/models/ada/iris/stats", headers=headers)).status_code == 404
    assert (await client.get("/v2/models/ada/iris/infer", headers=headers)).status_code == 405
    malformed = await client.get("/v2/models/iris", headers=headers)
    assert malformed.status_code == 400 and "owner/name" in malformed.json()["error"]
    # The owner left out of an inference call: a 400 that says so, not a 405
    ownerless = await client.post("/v2/models/iris/infer", headers=headers, json={"inputs": []})
    assert ownerless.status_code == 400
    assert "/v2/models/{owner}/iris/infer" in ownerless.json()["error"]


async def test_explanations_come_as_tensors_that_add_up_to_the_margin(client, iris):
    body = {"id": "why", "inputs": [tensor(ROWS.tolist(), [5, 4])], "parameters": {"explain": True}}
    answer = await infer(client, body, iris["token"])
    assert answer.status_code == 200, answer.text
    result = answer.json()
    outputs = {o["name"]: o for o in result["outputs"]}
    assert result["parameters"] == {
        "explanation_method": "linear",
        "explanation_output": "margin",
        "explanation_transformed": False,
    }
    contributions = outputs["contributions"]
    assert contributions["datatype"] == "FP64" and contributions["shape"] == [5, 1, 4]
    assert outputs["base_values"]["shape"] == [1]
    assert outputs["feature_names"]["datatype"] == "BYTES"
    assert outputs["feature_names"]["shape"] == [4]
    explained = np.asarray(contributions["data"]).reshape(5, 1, 4)
    total = explained.sum(axis=2)[:, 0] + outputs["base_values"]["data"][0]
    np.testing.assert_allclose(total, iris["model"].decision_function(ROWS), atol=1e-6)
    # The predictions come as ever beside them; an unexplainable model is a 400 saying so.
    assert outputs["predict"]["data"] == iris["model"].predict(ROWS).tolist()


async def test_tritonclient_reads_explanations_as_binary_tensors(live_server, iris):
    triton_client = client(live_server)
    try:
        rows = np.asarray(ROWS, dtype=np.float64)
        given = triton.InferInput("input-0", list(rows.shape), "FP64")
        given.set_data_from_numpy(rows, binary_data=True)
        result = await triton_client(
            "infer",
            "ada/iris",
            [given],
            parameters={"explain": True},
            outputs=[
                triton.InferRequestedOutput(name, binary_data=True)
                for name in ("contributions", "base_values")
            ],
            headers=bearer(iris["token"]),
        )
        contributions = result.as_numpy("contributions")
        assert contributions.shape == (5, 1, 4)
        total = contributions.sum(axis=2)[:, 0] + result.as_numpy("base_values")[0]
        np.testing.assert_allclose(total, iris["model"].decision_function(ROWS), atol=1e-6)
    finally:
        triton_client.close()


async def test_a_model_without_an_explainer_says_so_over_v2(client, gql, upload, signup):
    from sklearn.neighbors import KNeighborsClassifier

    token = (await signup("kim@example.com"))["accessToken"]
    features, labels = factories.training_data()
    knn = KNeighborsClassifier(n_neighbors=3).fit(features, labels)
    await publish(gql, upload, token, "knn", factories.skops_bytes(knn))
    body = {"inputs": [tensor(ROWS.tolist(), [5, 4])], "parameters": {"explain": True}}
    refused = await infer(client, body, token, path="kim/knn")
    assert refused.status_code == 400
    assert "Explanations are not available" in refused.json()["error"]


async def test_v2_predictions_reach_live_subscribers(live_server, iris):
    # Given Ada watching her model's predictions over GraphQL
    ws = await subscribe(live_server, iris["token"], PREDICTIONS, "ada/iris")
    try:
        # When a program infers through the v2 protocol
        v2 = client(live_server)
        await v2("infer", "ada/iris", [fp64_input(ROWS, True)], headers=bearer(iris["predict_key"]))
        v2.close()

        # Then the prediction reaches her stream
        event = (await receive(ws))["payload"]["data"]["predictions"]
        assert (event["status"], event["rows"], event["versionNumber"]) == ("ok", 5, 1)
        assert event["outputs"] == iris["model"].predict(ROWS).tolist()
    finally:
        await ws.close()


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """Each body a v2 or MLflow route read or decoded, by what did it (the real functions
    still run)."""
    from graph import inference_v2, mlflow

    seen: list[str] = []

    def counting(module: Any, name: str) -> None:
        real = getattr(module, name)

        if asyncio.iscoroutinefunction(real):

            async def spy(*args: Any, **kwargs: Any) -> Any:
                seen.append(name)
                return await real(*args, **kwargs)
        else:

            def spy(*args: Any, **kwargs: Any) -> Any:
                seen.append(name)
                return real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)

    counting(inference_v2, "read_body")
    counting(open_inference, "parse_request")
    counting(mlflow, "read_body")
    counting(mlflow, "parse_body")
    return seen


async def test_an_over_budget_caller_is_refused_before_its_body_is_read(
    client,
    gql,
    admin,  # noqa: F811
    iris,
    decodes,
):
    # Given Ada's budget lowered to 1 unit a minute, and spent by one small prediction
    me = await gql("{ me { id } }", token=iris["token"])
    await limit_user(gql, admin, {"user": me["data"]["me"]}, predictions=1)
    token = iris["token"]
    spent = await infer(client, {"inputs": [tensor(ROWS[:1].tolist(), [1, 4])]}, token)
    assert spent.status_code == 200, spent.text
    assert decodes == ["read_body", "parse_request"]
    decodes.clear()

    # When she sends a large body, or one that is not even JSON, over v2 and over MLflow
    large = {"inputs": [tensor([[1.0, 2.0, 3.0, 4.0]] * 5000, [5000, 4])]}
    refused = [
        await infer(client, large, token),
        await infer(client, b"{not json", token),
        await client.post(
            "/models/ada/iris/invocations",
            json={"inputs": [[1, 2, 3, 4]] * 5000},
            headers={"Authorization": f"Bearer {token}"},
        ),
    ]

    # Then each is a 429 in its protocol's shape, and no body was read or decoded
    assert [r.status_code for r in refused] == [429, 429, 429]
    assert set(refused[0].json()) == set(refused[1].json()) == {"error"}
    assert refused[2].json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert all(int(r.headers["retry-after"]) >= 1 for r in refused)
    assert decodes == []


async def test_a_spent_model_quota_refuses_before_the_body_is_read(client, gql, iris, decodes):
    # Given a model quota of one prediction a minute, spent over MLflow
    token = iris["token"]
    await gql(SET_MODEL_QUOTA, {"model": iris["model_id"], "perMinute": 1}, token=token)
    rows = {"inputs": ROWS.tolist()}
    headers = {"Authorization": f"Bearer {token}"}
    first = await client.post("/models/ada/iris/invocations", json=rows, headers=headers)
    assert first.status_code == 200, first.text
    decodes.clear()

    # Then the next call on either face is refused with nothing read
    v2 = await infer(client, {"inputs": [tensor(ROWS.tolist(), [5, 4])]}, token)
    ml = await client.post("/models/ada/iris/invocations", json=rows, headers=headers)
    assert (v2.status_code, ml.status_code) == (429, 429)
    assert decodes == []
    # And a stranger's model stays hidden behind the same 404 as before
    missing = await infer(client, b"{}", token, "ada/nothing")
    assert missing.json() == {"error": "Model not found."}


async def test_large_bodies_are_decoded_off_the_event_loop(client, iris, monkeypatch):
    # Given the thread each v2 and MLflow body is decoded on (the real decoders still run)
    from graph import mlflow
    from graph.rest import OFF_LOOP_BYTES

    threads: list[tuple[str, bool]] = []
    loop_thread = threading.get_ident()
    for module, name in ((open_inference, "parse_request"), (mlflow, "parse_body")):
        real = getattr(module, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            threads.append((_name, threading.get_ident() == loop_thread))
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    token = iris["token"]
    rows = ROWS.tolist()
    many = rows * 2000  # 10,000 rows: well past the threshold as JSON
    assert len(json.dumps(many)) > OFF_LOOP_BYTES

    # When a small and a large body come over each face
    answers = [
        await infer(client, {"inputs": [tensor(rows, [5, 4])]}, token),
        await infer(client, {"inputs": [tensor(many, [len(many), 4])]}, token),
    ]
    headers = {"Authorization": f"Bearer {token}"}
    for body in ({"inputs": rows}, {"inputs": many}):
        answers.append(
            await client.post("/models/ada/iris/invocations", json=body, headers=headers)
        )

    # Then all answer, the small ones decoded on the loop and the large ones in a worker thread
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert threads == [
        ("parse_request", True),
        ("parse_request", False),
        ("parse_body", True),
        ("parse_body", False),
    ]


async def test_a_bool_among_numbers_is_refused_on_every_face(client, gql, iris):
    token = iris["token"]
    row = [5.1, 3.5, 1.4, True]
    # Over v2, as one tensor or as a BOOL input beside numeric ones
    columns = [
        tensor([5.1], [1], name="a"),
        tensor([3.5], [1], name="b"),
        tensor([1.4], [1], name="c"),
        tensor([True], [1], "BOOL", name="d"),
    ]
    v2 = await infer(client, {"inputs": columns}, token)
    assert v2.json() == {"error": "Invalid input: inputs.0.3: Expected a number, got bool."}
    one = await infer(client, {"inputs": [tensor([row], [1, 4])]}, token)
    assert one.json() == {"error": "Input 'x': FP64 data must hold finite numbers."}
    # Over MLflow
    ml = await client.post(
        "/models/ada/iris/invocations",
        json={"inputs": [row]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (ml.status_code, ml.json()["error_code"]) == (400, "BAD_REQUEST")
    assert ml.json()["message"] == "Invalid input: inputs.0.3: Expected a number, got bool."
    # And over GraphQL
    answer = await gql(
        'query { predict(model: "ada/iris", rows: [[5.1, 3.5, 1.4, true]]) { __typename } }',
        token=token,
    )
    assert "Expected a number, got bool." in json.dumps(answer["errors"]), answer
    # While numbers alone still pass
    fine = await infer(client, {"inputs": [tensor([[5.1, 3.5, 1.4, 0.2]], [1, 4])]}, token)
    assert fine.status_code == 200


async def test_fp32_values_past_its_range_are_refused_naming_the_input(client, iris):
    token = iris["token"]
    for value in (1e300, -1e39, 10**40):
        body = {"inputs": [tensor([5, 3, 1, value], [1, 4], "FP32", name="x")]}
        refused = await infer(client, body, token)
        assert (refused.status_code, refused.json()) == (
            400,
            {"error": "Input 'x': a value is outside the FP32 range."},
        ), value
    # The largest float32 itself is a number like any other
    edge = await infer(client, {"inputs": [tensor([5, 3, 1, 3.4e38], [1, 4], "FP32")]}, token)
    assert edge.status_code == 200, edge.text


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compressed_bodies_must_be_whole_and_alone(client, iris, encoding):
    token = iris["token"]
    body = json.dumps({"inputs": [tensor(ROWS.tolist(), [5, 4])]}).encode()
    pack = gzip.compress if encoding == "gzip" else zlib.compress
    sent = {"Content-Encoding": encoding}
    assert (await infer(client, pack(body), token, **sent)).status_code == 200
    for case, data in {
        "cut short": pack(body)[:-8],
        "trailing junk": pack(body) + b"trailing junk",
        "a second member": pack(body) + pack(b"x"),
    }.items():
        refused = await infer(client, data, token, **sent)
        assert (refused.status_code, refused.json()) == (
            400,
            {"error": f"The body is not valid {encoding} data."},
        ), case
