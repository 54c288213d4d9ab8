"""API keys through GraphQL: shown once, stored hashed, scoped, restricted, revoked at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import graphql
import pytest

from graph.schema import export_sdl
from graph.scopes import ROOT_FIELDS
from storage import tables
from tests import factories
from tests.conftest import DEFAULT_PASSWORD, LOGIN
from tests.graph.queries import CREATE_MODEL
from tests.graph.test_accounts import codes

CREATE_KEY = """
mutation Create($name: String!, $scopes: [ApiKeyScope!]!, $expiresAt: DateTime, $models: [ID!]) {
  createApiKey(input: {name: $name, scopes: $scopes, expiresAt: $expiresAt, models: $models}) {
    __typename
    ... on CreateApiKeySuccess { secret key { id name prefix scopes modelIds isActive } }
    ... on ValidationError { fields { path code } }
    ... on ForbiddenKeyError { message }
    ... on NotFoundError { message }
  }
}"""

KEYS = """
query { apiKeys(includeRevoked: true) {
  id name prefix scopes lastUsedAt lastUsedAddress revokedAt isActive } }"""

REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }"

PREDICT = """
query($model: String!) { predict(model: $model, rows: [[0.1, 0.2, 0.3, 0.4]]) {
  predictions { value } } }"""


@pytest.fixture
async def ada(signup) -> dict[str, Any]:
    return await signup("ada@example.com")


@pytest.fixture
async def iris(gql, ada, upload) -> dict[str, Any]:
    token = ada["accessToken"]
    model = (await gql(CREATE_MODEL, {"name": "iris"}, token=token))["data"]["createModel"]["model"]
    await upload(token, model["id"], factories.skops_bytes(factories.logistic_regression()))
    return model


@pytest.fixture
def make_key(gql, ada):
    async def run(*scopes: str, token: str | None = None, **extra: Any) -> dict[str, Any]:
        body = await gql(
            CREATE_KEY,
            {"name": "ci", "scopes": [s.upper() for s in scopes], **extra},
            token=token or ada["accessToken"],
        )
        result = body["data"]["createApiKey"]
        assert result["__typename"] == "CreateApiKeySuccess", body
        return result

    return run


def key_headers(secret: str, how: str = "bearer") -> dict[str, str]:
    if how == "x-api-key":
        return {"X-API-Key": secret}
    return {"Authorization": f"Bearer {secret}"}


async def test_a_key_is_shown_once_and_stored_as_a_keyed_hash(gql, ada, make_key):
    created = await make_key("predict")
    secret = created["secret"]
    public_id, _, secret_part = secret.removeprefix("msk_").partition("_")
    assert re.fullmatch(r"msk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", secret)
    assert created["key"]["prefix"] == f"msk_{public_id}"
    assert created["key"]["scopes"] == ["PREDICT"]

    listed = await gql(KEYS, token=ada["accessToken"])
    assert [k["prefix"] for k in listed["data"]["apiKeys"]] == [f"msk_{public_id}"]
    assert secret not in str(listed)
    # Nothing stored can be used as the key: not the secret, not a plain hash of it.
    import hashlib

    plain_sha = hashlib.sha256(secret_part.encode()).hexdigest()
    for row in await tables.ApiKey.all().values():
        dumped = str(row)
        assert secret_part not in dumped and plain_sha not in dumped


@pytest.mark.parametrize("how", ["bearer", "x-api-key"])
async def test_a_predict_key_predicts_and_records_its_last_use(gql, ada, iris, make_key, how):
    key = await make_key("predict")
    body = await gql(PREDICT, {"model": "ada/iris"}, headers=key_headers(key["secret"], how))
    assert body["data"]["predict"]["predictions"][0]["value"] in (0, 1), body

    [listed] = (await gql(KEYS, token=ada["accessToken"]))["data"]["apiKeys"]
    assert listed["lastUsedAt"] is not None
    assert listed["lastUsedAddress"] == "127.0.0.1"


async def test_a_predict_key_is_forbidden_everything_else_before_it_runs(
    gql, ada, iris, make_key, upload
):
    key = await make_key("predict")
    headers = key_headers(key["secret"])
    refused = {
        "models": "query { models { edges { node { id } } } }",
        "me": "query { me { id } }",
        "delete": f'mutation {{ deleteModel(id: "{iris["id"]}") {{ __typename }} }}',
        "createKey": 'mutation { createApiKey(input: {name: "x", scopes: [PREDICT]}) '
        "{ __typename } }",
        "mixed": 'query { predict(model: "ada/iris", rows: [[1, 2, 3, 4]]) '
        "{ predictions { value } } models { edges { node { id } } } }",
    }
    for name, document in refused.items():
        body = await gql(document, headers=headers)
        assert codes(body) == ["FORBIDDEN"], (name, body)
        assert body["_status"] == 403
        assert body.get("data") is None, (name, body)
    other = factories.skops_bytes(factories.logistic_regression(seed=3))
    uploaded = await upload(key["secret"], iris["id"], other)
    assert codes(uploaded) == ["FORBIDDEN"], uploaded
    # Nothing ran: the model is still there, with its one version; no key was made.
    assert await tables.Model.filter(id=iris["id"], deleted_at=None).exists()
    assert await tables.ModelVersion.filter(model_id=iris["id"]).count() == 1
    assert await tables.ApiKey.all().count() == 1


async def test_every_bad_key_gets_the_same_unauthenticated_answer(gql, ada, iris, make_key):
    live = await make_key("predict")
    revoked = await make_key("predict")
    expired = await make_key("predict")
    await gql(REVOKE, {"id": revoked["key"]["id"]}, token=ada["accessToken"])
    await tables.ApiKey.filter(id=expired["key"]["id"]).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    public_id, _, secret = live["secret"].removeprefix("msk_").partition("_")
    wrong_secret = f"msk_{public_id}_{'A' * 43}"
    unknown_id = f"msk_{'0' * 16}_{secret}"
    malformed = f"msk_{public_id}"
    answers = []
    for credential in (wrong_secret, unknown_id, malformed, revoked["secret"], expired["secret"]):
        body = await gql(PREDICT, {"model": "ada/iris"}, headers=key_headers(credential))
        answers.append((body["_status"], body["errors"], body.get("data")))
    assert all(a == answers[0] for a in answers), answers
    status, errors, _ = answers[0]
    assert status == 401
    assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
    assert errors[0]["message"] == "Invalid API key."


async def test_a_revoked_key_is_refused_on_the_next_request(gql, ada, iris, make_key):
    key = await make_key("predict")
    headers = key_headers(key["secret"])
    assert "errors" not in await gql(PREDICT, {"model": "ada/iris"}, headers=headers)
    revoked = await gql(REVOKE, {"id": key["key"]["id"]}, token=ada["accessToken"])
    assert revoked["data"]["revokeApiKey"]["__typename"] == "RevokeApiKeySuccess"
    assert codes(await gql(PREDICT, {"model": "ada/iris"}, headers=headers)) == ["UNAUTHENTICATED"]
    [listed] = (await gql(KEYS, token=ada["accessToken"]))["data"]["apiKeys"]
    assert listed["isActive"] is False and listed["revokedAt"] is not None
    # Both ends of the key's life are in the audit log, with who did it and from where.
    entries = await tables.AuditEntry.filter(target_id=key["key"]["id"]).order_by("created_at")
    assert [(e.action, str(e.actor_id), e.address) for e in entries] == [
        ("key_created", ada["user"]["id"], "127.0.0.1"),
        ("key_revoked", ada["user"]["id"], "127.0.0.1"),
    ]
    assert key["secret"].split("_")[-1] not in str([e.detail for e in entries])


async def test_keys_of_a_deactivated_user_stop_working(app, gql, ada, iris, make_key):
    key = await make_key("predict")
    await tables.User.filter(id=ada["user"]["id"]).update(is_active=False)
    app.state.services.accounts.forget_user(ada["user"]["id"])
    body = await gql(PREDICT, {"model": "ada/iris"}, headers=key_headers(key["secret"]))
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_keys_are_made_with_a_session_and_admin_is_for_admins(gql, ada, make_key):
    publisher = await make_key("publish", "read")
    body = await gql(
        CREATE_KEY,
        {"name": "next", "scopes": ["PREDICT"]},
        headers=key_headers(publisher["secret"]),
    )
    assert codes(body) == ["FORBIDDEN"]
    body = await gql(CREATE_KEY, {"name": "root", "scopes": ["ADMIN"]}, token=ada["accessToken"])
    assert body["data"]["createApiKey"]["__typename"] == "ValidationError"
    for bad in (
        {"name": "", "scopes": ["READ"]},
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["READ"], "expiresAt": "2000-01-01T00:00:00Z"},
    ):
        body = await gql(CREATE_KEY, bad, token=ada["accessToken"])
        assert body["data"]["createApiKey"]["__typename"] == "ValidationError", (bad, body)
    assert await tables.ApiKey.all().count() == 1


async def test_an_admin_key_may_make_keys_and_revoke_a_users_keys(app, gql, signup, make_key):
    ada = await signup("ada@example.com")
    ada_key = await make_key("predict", token=ada["accessToken"])
    await app.state.services.accounts.create_admin(
        email="root@example.com", password=DEFAULT_PASSWORD
    )
    root = (await gql(LOGIN, {"email": "root@example.com", "password": DEFAULT_PASSWORD}))["data"][
        "login"
    ]
    admin_key = await make_key("admin", "read", token=root["accessToken"])
    headers = key_headers(admin_key["secret"])
    made = await gql(CREATE_KEY, {"name": "child", "scopes": ["READ"]}, headers=headers)
    assert made["data"]["createApiKey"]["__typename"] == "CreateApiKeySuccess", made
    revoked = await gql(
        "mutation($id: ID!) { revokeUserApiKeys(userId: $id) "
        "{ ... on RevokeUserApiKeysSuccess { revoked } } }",
        {"id": ada["user"]["id"]},
        headers=headers,
    )
    assert revoked["data"]["revokeUserApiKeys"] == {"revoked": 1}, revoked
    body = await gql(PREDICT, {"model": "ada/iris"}, headers=key_headers(ada_key["secret"]))
    assert codes(body) == ["UNAUTHENTICATED"]
    # A user's own key cannot do what its user cannot.
    body = await gql(
        "mutation($id: ID!) { revokeUserApiKeys(userId: $id) { __typename } }",
        {"id": ada["user"]["id"]},
        token=ada["accessToken"],
    )
    assert codes(body) == ["FORBIDDEN"]


async def test_someone_elses_key_is_not_found_like_a_random_id(gql, signup, make_key):
    ada = await signup("ada@example.com")
    bob = await signup("bob@example.com")
    key = await make_key("read", token=ada["accessToken"])
    theirs = await gql(REVOKE, {"id": key["key"]["id"]}, token=bob["accessToken"])
    random_id = "6d1f0c4e-2f5d-4c1b-9a44-5c1e9a4c2b11"
    random = await gql(REVOKE, {"id": random_id}, token=bob["accessToken"])
    assert theirs["data"] == random["data"] == {"revokeApiKey": {"__typename": "NotFoundError"}}
    listed = await gql(
        "query($u: ID!) { apiKeys(userId: $u) { id } }",
        {"u": ada["user"]["id"]},
        token=bob["accessToken"],
    )
    assert codes(listed) == ["NOT_FOUND"]
    assert await tables.ApiKey.filter(revoked_at=None).count() == 1


async def test_a_key_restricted_to_some_models_sees_the_others_as_not_found(
    gql, ada, iris, upload, make_key
):
    token = ada["accessToken"]
    other = (await gql(CREATE_MODEL, {"name": "wine"}, token=token))["data"]["createModel"]["model"]
    await upload(token, other["id"], factories.skops_bytes(factories.logistic_regression()))
    key = await make_key("predict", "read", models=[iris["id"]])
    assert key["key"]["modelIds"] == [iris["id"]]
    headers = key_headers(key["secret"])

    assert "errors" not in await gql(PREDICT, {"model": "ada/iris"}, headers=headers)
    assert codes(await gql(PREDICT, {"model": "ada/wine"}, headers=headers)) == ["NOT_FOUND"]
    listed = await gql("query { models { edges { node { name } } } }", headers=headers)
    assert [e["node"]["name"] for e in listed["data"]["models"]["edges"]] == ["iris"]
    hidden = await gql(
        "query($id: ID!) { model(id: $id) { name } }", {"id": other["id"]}, headers=headers
    )
    assert hidden["data"] == {"model": None}
    # Restricting to a model the caller cannot see is refused like a missing one.
    body = await gql(
        CREATE_KEY,
        {"name": "x", "scopes": ["READ"], "models": ["6d1f0c4e-2f5d-4c1b-9a44-5c1e9a4c2b11"]},
        token=token,
    )
    assert body["data"]["createApiKey"]["__typename"] == "NotFoundError"


async def test_every_root_field_says_what_a_key_needs():
    schema = graphql.build_schema(export_sdl())
    fields = {
        (graphql.OperationType(kind), name)
        for kind, root in (
            ("query", schema.query_type),
            ("mutation", schema.mutation_type),
            ("subscription", schema.subscription_type),
        )
        for name in root.fields
    }
    assert fields == set(ROOT_FIELDS), fields ^ set(ROOT_FIELDS)


async def test_a_session_still_does_everything(gql, ada, iris):
    token = ada["accessToken"]
    second = await gql(LOGIN, {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    assert "errors" not in await gql(PREDICT, {"model": "ada/iris"}, token=token)
    assert "errors" not in await gql("query { me { id } }", token=token)
    logout = await gql("mutation { logout { ok } }", token=second["data"]["login"]["accessToken"])
    assert logout["data"] == {"logout": {"ok": True}}


async def test_keys_an_admin_key_makes_stay_within_it(app, gql, signup, iris, make_key):
    await app.state.services.accounts.create_admin(
        email="root@example.com", password=DEFAULT_PASSWORD
    )
    root = (await gql(LOGIN, {"email": "root@example.com", "password": DEFAULT_PASSWORD}))["data"][
        "login"
    ]
    narrow = await make_key("admin", "read", token=root["accessToken"], models=[iris["id"]])
    headers = key_headers(narrow["secret"])
    for extra in (
        {"scopes": ["READ", "PUBLISH"], "models": [iris["id"]]},  # a scope it lacks
        {"scopes": ["READ"]},  # every model
    ):
        body = await gql(CREATE_KEY, {"name": "wider", **extra}, headers=headers)
        assert body["data"]["createApiKey"]["__typename"] == "ForbiddenKeyError", body
    body = await gql(
        CREATE_KEY, {"name": "same", "scopes": ["READ"], "models": [iris["id"]]}, headers=headers
    )
    assert body["data"]["createApiKey"]["__typename"] == "CreateApiKeySuccess", body
    # Its admin reading of the audit log is held to its models too.
    other = await tables.AuditEntry.create(
        created_at=datetime.now(UTC),
        action="model_deleted",
        target_type="model",
        model_id="6d1f0c4e-2f5d-4c1b-9a44-5c1e9a4c2b11",
    )
    log = await gql("{ auditLog(first: 100) { edges { node { id modelId } } } }", headers=headers)
    ids = {e["node"]["id"] for e in log["data"]["auditLog"]["edges"]}
    assert str(other.id) not in ids
    assert {e["node"]["modelId"] for e in log["data"]["auditLog"]["edges"]} <= {iris["id"]}


async def test_deactivation_revokes_keys_for_good(app, gql, ada, iris, make_key):
    key = await make_key("predict")
    await app.state.services.accounts.create_admin(
        email="root@example.com", password=DEFAULT_PASSWORD
    )
    root = (await gql(LOGIN, {"email": "root@example.com", "password": DEFAULT_PASSWORD}))["data"][
        "login"
    ]["accessToken"]
    update = (
        "mutation($id: ID!, $on: Boolean!) "
        "{ updateUser(input: {id: $id, isActive: $on}) { __typename } }"
    )
    await gql(update, {"id": ada["user"]["id"], "on": False}, token=root)
    await gql(update, {"id": ada["user"]["id"], "on": True}, token=root)
    body = await gql(PREDICT, {"model": "ada/iris"}, headers=key_headers(key["secret"]))
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_a_field_left_out_by_skip_needs_no_scope(gql, iris, make_key):
    key = await make_key("predict")
    document = (
        'query($out: Boolean!) { predict(model: "ada/iris", rows: [[1, 2, 3, 4]]) '
        "{ predictions { value } } models @skip(if: $out) { edges { node { id } } } }"
    )
    skipped = await gql(document, {"out": True}, headers=key_headers(key["secret"]))
    assert "errors" not in skipped and "models" not in skipped["data"], skipped
    kept = await gql(document, {"out": False}, headers=key_headers(key["secret"]))
    assert codes(kept) == ["FORBIDDEN"]
