"""GraphQL over HTTP's media types: application/json as always, graphql-response+json by Accept."""

from __future__ import annotations

import pytest

from graph.media import APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, negotiate

GRJ = {"Accept": GRAPHQL_RESPONSE_JSON}


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, APPLICATION_JSON),
        ("", APPLICATION_JSON),
        ("*/*", APPLICATION_JSON),
        ("application/*", APPLICATION_JSON),
        ("application/json", APPLICATION_JSON),
        ("application/json; charset=utf-8", APPLICATION_JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON}, application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        (f"application/json, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"application/json, {GRAPHQL_RESPONSE_JSON};q=0.5", APPLICATION_JSON),
        (f"*/*;q=0.1, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=0, */*", APPLICATION_JSON),
        ("text/html, */*;q=0.8", APPLICATION_JSON),
        ("application/json;q=0, */*", None),
        ("text/html", None),
        (f"{GRAPHQL_RESPONSE_JSON};q=0", None),
    ],
)
def test_negotiate(accept, expected):
    assert negotiate(accept) == expected


async def post(client, body, accept=None):
    headers = {"Accept": accept} if accept else {}
    if isinstance(body, dict):
        return await client.post("/graphql", json=body, headers=headers)
    return await client.post(
        "/graphql", content=body, headers={**headers, "Content-Type": "application/json"}
    )


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
async def test_application_json_is_the_default_and_answers_200(client, accept):
    ok = await post(client, {"query": "{ __typename }"}, accept)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "application/json"
    assert ok.json()["data"] == {"__typename": "Query"}

    # Older clients read errors out of a 200, as they always have.
    for query in ("{", "{ nope }"):
        failed = await post(client, {"query": query}, accept)
        assert failed.status_code == 200
        assert failed.headers["content-type"] == "application/json"
        body = failed.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_graphql_response_json_is_offered_and_answers_200_with_data(client):
    response = await post(client, {"query": "{ __typename }"}, GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    assert response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    "body, reason",
    [
        ({"query": "{"}, "PARSE_FAILED"),
        ({"query": "{ nope }"}, None),
        (
            {
                "query": "query($on: Boolean!) { __typename @include(if: $on) }",
                "variables": {"on": "yes"},
            },
            None,
        ),
        ({"query": "query($on: Boolean!) { __typename @include(if: $on) }"}, None),
        ({"query": "{ __typename }" + " " * 20_000}, "QUERY_TOO_LARGE"),
    ],
    ids=["parse", "validation", "variable-coercion", "missing-variable", "size"],
)
async def test_request_errors_get_400_and_no_data(client, body, reason):
    response = await post(client, body, GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    answer = response.json()
    assert "data" not in answer
    extensions = answer["errors"][0]["extensions"]
    assert extensions["code"] == "BAD_USER_INPUT"
    assert extensions.get("reason") == reason

    legacy = await post(client, body, APPLICATION_JSON)
    assert legacy.json()["data"] is None
    assert legacy.status_code == (400 if reason == "QUERY_TOO_LARGE" else 200)


@pytest.mark.parametrize(
    "body",
    [b"{not json", {}, {"query": None}, {"query": "{ __typename }", "operationName": "Other"}],
    ids=["bad-json", "empty", "null-query", "no-such-operation"],
)
async def test_malformed_requests_get_400_with_either_type(client, body):
    for accept in (GRAPHQL_RESPONSE_JSON, APPLICATION_JSON):
        response = await post(client, body, accept)
        assert response.status_code == 400, (accept, response.text)


async def test_data_null_from_a_field_error_keeps_data_and_gets_200(client):
    """A field's error is a partial response, not a request error, even when data is null."""
    response = await post(client, {"query": "{ me { id } }"}, GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["path"] == ["me"]

    # application/json keeps its status from the error, as before.
    legacy = await post(client, {"query": "{ me { id } }"}, APPLICATION_JSON)
    assert legacy.status_code == 401


async def test_a_field_error_beside_data_is_200(client, signup):
    user = await signup()
    response = await client.post(
        "/graphql",
        json={"query": '{ me { email } model(id: "nope") { name } }'},
        headers={**GRJ, "Authorization": f"Bearer {user['accessToken']}"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["me"] == {"email": "ada@example.com"}
    assert body["errors"]


async def test_unacceptable_accept_is_406(client):
    response = await post(client, {"query": "{ __typename }"}, "text/html")
    assert response.status_code == 406
    assert GRAPHQL_RESPONSE_JSON in response.text
    get = await client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"Accept": "image/png"}
    )
    assert get.status_code == 406


async def test_a_browser_still_gets_graphiql(client):
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


async def test_get_queries_honour_accept(client):
    response = await client.get(
        "/graphql", params={"query": "{ nope }"}, headers={"Accept": GRAPHQL_RESPONSE_JSON}
    )
    assert response.status_code == 400
    assert "data" not in response.json()
    ok = await client.get("/graphql", params={"query": "{ __typename }"}, headers=GRJ)
    assert (ok.status_code, ok.json()["data"]) == (200, {"__typename": "Query"})
