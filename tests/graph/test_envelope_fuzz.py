"""Property-based fuzzing of /graphql: whatever arrives, the answer is a typed 4xx or a result.

Envelope members (``query``, ``operationName``, ``variables``, ``extensions``) get arbitrary
JSON over a JSON body, a GET query string and a multipart ``operations``; bodies and content
types are arbitrary; multipart ``map`` and file parts are arbitrary; documents are generated
from the schema (hypothesis-graphql), valid ones and ones with one violation. Each answer must
be below 500, every error in it must carry a code other than ``INTERNAL``, and nothing may be
logged at ERROR or with a stack: a client's mistake is not the server's.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

SCHEMA = (Path(__file__).resolve().parents[2] / "schema.graphql").read_text()
CSRF = {"X-ModelServe-CSRF": "1"}
JSON_TYPES = ("application/json", "application/graphql-response+json")

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
documents = (
    st.sampled_from(
        [
            "{ __typename }",
            "query Q { __typename } query R { __typename }",
            "{ me { id } }",
            "query($f: Upload) { __typename }",
            "mutation { logout { ok } }",
            "subscription { accountEvents { kind } }",
            "{ me { id }",
            "",
        ]
    )
    | st.text(max_size=40)
    | json_values
)
operation_names = st.sampled_from(["Q", "R", "Nope", ""]) | json_values
variable_sets = st.dictionaries(st.sampled_from(["f", "x", "input"]), json_values) | json_values
envelopes = st.fixed_dictionaries(
    {},
    optional={
        "query": documents,
        "operationName": operation_names,
        "variables": variable_sets,
        "extensions": json_values,
    },
)
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
content_types = (
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/graphql-response+json",
            "application/graphql",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "application/x-www-form-urlencoded",
            "text/plain",
            "",
        ]
    )
    | header_text
)
# Multipart: operations with null placeholders to aim at, and maps that aim well or badly.
placeholder_operations = st.fixed_dictionaries(
    {
        "query": documents,
        "variables": st.fixed_dictionaries({"f": st.none(), "g": st.just([None, None])}),
    }
)
part_names = st.sampled_from(["0", "1", "operations", "map"]) | st.text("abc01._-", max_size=4)
paths = st.sampled_from(
    [
        "variables.f",
        "variables.g.0",
        "variables.g.1",
        "variables.g.2",
        "variables.g.-1",
        "variables.nope",
        "variables.f.0.x",
        "variables",
        "query",
        "",
    ]
) | st.text("variblesfg.01", max_size=16)
file_maps = st.dictionaries(part_names, st.lists(paths, max_size=3), max_size=3) | json_values


def check(response: httpx.Response, caplog: pytest.LogCaptureFixture) -> None:
    """A typed answer below 500, and nothing in the logs that only a bug should write."""
    assert response.status_code < 500, response.text
    if response.headers.get("content-type", "").startswith(JSON_TYPES):
        errors = response.json().get("errors") or []
        codes = [(error.get("extensions") or {}).get("code") for error in errors]
        assert None not in codes, response.text
        assert "INTERNAL" not in codes, response.text
    else:
        # Only the GraphiQL page is not JSON.
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
    alarming = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert alarming == [], [r.getMessage() for r in alarming]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


@FUZZ
@given(body=envelopes | json_values)
async def test_json_envelopes(client, logs, body):
    logs.clear()
    response = await client.post("/graphql", content=json.dumps(body), headers=CSRF)
    check(response, logs)


@FUZZ
@given(
    body=st.binary(max_size=120) | json_values.map(lambda v: json.dumps(v).encode()),
    content_type=content_types,
    csrf=st.booleans(),
)
async def test_arbitrary_bodies_and_content_types(client, logs, body, content_type, csrf):
    logs.clear()
    headers = {"Content-Type": content_type, **(CSRF if csrf else {})}
    response = await client.post("/graphql", content=body, headers=headers)
    check(response, logs)


@FUZZ
@given(
    operations=placeholder_operations | envelopes | json_values,
    files_map=file_maps,
    files=st.dictionaries(part_names, st.binary(max_size=16), max_size=3),
    raw=st.sampled_from([None, "operations", "map"]),
    junk=st.text(max_size=20),
)
async def test_multipart_forms(client, logs, operations, files_map, files, raw, junk):
    logs.clear()
    fields = {"operations": json.dumps(operations), "map": json.dumps(files_map)}
    if raw is not None:  # a field that is not JSON at all
        fields[raw] = junk
    response = await client.post(
        "/graphql",
        data=fields,
        files={
            name: (f"{name}.bin", data, "application/octet-stream") for name, data in files.items()
        },
        headers=CSRF,
    )
    check(response, logs)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["query", "operationName", "variables", "extensions"]) | header_text,
        documents.map(lambda v: v if isinstance(v, str) else json.dumps(v))
        | json_values.map(json.dumps)
        | header_text,
        max_size=4,
    ),
    accept=st.sampled_from(["application/json", "text/html", "*/*"]),
)
async def test_get_query_strings(client, logs, params, accept):
    logs.clear()
    response = await client.get("/graphql", params=params, headers={"Accept": accept})
    check(response, logs)


# -- documents generated from the schema ---------------------------------------------------

SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "DateTime": st.datetimes().map(lambda d: nodes.String(d.isoformat()))
    | st.text().map(nodes.String),
    "FeatureMatrix": st.lists(
        st.lists(st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float), max_size=4).map(
            nodes.List
        ),
        max_size=3,
    ).map(nodes.List),
    "JSON": st.text(max_size=10).map(nodes.String) | st.integers().map(nodes.Int),
    "Upload": st.just(graphql.NullValueNode()),
}


@pytest.fixture
async def bearer(signup) -> dict[str, str]:
    user = await signup()
    return {"Authorization": f"Bearer {user['accessToken']}"}


@settings(FUZZ, max_examples=150)
@given(
    document=from_schema(SCHEMA, custom_scalars=SCALARS)
    | from_schema(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
    authenticated=st.booleans(),
)
async def test_schema_documents(client, logs, bearer, document, authenticated):
    logs.clear()
    headers = bearer if authenticated else {}
    response = await client.post("/graphql", json={"query": document}, headers=headers)
    check(response, logs)
