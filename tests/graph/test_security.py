"""The GraphQL endpoint under attack: limits, batching, CSRF, GET, introspection, masking.

Cases G1-G22 of the security cases; the websocket ones (G17, G18) are in test_websocket.py and
the page-size cap (G22) in test_accounts.py.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import strawberry
from strawberry.extensions import AddValidationRules
from tortoise.exceptions import OperationalError

from graph.app import create_app
from graph.errors import OperationGuard, Schema
from graph.schema import build_schema
from graph.validation import SensitiveMutationsAlone, operation_depth_rule
from settings import body_cap_for
from storage import tables
from tests.conftest import DEFAULT_PASSWORD, LOGIN, REGISTER, make_settings
from tests.graph.test_accounts import codes

ME = "{ me { id } }"
ADA = {"email": "ada@example.com", "password": DEFAULT_PASSWORD}


@asynccontextmanager
async def other_app(
    settings: Any, **overrides: Any
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """A second app on the session's database, with ``overrides``; its lifespan is not run.

    Tortoise is process-global and already connected by the session app, so the second app
    shares the database (tokens from one are valid in the other) but has its own services.
    """
    second = create_app(make_settings(settings.data_dir, settings.database_url, **overrides))
    transport = httpx.ASGITransport(app=second, client=("127.0.0.1", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield second, http
    finally:
        await second.state.services.close()


def production_settings(tmp_path: Any, settings: Any) -> Any:
    return make_settings(
        tmp_path, settings.database_url, environment="production", secret_key="k" * 40
    )


def errors_of(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["message"], e["extensions"]) for e in body["errors"]]


def bad_input(reason: str) -> dict[str, str]:
    return {"code": "BAD_USER_INPUT", "reason": reason}


async def make_admin(app: Any, gql: Any) -> str:
    await app.state.services.accounts.create_admin(
        email="admin@example.com", password=DEFAULT_PASSWORD
    )
    body = await gql(LOGIN, {"email": "admin@example.com", "password": DEFAULT_PASSWORD})
    return body["data"]["login"]["accessToken"]


@pytest.fixture
def validations(monkeypatch) -> list[str]:
    """Counts validation passes: our own rule runs in every one."""
    runs: list[str] = []
    original = SensitiveMutationsAlone.enter_operation_definition

    def spy(self: Any, node: Any, *args: Any) -> Any:
        runs.append(node.operation.value)
        return original(self, node, *args)

    monkeypatch.setattr(SensitiveMutationsAlone, "enter_operation_definition", spy)
    return runs


# G1: depth. The served schema has no cycle and no path as deep as the limit, so the limit is
# measured on a small cyclic schema, and its wiring on an app with a lower limit.

resolved: list[int] = []


@strawberry.type
class Node:
    id: int

    @strawberry.field
    def child(self) -> Node:
        resolved.append(self.id)
        return Node(id=self.id + 1)


@strawberry.type
class CyclicQuery:
    @strawberry.field
    def node(self) -> Node:
        return Node(id=1)


def nested(levels: int) -> str:
    """``node { child { ... id } }`` with its leaf ``levels`` deep."""
    return "node { " + "child { " * (levels - 2) + "id" + " }" * (levels - 1)


def deepest_id(data: dict[str, Any]) -> int:
    node = data["node"]
    while "child" in node:
        node = node["child"]
    return node["id"]


async def test_depth_limit_allows_the_limit_and_refuses_one_level_more(settings):
    limit = settings.max_query_depth
    assert limit == 10
    schema = Schema(
        query=CyclicQuery,
        extensions=[
            lambda: OperationGuard(max_query_chars=settings.max_query_chars),
            lambda: AddValidationRules([operation_depth_rule(limit)]),
        ],
    )
    resolved.clear()

    at_limit = await schema.execute(f"{{ {nested(limit)} }}")
    assert at_limit.errors is None
    assert deepest_id(at_limit.data) == limit - 1
    resolved.clear()

    too_deep = await schema.execute(f"{{ {nested(limit + 1)} }}")
    assert too_deep.data is None
    assert [(e.message, e.extensions) for e in too_deep.errors] == [
        ("'anonymous' exceeds maximum operation depth of 10", bad_input("QUERY_TOO_DEEP"))
    ]
    assert resolved == []

    # Fragments and inline fragments count where they are spread.
    split = await schema.execute(
        "query Split { node { ...A } } "
        "fragment A on Node { child { ... on Node { child { ...B } } } } "
        "fragment B on Node { child { child { child { child { child { child { child { id } } } } "
        "} } } }"
    )
    assert [e.message for e in split.errors] == ["'Split' exceeds maximum operation depth of 10"]
    assert resolved == []


async def test_the_served_schema_enforces_its_depth_limit(app, gql, settings):
    token = await make_admin(app, gql)
    async with other_app(settings, max_query_depth=3) as (second, http):
        listed: list[int] = []
        original = second.state.services.accounts.list_users

        async def spy(**kwargs: Any) -> Any:
            listed.append(kwargs["limit"])
            return await original(**kwargs)

        second.state.services.accounts.list_users = spy
        headers = {"Authorization": f"Bearer {token}"}
        deep = await http.post(
            "/graphql",
            json={"query": "{ users(first: 1) { edges { node { id } } } }"},
            headers=headers,
        )
        assert listed == []
        at_limit = await http.post(
            "/graphql", json={"query": "{ users(first: 1) { edges { cursor } } }"}, headers=headers
        )

    assert deep.status_code == 200
    assert deep.json()["data"] is None
    assert errors_of(deep.json()) == [
        ("'anonymous' exceeds maximum operation depth of 3", bad_input("QUERY_TOO_DEEP"))
    ]
    assert at_limit.status_code == 200
    assert len(at_limit.json()["data"]["users"]["edges"]) == 1
    assert listed == [2]


async def test_fragments_spread_twice_in_a_chain_are_measured_quickly(gql):
    """Forty fragments that each spread the next one twice: 2^40 paths, a few hundred tokens."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    query = f"query Fan {{ ...F0 }} {chain} fragment F40 on Query {{ me {{ id }} }}"

    started = time.perf_counter()
    body = await gql(query)
    elapsed = time.perf_counter() - started

    assert errors_of(body) == [("Authentication required.", {"code": "UNAUTHENTICATED"})]
    assert body["_status"] == 401  # validated, then executed
    assert elapsed < 10  # a walk of every path would take hours


# G3: aliases


async def test_fifteen_aliases_pass_and_sixteen_are_refused(gql):
    fifteen = " ".join(f"a{i}: __typename" for i in range(15))

    ok = await gql(f"{{ {fifteen} }}")
    refused = await gql(f"{{ {fifteen} a15: __typename }}")

    assert ok["data"] == {f"a{i}": "Query" for i in range(15)}
    assert refused["data"] is None
    assert errors_of(refused) == [("16 aliases found. Allowed: 15", bad_input("TOO_MANY_ALIASES"))]
    assert refused["_status"] == 200


# G5: tokens


async def test_a_document_over_the_token_limit_is_refused_at_parse(gql, validations):
    over = "{" + " a" * 1999 + " }"  # 2,001 tokens

    body = await gql(over)

    assert body["data"] is None
    assert errors_of(body) == [
        (
            "Syntax Error: Document contains more than 2000 tokens. Parsing aborted.",
            bad_input("TOO_MANY_TOKENS"),
        )
    ]
    assert validations == []


async def test_a_document_at_the_token_limit_is_served(gql, validations):
    at_limit = "{" + " ... on Query { __typename }" * 333 + " }"  # 2 + 333 * 6 tokens
    one_more = at_limit[:-1] + "__typename }"

    body = await gql(at_limit)
    refused = await gql(one_more)

    assert body["data"] == {"__typename": "Query"}
    assert "errors" not in body
    assert validations == ["query"]
    assert errors_of(refused)[0][1] == bad_input("TOO_MANY_TOKENS")


@pytest.mark.parametrize(
    "query, message, reason",
    [
        (
            "{" + " a" * 5000 + " }",
            "Syntax Error: Document contains more than 2000 tokens. Parsing aborted.",
            "TOO_MANY_TOKENS",
        ),
        (
            "{" + " __typename" * 5000 + " }",
            "Query document exceeds 15000 characters.",
            "QUERY_TOO_LARGE",
        ),
    ],
    ids=["tokens", "characters"],
)
async def test_field_duplication_never_reaches_validation(gql, validations, query, message, reason):
    """5,000 copies of one field: the overlapping-fields rule would be quadratic in them."""
    body = await gql(query)

    assert body["data"] is None
    assert errors_of(body) == [(message, bad_input(reason))]
    assert validations == []


async def test_syntax_errors_carry_a_code(gql):
    body = await gql("{ me { id }")

    assert errors_of(body) == [
        ("Syntax Error: Expected Name, found <EOF>.", bad_input("PARSE_FAILED"))
    ]
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 12}]


# G7: document and body size


async def test_a_query_over_15000_characters_is_refused_before_parsing(gql, validations):
    at_limit = "{ __typename }".ljust(15_000)
    over = at_limit + " "

    ok = await gql(at_limit)
    refused = await gql(over)

    assert ok["data"] == {"__typename": "Query"}
    assert refused["_status"] == 400
    assert refused["data"] is None
    assert errors_of(refused) == [
        ("Query document exceeds 15000 characters.", bad_input("QUERY_TOO_LARGE"))
    ]
    assert validations == ["query"]


def register_body(size: int) -> bytes:
    """A JSON register request of exactly ``size`` bytes, padded by an unused variable."""
    empty = {"query": REGISTER, "variables": {**ADA, "padding": ""}}
    padding = size - len(json.dumps(empty).encode())
    body = json.dumps({"query": REGISTER, "variables": {**ADA, "padding": "x" * padding}})
    assert len(body.encode()) == size
    return body.encode()


def refused(response: httpx.Response, message: str, code: str = "BAD_REQUEST") -> dict[str, Any]:
    """The JSON body of a request the view refused before executing it."""
    extensions = {"code": code, "requestId": response.headers["x-request-id"]}
    return {"errors": [{"message": message, "extensions": extensions}]}


def too_large(response: httpx.Response, limit: int) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": f"Request body exceeds {limit} bytes.",
                "extensions": {
                    "code": "PAYLOAD_TOO_LARGE",
                    "requestId": response.headers["x-request-id"],
                },
            }
        ]
    }


async def test_a_body_at_the_cap_is_served(client, settings):
    # Derived from the predictBatch row cap (see test_inference's widest batch).
    assert settings.max_body_bytes == body_cap_for(settings.predict_batch_max_rows)

    response = await client.post(
        "/graphql",
        content=register_body(settings.max_body_bytes),
        headers={"Content-Type": "application/json"},
    )

    assert response.json()["data"]["register"]["__typename"] == "RegisterSuccess"
    assert await tables.User.all().count() == 1


async def test_a_body_over_the_cap_is_refused_with_413(client, settings):
    response = await client.post(
        "/graphql",
        content=register_body(settings.max_body_bytes + 1),
        headers={"Content-Type": "application/json"},
    )

    assert response.request.headers["content-length"] == str(settings.max_body_bytes + 1)
    assert response.status_code == 413
    assert response.json() == too_large(response, settings.max_body_bytes)
    assert await tables.User.all().count() == 0


async def test_a_chunked_body_over_the_cap_is_refused_with_413(client, settings):
    body = register_body(settings.max_body_bytes + 1)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = await client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == too_large(response, settings.max_body_bytes)
    assert await tables.User.all().count() == 0


# G8, G9: batching


async def test_batched_requests_are_refused(client):
    register = {"query": REGISTER, "variables": ADA}

    response = await client.post("/graphql", json=[register, {"query": "{ __typename }"}])

    assert response.status_code == 400
    assert response.json() == refused(response, "Batching is not enabled.")
    assert await tables.User.all().count() == 0


LOGIN_ADA = f'login(input: {{email: "ada@example.com", password: "{DEFAULT_PASSWORD}"}})'
REGISTER_BOB = f'register(input: {{email: "bob@example.com", password: "{DEFAULT_PASSWORD}"}})'


@pytest.mark.parametrize(
    "document, field",
    [
        (
            f"mutation {{ a: {LOGIN_ADA} {{ __typename }} b: {LOGIN_ADA} {{ __typename }} }}",
            "login",
        ),
        (f"mutation {{ {LOGIN_ADA} {{ __typename }} logout {{ ok }} }}", "login"),
        (
            f"mutation {{ ...Two }} fragment Two on Mutation {{ a: {LOGIN_ADA} {{ __typename }} "
            f"b: {LOGIN_ADA} {{ __typename }} }}",
            "login",
        ),
        (
            f"mutation {{ a: {LOGIN_ADA} {{ __typename }} ... on Mutation {{ b: {LOGIN_ADA} "
            "{ __typename } } }",
            "login",
        ),
        (
            f"mutation {{ {REGISTER_BOB} {{ __typename }} {LOGIN_ADA} {{ __typename }} }}",
            "register",
        ),
        (
            f'mutation {{ refreshToken(refreshToken: "x") {{ tokenType }} {LOGIN_ADA} '
            "{ __typename } }",
            "refreshToken",
        ),
    ],
    ids=[
        "two-logins",
        "login-logout",
        "fragment",
        "inline-fragment",
        "register-login",
        "refresh-login",
    ],
)
async def test_sensitive_mutations_must_stand_alone(gql, signup, document, field):
    user = await signup()
    sessions = await tables.Session.all().count()

    body = await gql(document, token=user["accessToken"])

    assert body["data"] is None
    assert errors_of(body) == [
        (f"`{field}` must be the only field in its operation.", bad_input("SENSITIVE_BATCHING"))
    ]
    assert await tables.Session.all().count() == sessions
    assert await tables.Session.filter(revoked_at__not_isnull=True).count() == 0
    assert await tables.User.all().count() == 1


# G10: production configuration


@pytest.mark.parametrize(
    "query, fields",
    [
        ("{ __schema { types { name } } }", ["__schema", "types"]),
        ('{ __type(name: "User") { fields { name } } }', ["__type", "fields"]),
    ],
)
async def test_production_refuses_introspection(tmp_path, settings, query, fields):
    schema = build_schema(production_settings(tmp_path, settings))

    result = await schema.execute(query)

    assert result.data is None
    assert [(e.message, e.extensions) for e in result.errors] == [
        (
            "GraphQL introspection has been disabled, but the requested query contained the "
            f"field '{field}'.",
            bad_input("INTROSPECTION_DISABLED"),
        )
        for field in fields
    ]


async def test_production_still_answers_typename(tmp_path, settings):
    schema = build_schema(production_settings(tmp_path, settings))

    result = await schema.execute("{ __typename }")

    assert result.errors is None
    assert result.data == {"__typename": "Query"}


async def test_production_serves_no_graphiql(client, tmp_path, settings):
    production = create_app(production_settings(tmp_path, settings))
    transport = httpx.ASGITransport(app=production)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            page = await http.get("/graphql", headers={"Accept": "text/html"})
    finally:
        await production.state.services.close()
    development = await client.get("/graphql", headers={"Accept": "text/html"})

    assert page.status_code == 404
    assert page.json() == refused(page, "Not Found", "NOT_FOUND")
    assert development.status_code == 200  # the control: development does serve it
    assert "graphiql" in development.text.lower()


# G13: error masking

LEAKS = (
    "traceback",
    "tortoise",
    "sqlite",
    "asyncpg",
    "select",
    "/work",
    "password_hash",
    "keyerror",
    "valueerror",
    "operationalerror",
)


@pytest.mark.parametrize(
    "error",
    [
        KeyError("/work/main/var/secret_key"),
        ValueError("sqlite3: near SELECT password_hash FROM users"),
        OperationalError('asyncpg tortoise: relation "users" does not exist: SELECT 1'),
    ],
    ids=["KeyError", "ValueError", "OperationalError"],
)
async def test_unexpected_errors_are_masked_and_logged(
    gql, signup, app, monkeypatch, caplog, error
):
    user = await signup()

    async def broken(**kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(app.state.services.accounts, "get_users_by_ids", broken)
    with caplog.at_level(logging.ERROR, logger="modelserve.graphql"):
        body = await gql(ME, token=user["accessToken"])

    request_id = body["_headers"]["x-request-id"]
    assert body["_status"] == 200
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["me"],
            "extensions": {"code": "INTERNAL", "requestId": request_id},
        }
    ]
    text = json.dumps({"data": body["data"], "errors": body["errors"]}).lower()
    assert [leak for leak in LEAKS if leak in text] == []
    logged = [r for r in caplog.records if r.name == "modelserve.graphql"]
    assert [(r.getMessage(), r.exc_info[1], r.request_id) for r in logged] == [
        ("unexpected error in me", error, request_id)
    ]


async def test_client_errors_keep_their_message(gql):
    body = await gql("{ me { zzzzzz } }")

    assert body["data"] is None
    assert errors_of(body) == [
        ("Cannot query field 'zzzzzz' on type 'User'.", {"code": "BAD_USER_INPUT"})
    ]


# G14: CSRF


def csrf_refusal(response: httpx.Response) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": "Non-JSON requests must send an `X-ModelServe-CSRF` (or "
                "`Apollo-Require-Preflight`) header.",
                "extensions": {
                    "code": "CSRF_HEADER_REQUIRED",
                    "requestId": response.headers["x-request-id"],
                },
            }
        ]
    }


REGISTER_OPERATION = json.dumps({"query": REGISTER, "variables": ADA})


def multipart(headers: dict[str, str]) -> dict[str, Any]:
    return {
        "data": {"operations": REGISTER_OPERATION, "map": "{}"},
        "files": {"0": ("note.txt", b"hello", "text/plain")},
        "headers": headers,
    }


@pytest.mark.parametrize(
    "request_kwargs",
    [
        multipart({}),
        multipart({"X-ModelServe-CSRF": ""}),
        {"content": REGISTER_OPERATION, "headers": {"Content-Type": "text/plain"}},
        {"data": {"query": REGISTER, "variables": json.dumps(ADA)}},
    ],
    ids=["multipart", "multipart-empty-header", "text-plain", "form-urlencoded"],
)
async def test_simple_requests_without_the_csrf_header_are_refused(client, request_kwargs):
    response = await client.post("/graphql", **request_kwargs)

    assert response.status_code == 400
    assert response.json() == csrf_refusal(response)
    assert await tables.User.all().count() == 0


@pytest.mark.parametrize("header", ["X-ModelServe-CSRF", "Apollo-Require-Preflight"])
async def test_multipart_with_the_csrf_header_is_served(client, header):
    response = await client.post("/graphql", **multipart({header: "1"}))

    registered = response.json()["data"]["register"]
    assert response.status_code == 200
    assert (registered["__typename"], registered["email"]) == ("RegisterSuccess", ADA["email"])
    assert await tables.User.filter(email="ada@example.com").count() == 1


async def test_json_needs_no_csrf_header(client):
    response = await client.post(
        "/graphql", content=REGISTER_OPERATION, headers={"Content-Type": "application/json"}
    )

    assert response.json()["data"]["register"]["__typename"] == "RegisterSuccess"
    assert await tables.User.all().count() == 1


# G15: GET


async def test_mutations_over_get_are_refused(client, signup):
    user = await signup()

    register = await client.get(
        "/graphql",
        params={
            "query": REGISTER,
            "variables": json.dumps({"email": "bob@example.com", "password": DEFAULT_PASSWORD}),
        },
    )
    logout = await client.get(
        "/graphql",
        params={"query": "mutation { logout { ok } }"},
        headers={"Authorization": f"Bearer {user['accessToken']}"},
    )

    for response in (register, logout):
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.json() == refused(
            response, "mutations are not allowed when using GET", code="METHOD_NOT_ALLOWED"
        )
    assert await tables.User.filter(email="bob@example.com").count() == 0
    assert await tables.Session.filter(revoked_at__not_isnull=True).count() == 0


async def test_queries_over_get_are_served(client, signup):
    user = await signup()

    response = await client.get(
        "/graphql",
        params={"query": ME},
        headers={"Authorization": f"Bearer {user['accessToken']}"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "data": {"me": {"id": user["user"]["id"]}},
        "extensions": {"requestId": response.headers["x-request-id"]},
    }


# G21: authorization


async def test_a_user_cannot_read_another_user_by_id(gql, signup):
    ada = await signup()
    bob = await signup("bob@example.com")

    body = await gql(f'{{ user(id: "{ada["user"]["id"]}") {{ email }} }}', token=bob["accessToken"])

    assert body["data"] == {"user": None}
    assert errors_of(body) == [("Administrators only.", {"code": "FORBIDDEN"})]
    assert body["_status"] == 200  # a nullable field: the rest of the operation stands


async def test_a_user_cannot_make_themselves_admin(gql, signup):
    ada = await signup()

    body = await gql(
        "mutation($id: ID!) { updateUser(input: {id: $id, role: ADMIN}) { __typename } }",
        {"id": ada["user"]["id"]},
        token=ada["accessToken"],
    )

    assert body["data"] is None
    assert errors_of(body) == [("Administrators only.", {"code": "FORBIDDEN"})]
    assert body["_status"] == 403
    assert (await tables.User.get(email="ada@example.com")).role == tables.Role.USER


async def test_an_admin_gets_null_for_an_unknown_user(app, gql):
    token = await make_admin(app, gql)

    body = await gql(f'{{ user(id: "{uuid.uuid4()}") {{ email }} }}', token=token)

    assert body["data"] == {"user": None}
    assert "errors" not in body


# Request ids


@pytest.mark.parametrize("given", ["req-42.web:Z_9", "x" * 64])
async def test_a_sane_request_id_is_echoed(client, given):
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": given}
    )

    assert response.headers["x-request-id"] == given


@pytest.mark.parametrize(
    "given", ["x" * 65, "x" * 500, "has space", "semi;colon", "new\nline", "ünïcode", ""]
)
async def test_an_insane_request_id_is_replaced(client, given):
    response = await client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"X-Request-ID": given.encode()},
    )

    assert re.fullmatch("[0-9a-f]{32}", response.headers["x-request-id"])


async def test_production_errors_do_not_suggest_field_names(tmp_path):
    settings = make_settings(
        tmp_path,
        f"sqlite://{tmp_path}/db.sqlite3",
        environment="production",
        secret_key="k" * 40,
    )
    schema = build_schema(settings)
    result = await schema.execute("{ mee { id } }")
    assert result.errors[0].message == "Cannot query field 'mee' on type 'Query'."
    development = build_schema(make_settings(tmp_path, f"sqlite://{tmp_path}/db.sqlite3"))
    hinted = await development.execute("{ mee { id } }")
    assert "Did you mean 'me'?" in hinted.errors[0].message


@pytest.mark.parametrize(
    "document, variables",
    [
        ("{ models(filtr: {}) { edges { cursor } } }", None),
        ('{ models(filter: {ownr: "ada"}) { edges { cursor } } }', None),
        ("query($f: ModelsFiltr) { models(filter: $f) { edges { cursor } } }", None),
        ("query { ...F } fragment F on Quer { __typename }", None),
        (
            'mutation { shareModel(input: {modelId: "1", username: "b", level: VIEWR}) '
            "{ __typename } }",
            None,
        ),
        (
            "query($f: ModelsFilter) { models(filter: $f) { edges { cursor } } }",
            {"f": {"ownr": "ada"}},
        ),
    ],
    ids=["argument", "input-field", "variable-type", "fragment-type", "enum-value", "variable"],
)
async def test_production_masks_every_suggestion(tmp_path, document, variables):
    production = build_schema(
        make_settings(
            tmp_path,
            f"sqlite://{tmp_path}/db.sqlite3",
            environment="production",
            secret_key="k" * 40,
        )
    )
    development = build_schema(make_settings(tmp_path, f"sqlite://{tmp_path}/db.sqlite3"))

    masked = await production.execute(document, variable_values=variables)
    hinted = await development.execute(document, variable_values=variables)

    assert any("Did you mean" in e.message for e in hinted.errors), hinted.errors
    assert masked.errors
    assert not [e.message for e in masked.errors if "Did you mean" in e.message]
    assert all(e.extensions["code"] == "BAD_USER_INPUT" for e in masked.errors)


async def test_a_bad_scalar_variable_is_bad_input_not_internal(gql, signup):
    user = await signup()
    body = await gql(
        'query($since: DateTime!) { modelAnalytics(modelId: "00000000-0000-4000-8000-'
        '000000000000", since: $since, until: $since) { count } }',
        {"since": "not a date"},
        token=user["accessToken"],
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "Unexpected error" not in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "document",
    [
        'mutation($s: String!) { register(input: {email: $s, password: "correct horse battery"})'
        " { __typename ... on ValidationError { fields { code } } } }",
        'mutation($s: String!) { login(input: {email: $s, password: "correct horse battery"})'
        " { __typename } }",
        'mutation($s: String!) { createModel(input: {name: "m", description: $s}) { __typename } }',
        "query($s: String!) { team(name: $s) { name } }",
        'query($s: String!) { model(owner: $s, name: "m") { name } }',
    ],
)
async def test_nul_and_invisible_characters_get_typed_answers(gql, signup, document):
    user = await signup("ada@example.com")
    for text in ("a\u0000b@example.com", "ada@example.com\u200b", "\u202eada@example.com"):
        body = await gql(document, {"s": text}, token=user["accessToken"])
        assert body["_status"] < 500, body
        assert "INTERNAL" not in codes(body), body
        data = body.get("data") or {}
        if "register" in data:
            assert data["register"]["__typename"] == "ValidationError", body
    # No look-alike account was made.
    assert await tables.User.all().count() == 1
