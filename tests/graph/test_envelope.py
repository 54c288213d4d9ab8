"""Malformed envelopes get a JSON 400 naming what is wrong, over every way a request arrives."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

CSRF = {"X-ModelServe-CSRF": "1"}
TYPENAME = "{ __typename }"
SLOT = {"query": "query($f: Upload) { __typename }", "variables": {"f": None}}

MEMBERS = [
    ({"query": 5}, "`query` must be a string or null, not a number."),
    ({"query": ["{ me { id } }"]}, "`query` must be a string or null, not an array."),
    ({"query": {}}, "`query` must be a string or null, not an object."),
    (
        {"query": TYPENAME, "operationName": 5},
        "`operationName` must be a string or null, not a number.",
    ),
    (
        {"query": TYPENAME, "operationName": ["Q"]},
        "`operationName` must be a string or null, not an array.",
    ),
    (
        {"query": TYPENAME, "operationName": {"Q": 1}},
        "`operationName` must be a string or null, not an object.",
    ),
    (
        {"query": TYPENAME, "operationName": True},
        "`operationName` must be a string or null, not a boolean.",
    ),
    ({"query": TYPENAME, "variables": [1]}, "`variables` must be an object or null, not an array."),
    (
        {"query": TYPENAME, "variables": "{}"},
        "`variables` must be an object or null, not a string.",
    ),
    ({"query": TYPENAME, "variables": 1}, "`variables` must be an object or null, not a number."),
    (
        {"query": TYPENAME, "extensions": [1]},
        "`extensions` must be an object or null, not an array.",
    ),
    (
        {"query": TYPENAME, "extensions": True},
        "`extensions` must be an object or null, not a boolean.",
    ),
]


def refusal(response: httpx.Response) -> str:
    """The message of a typed 400; fails on anything else."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_REQUEST"], body
    assert body["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"]
    return body["errors"][0]["message"]


@pytest.fixture(autouse=True)
def no_alarms(caplog: pytest.LogCaptureFixture):
    """No request here may log at ERROR or with a stack."""
    caplog.set_level(logging.DEBUG)
    yield
    assert [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info
    ] == []


@pytest.mark.parametrize("body, message", MEMBERS)
async def test_bad_members_of_a_json_body(client, body, message):
    assert refusal(await client.post("/graphql", json=body)) == message


@pytest.mark.parametrize("body, message", MEMBERS)
async def test_bad_members_of_multipart_operations(client, body, message):
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(body), "map": "{}"},
        files={"0": ("a.bin", b"a")},  # else httpx sends a urlencoded form
        headers=CSRF,
    )
    assert refusal(response) == message


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"query": TYPENAME, "variables": "[1]"},
            "`variables` must be an object or null, not an array.",
        ),
        (
            {"query": TYPENAME, "variables": "5"},
            "`variables` must be an object or null, not a number.",
        ),
        (
            {"query": TYPENAME, "extensions": '"x"'},
            "`extensions` must be an object or null, not a string.",
        ),
        ({"query": TYPENAME, "variables": "{"}, "Unable to parse request body as JSON"),
    ],
)
async def test_bad_members_of_a_query_string(client, params, message):
    assert refusal(await client.get("/graphql", params=params)) == message


@pytest.mark.parametrize(
    "body, message",
    [
        ([{"query": TYPENAME}], "Batching is not enabled."),
        (5, "The request body must be a JSON object, not a number."),
        ("{ __typename }", "The request body must be a JSON object, not a string."),
        (None, "The request body must be a JSON object, not null."),
        (True, "The request body must be a JSON object, not a boolean."),
    ],
)
async def test_a_json_body_that_is_not_one_object(client, body, message):
    response = await client.post(
        "/graphql", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert refusal(response) == message


@pytest.mark.parametrize(
    "operations, message",
    [
        ([SLOT], "Batching is not enabled."),
        (5, "`operations` must be a JSON object, not a number."),
        ("x", "`operations` must be a JSON object, not a string."),
        (None, "`operations` must be a JSON object, not null."),
    ],
)
async def test_multipart_operations_that_are_not_one_object(client, operations, message):
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": '{"0": ["variables.f"]}'},
        files={"0": ("a.bin", b"a")},
        headers=CSRF,
    )
    assert refusal(response) == message


def not_a_slot(path: str) -> str:
    return f"`map` sends file `0` to `{path}`, which is not a null placeholder in `operations`."


@pytest.mark.parametrize(
    "operations, files_map, message",
    [
        (SLOT, [], "`map` must be a JSON object, not an array."),
        (SLOT, 5, "`map` must be a JSON object, not a number."),
        (SLOT, "x", "`map` must be a JSON object, not a string."),
        (SLOT, None, "`map` must be a JSON object, not null."),
        (SLOT, {"0": "variables.f"}, "`map` entry `0` must be a list of paths into `operations`."),
        (SLOT, {"0": [1]}, "`map` entry `0` must be a list of paths into `operations`."),
        (SLOT, {"0": ["variables.nope"]}, not_a_slot("variables.nope")),
        (SLOT, {"0": ["variables.f.0.x"]}, not_a_slot("variables.f.0.x")),
        (SLOT, {"0": ["variables"]}, not_a_slot("variables")),
        (SLOT, {"0": ["query"]}, not_a_slot("query")),
        (
            {**SLOT, "variables": {"f": {"x": None}}},
            {"0": ["variables.f.x", "variables.f"]},
            not_a_slot("variables.f"),
        ),
        (
            {**SLOT, "variables": {"f": [None]}},
            {"0": ["variables.f.-1"]},
            not_a_slot("variables.f.-1"),
        ),
        (
            SLOT,
            {"0": ["variables.f", "variables.f"]},
            "`map` sends more than one file to `variables.f`.",
        ),
        (
            SLOT,
            {"0": ["variables.f"], "1": ["variables.f"]},
            "`map` sends more than one file to `variables.f`.",
        ),
        (SLOT, {"2": ["variables.f"]}, "`map` names file `2`, but no file part has that name."),
        (
            SLOT,
            {"operations": ["variables.f"]},
            "`map` names file `operations`, but no file part has that name.",
        ),
    ],
)
async def test_bad_multipart_maps(client, operations, files_map, message):
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(files_map)},
        files={"0": ("a.bin", b"a"), "1": ("b.bin", b"b")},
        headers=CSRF,
    )
    assert refusal(response) == message


async def test_a_file_may_fill_several_placeholders(client):
    operations = {
        "query": "query($f: Upload, $g: [Upload]) { __typename }",
        "variables": {"f": None, "g": [None, None]},
    }
    response = await client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.f", "variables.g.1"], "1": ["variables.g.0"]}),
        },
        files={"0": ("a.bin", b"a"), "1": ("b.bin", b"b")},
        headers=CSRF,
    )
    # Past the envelope: the unused variables are the document's problem, in GraphQL terms.
    assert response.status_code == 200, response.text
    assert {e["extensions"]["code"] for e in response.json()["errors"]} == {"BAD_USER_INPUT"}


@pytest.mark.parametrize("field", ["operations", "map"])
async def test_multipart_fields_sent_as_files_are_refused(client, field):
    fields: dict[str, Any] = {"operations": json.dumps(SLOT), "map": '{"0": ["variables.f"]}'}
    contents = fields.pop(field).encode()
    response = await client.post(
        "/graphql",
        data=fields,
        files={field: ("x.json", contents), "0": ("a.bin", b"a")},
        headers=CSRF,
    )
    assert refusal(response) == f"`{field}` must be a form field, not a file."


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_subscriptions_over_http_are_refused(client, method):
    document = "subscription { accountEvents { kind } }"
    if method == "GET":
        response = await client.get("/graphql", params={"query": document})
    else:
        response = await client.post("/graphql", json={"query": document})
    assert refusal(response) == f"subscriptions are not allowed when using {method}"


async def test_strawberry_refusals_are_json_too(client):
    assert (
        refusal(await client.post("/graphql", json={})) == "No GraphQL query found in the request"
    )
    assert refusal(
        await client.post("/graphql", content=b"{", headers=CSRF | {"Content-Type": "text/plain"})
    ) == ("Unsupported content type.")
