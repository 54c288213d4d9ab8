"""The audit log through GraphQL: what is recorded, who may read it, and what survives."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from domain.audit import AuditAction, AuditTarget, AuditTrail, TargetType, request_origin
from graph.schema import export_sdl
from storage import tables
from tests import factories
from tests.conftest import DEFAULT_PASSWORD, LOGIN
from tests.graph.queries import SET_ALIAS, SHARE
from tests.graph.test_accounts import codes, make_admin
from tests.graph.test_websocket import (
    ACCOUNT_EVENTS,
    authenticated,
    closed_with,
    receive,
    send,
)

ENTRY_FIELDS = """
  id action createdAt
  actor { id username method credentialId }
  target { type id label }
  modelId address requestId detail
"""
AUDIT_LOG = f"""
query Log($filter: AuditLogFilter, $first: Int, $after: String) {{
  auditLog(filter: $filter, first: $first, after: $after) {{
    edges {{ cursor node {{ {ENTRY_FIELDS} }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""
AUDIT_ENTRY = f"query Entry($id: ID!) {{ auditEntry(id: $id) {{ {ENTRY_FIELDS} }} }}"
MODEL_AUDIT_LOG = f"""
query ModelLog($id: ID!, $first: Int, $after: String) {{
  model(id: $id) {{
    auditLog(first: $first, after: $after) {{
      edges {{ node {{ {ENTRY_FIELDS} }} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}"""
UPDATE_USER = """
mutation Update($id: ID!, $active: Boolean, $role: Role) {
  updateUser(input: {id: $id, isActive: $active, role: $role}) {
    __typename ... on UpdateUserSuccess { user { isActive role } }
  }
}"""
REVOKE = """
mutation Revoke($id: ID!) {
  revokeUserSessions(userId: $id) {
    __typename
    ... on RevokeUserSessionsSuccess { revokedSessions }
    ... on NotFoundError { message }
  }
}"""
CREATE = """
mutation Create($name: String!) {
  createModel(input: {name: $name}) { ... on ModelSuccess { model { id } } }
}"""
DELETE = "mutation($id: ID!) { deleteModel(id: $id) { __typename } }"
ARCHIVE = "mutation($id: ID!) { archiveVersion(id: $id) { __typename } }"
REMOVE_ALIAS = """
mutation($m: ID!, $a: String!) {
  removeAlias(input: {modelId: $m, alias: $a, reason: "retired"}) { __typename }
}"""
UNSHARE = """
mutation($m: ID!, $u: String!) {
  unshareModel(input: {modelId: $m, username: $u}) { __typename }
}"""


async def log_of(gql, token: str, **filter: Any) -> list[dict[str, Any]]:
    body = await gql(AUDIT_LOG, {"filter": filter, "first": 100}, token=token)
    assert "errors" not in body, body
    return [e["node"] for e in body["data"]["auditLog"]["edges"]]


async def new_model(gql, token: str, name: str = "iris") -> str:
    body = await gql(CREATE, {"name": name}, token=token)
    return body["data"]["createModel"]["model"]["id"]


async def uploaded(upload, token: str, model_id: str, seed: int = 0) -> str:
    data = factories.skops_bytes(factories.logistic_regression(seed=seed))
    body = await upload(token, model_id, data)
    assert body["data"]["uploadModelVersion"]["__typename"] == "UploadModelVersionSuccess", body
    return body["data"]["uploadModelVersion"]["version"]["id"]


async def session_id_of(user_id: str) -> str:
    session = await tables.Session.filter(user_id=user_id, revoked_at=None).order_by("-created_at")
    return str(session[0].id)


# -- who did what, from where ------------------------------------------------------------------


async def test_an_admin_deactivates_a_user_and_the_log_names_who_did_it(gql, signup, app):
    # Given a user and an administrator
    ada = await signup()
    admin = await make_admin(app, gql)
    admin_session = await session_id_of(admin["user"]["id"])

    # When the administrator deactivates her, under a request id of their own
    body = await gql(
        UPDATE_USER,
        {"id": ada["user"]["id"], "active": False},
        token=admin["accessToken"],
        headers={"X-Request-ID": "req-deactivate-1"},
    )
    assert body["data"]["updateUser"]["user"] == {"isActive": False, "role": "USER"}

    # Then one entry says who did it to whom, from where and in which request
    [entry] = await log_of(gql, admin["accessToken"], action="USER_DEACTIVATED")
    assert entry["actor"] == {
        "id": admin["user"]["id"],
        "username": "admin",
        "method": "session",
        "credentialId": admin_session,
    }
    assert entry["target"] == {"type": "USER", "id": ada["user"]["id"], "label": "ada"}
    assert (entry["address"], entry["requestId"], entry["modelId"]) == (
        "127.0.0.1",
        "req-deactivate-1",
        None,
    )
    assert entry["detail"] == {}


async def test_role_and_activation_changes_are_recorded_once_each(gql, signup, app):
    ada = await signup()
    admin = await make_admin(app, gql)
    token = admin["accessToken"]

    await gql(UPDATE_USER, {"id": ada["user"]["id"], "role": "ADMIN"}, token=token)
    await gql(UPDATE_USER, {"id": ada["user"]["id"], "role": "ADMIN"}, token=token)  # no change
    await gql(UPDATE_USER, {"id": ada["user"]["id"], "active": False}, token=token)
    await gql(UPDATE_USER, {"id": ada["user"]["id"], "active": True}, token=token)

    entries = await log_of(gql, token, targetId=ada["user"]["id"], targetType="USER")
    assert [(e["action"], e["detail"]) for e in entries] == [
        ("USER_REACTIVATED", {}),
        ("USER_DEACTIVATED", {}),
        ("ROLE_CHANGED", {"from": "user", "to": "admin"}),
        ("LOGIN_SUCCEEDED", {}),
    ]
    assert {e["actor"]["id"] for e in entries[:3]} == {admin["user"]["id"]}


async def test_promoting_an_account_from_the_command_line_is_recorded(gql, signup, app):
    ada = await signup()
    await app.state.services.accounts.create_admin(
        email="ada@example.com", password=DEFAULT_PASSWORD
    )
    entries = await tables.AuditEntry.filter(action="role_changed")
    assert [(e.actor_id, e.target_id, e.detail) for e in entries] == [
        (None, ada["user"]["id"], {"from": "user", "to": "admin", "via": "cli"})
    ]


async def test_logins_are_recorded_and_never_the_password(gql, signup, app):
    # Given an account
    ada = await signup()
    attempts = [
        ("ada@example.com", "wrong password 1"),
        ("nobody@example.com", "secret guess 2"),
    ]

    # When someone fails against it, and against an unknown email
    for email, password in attempts:
        body = await gql(LOGIN, {"email": email, "password": password})
        assert body["data"]["login"]["__typename"] == "InvalidCredentialsError"

    # Then the success names her session; the failures name the account, or an email's keyed hash
    admin = await make_admin(app, gql)
    succeeded = await log_of(gql, admin["accessToken"], action="LOGIN_SUCCEEDED")
    ada_login = next(e for e in succeeded if e["actor"]["id"] == ada["user"]["id"])
    assert ada_login["actor"]["credentialId"] == await session_id_of(ada["user"]["id"])
    assert ada_login["target"]["label"] == "ada"
    unknown, wrong = await log_of(gql, admin["accessToken"], action="LOGIN_FAILED")
    assert (wrong["actor"], wrong["target"], wrong["detail"]) == (
        None,
        {"type": "USER", "id": ada["user"]["id"], "label": "ada"},
        {"reason": "wrong_password"},
    )
    assert (unknown["actor"], unknown["target"]) == (
        None,
        {"type": "USER", "id": None, "label": None},
    )
    assert unknown["detail"]["reason"] == "unknown_account"
    assert len(unknown["detail"]["emailHmac"]) == 64
    assert unknown["address"] == "127.0.0.1"
    rows = json.dumps([dict(r) for r in await tables.AuditEntry.all().values()], default=str)
    for _, password in attempts:
        assert password not in rows
    assert "nobody" not in rows


async def test_logout_password_change_and_revocations_are_recorded(gql, signup, app):
    ada = await signup()
    await gql(LOGIN, {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    changed = await gql(
        """mutation($c: String!) { changePassword(input: {currentPassword: $c,
            newPassword: "another good password"}) { __typename } }""",
        {"c": DEFAULT_PASSWORD},
        token=ada["accessToken"],
    )
    assert changed["data"]["changePassword"]["__typename"] == "ChangePasswordSuccess"
    await gql("mutation { logout { ok } }", token=ada["accessToken"])

    admin = await make_admin(app, gql)
    entries = await log_of(gql, admin["accessToken"], actorId=ada["user"]["id"])
    assert [e["action"] for e in entries] == [
        "LOGOUT",
        "PASSWORD_CHANGED",
        "LOGIN_SUCCEEDED",
        "LOGIN_SUCCEEDED",
    ]
    assert all(e["target"]["id"] == ada["user"]["id"] for e in entries)


async def test_a_reused_refresh_token_is_recorded_as_a_revocation(gql, signup, app):
    ada = await signup()
    refresh = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }"
    await gql(refresh, {"t": ada["refreshToken"]})
    await gql(refresh, {"t": ada["refreshToken"]})  # spent: the session ends

    admin = await make_admin(app, gql)
    [entry] = await log_of(gql, admin["accessToken"], action="SESSIONS_REVOKED")
    assert entry["actor"] is None
    assert entry["target"]["id"] == ada["user"]["id"]
    assert entry["detail"]["reason"] == "refresh_reuse"


# -- reading the log --------------------------------------------------------------------------


async def test_the_log_pages_newest_first_and_filters(gql, signup, app):
    # Given eleven entries: ten failed logins (unknown emails, so none is throttled), then the
    # admin's login
    await signup()
    before = datetime.now(UTC)
    for i in range(10):
        await gql(LOGIN, {"email": f"nobody{i}@example.com", "password": "wrong password"})
    admin = await make_admin(app, gql)
    token = admin["accessToken"]

    # When the administrator pages through the failures three at a time
    seen: list[dict[str, Any]] = []
    after = None
    pages = 0
    while True:
        body = await gql(
            AUDIT_LOG,
            {"filter": {"action": "LOGIN_FAILED"}, "first": 3, "after": after},
            token=token,
        )
        page = body["data"]["auditLog"]
        seen += [e["node"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # Then each failure comes once, newest first, in four pages
    assert pages == 4
    assert len(seen) == len({e["id"] for e in seen}) == 10
    times = [e["createdAt"] for e in seen]
    assert times == sorted(times, reverse=True)
    # And filters narrow it: time window, target type, actor
    assert len(await log_of(gql, token, since=before.isoformat())) == 11
    assert await log_of(gql, token, until=before.isoformat()) == [
        e for e in await log_of(gql, token) if e["createdAt"] < before.isoformat()
    ]
    assert len(await log_of(gql, token, until=before.isoformat())) == 1  # ada's first login
    assert len(await log_of(gql, token, targetType="MODEL")) == 0
    assert [e["action"] for e in await log_of(gql, token, actorId=admin["user"]["id"])] == [
        "LOGIN_SUCCEEDED"
    ]


async def test_the_log_refuses_bad_pages_and_filters(gql, app):
    token = (await make_admin(app, gql))["accessToken"]
    for variables in (
        {"first": 101},
        {"first": 5, "after": "garbage!"},
        {"filter": {"actorId": "not-a-uuid"}},
        {"filter": {"targetId": "x" * 65}},
    ):
        body = await gql(AUDIT_LOG, variables, token=token)
        assert codes(body) == ["BAD_USER_INPUT"], variables
    body = await gql(AUDIT_LOG, {"filter": {"action": "DROP_TABLES"}}, token=token)
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_admin_fields_are_forbidden_to_everyone_else(gql, signup):
    ada = await signup()
    bob = await signup("bob@example.com")
    token = ada["accessToken"]
    refused = [
        await gql(AUDIT_LOG, {}, token=token),
        await gql('{ users(first: 5, search: "bob") { edges { node { email } } } }', token=token),
        await gql(REVOKE, {"id": bob["user"]["id"]}, token=token),
        await gql(UPDATE_USER, {"id": bob["user"]["id"], "active": False}, token=token),
    ]
    for body in refused:
        assert codes(body) == ["FORBIDDEN"], body
    # Nothing changed: bob is active and still signed in
    assert codes(await gql("{ me { id } }", token=bob["accessToken"])) == []
    assert (await tables.User.get(id=bob["user"]["id"])).is_active is True
    assert await tables.AuditEntry.filter(actor_id=ada["user"]["id"]).count() == 1  # her login
    # And anonymously they are unauthenticated
    assert codes(await gql(AUDIT_LOG, {})) == ["UNAUTHENTICATED"]


# -- a model's entries ------------------------------------------------------------------------


async def test_owners_and_maintainers_read_their_models_entries_and_no_one_elses(gql, signup):
    # Given ada's model shared with bob (maintainer) and carol (viewer), and carol's own model
    ada = await signup()
    bob = await signup("bob@example.com")
    carol = await signup("carol@example.com")
    iris = await new_model(gql, ada["accessToken"])
    for user, level in (("bob", "MAINTAINER"), ("carol", "VIEWER")):
        body = await gql(
            SHARE, {"model": iris, "user": user, "level": level}, token=ada["accessToken"]
        )
        assert body["data"]["shareModel"]["__typename"] == "ShareSuccess"
    wine = await new_model(gql, carol["accessToken"], "wine")
    await gql(SHARE, {"model": wine, "user": "ada", "level": "VIEWER"}, token=carol["accessToken"])
    await gql(UNSHARE, {"m": wine, "u": "ada"}, token=carol["accessToken"])

    # When each asks for iris's audit log
    def shares(body: dict[str, Any]) -> list[tuple[str, str, str]]:
        edges = body["data"]["model"]["auditLog"]["edges"]
        return [
            (e["node"]["action"], e["node"]["target"]["label"], e["node"]["actor"]["username"])
            for e in edges
        ]

    as_ada = await gql(MODEL_AUDIT_LOG, {"id": iris}, token=ada["accessToken"])
    as_bob = await gql(MODEL_AUDIT_LOG, {"id": iris}, token=bob["accessToken"])
    as_carol = await gql(MODEL_AUDIT_LOG, {"id": iris}, token=carol["accessToken"])

    # Then the owner and the maintainer see the two shares (only iris's), the viewer is refused
    expected = [("MODEL_SHARED", "carol", "ada"), ("MODEL_SHARED", "bob", "ada")]
    assert shares(as_ada) == shares(as_bob) == expected
    assert as_ada["data"]["model"]["auditLog"]["edges"][0]["node"]["address"] == "127.0.0.1"
    # An address is the actor's own business: bob sees ada's entries without it
    assert as_bob["data"]["model"]["auditLog"]["edges"][0]["node"]["address"] is None
    assert codes(as_carol) == ["FORBIDDEN"]
    # And no one outside reads wine's entries by id, as if they did not exist
    wine_entries = await tables.AuditEntry.filter(model_id=wine).order_by("created_at")
    assert [e.action for e in wine_entries] == ["model_shared", "model_unshared"]
    for entry in wine_entries:
        for token in (ada["accessToken"], bob["accessToken"]):
            body = await gql(AUDIT_ENTRY, {"id": str(entry.id)}, token=token)
            assert body["data"] == {"auditEntry": None} and "errors" not in body
        own = await gql(AUDIT_ENTRY, {"id": str(entry.id)}, token=carol["accessToken"])
        assert own["data"]["auditEntry"]["id"] == str(entry.id)


async def test_an_entry_of_someone_elses_model_is_indistinguishable_from_a_random_id(gql, signup):
    # G21
    ada = await signup()
    bob = await signup("bob@example.com")
    iris = await new_model(gql, ada["accessToken"])
    await gql(SHARE, {"model": iris, "user": "bob", "level": "VIEWER"}, token=ada["accessToken"])
    [entry] = await tables.AuditEntry.filter(model_id=iris)
    login = await tables.AuditEntry.filter(actor_id=ada["user"]["id"]).first()

    answers = [
        await gql(AUDIT_ENTRY, {"id": i}, token=bob["accessToken"])
        for i in (str(entry.id), str(login.id), str(uuid.uuid4()), "not-an-id")
    ]

    stripped = [{k: v for k, v in a.items() if k in {"data", "errors", "_status"}} for a in answers]
    assert stripped == [{"data": {"auditEntry": None}, "_status": 200}] * 4


async def test_rows_survive_the_deletion_of_what_they_describe(gql, signup, app, upload):
    # Given ada's model with two versions, an alias moved between them, then retired
    ada = await signup()
    token = ada["accessToken"]
    iris = await new_model(gql, token)
    v1 = await uploaded(upload, token, iris, seed=1)
    v2 = await uploaded(upload, token, iris, seed=2)
    for version in (v1, v2):
        body = await gql(
            SET_ALIAS, {"model": iris, "alias": "production", "version": version}, token=token
        )
        assert body["data"]["setAlias"]["__typename"] == "SetAliasSuccess"
    await gql(REMOVE_ALIAS, {"m": iris, "a": "production"}, token=token)
    await gql(ARCHIVE, {"id": v1}, token=token)

    # When she deletes the model, and then even its rows and her account are gone
    assert (await gql(DELETE, {"id": iris}, token=token))["data"]["deleteModel"][
        "__typename"
    ] == "DoneSuccess"
    deleted = await tables.AuditEntry.get(model_id=iris, action="model_deleted")
    assert (await gql(AUDIT_ENTRY, {"id": str(deleted.id)}, token=token))["data"]["auditEntry"][
        "target"
    ] == {
        "type": "MODEL",
        "id": iris,
        "label": "iris",
    }
    await tables.Model.filter(id=iris).delete()
    await tables.User.filter(id=ada["user"]["id"]).delete()

    # Then an administrator still reads the model's whole story
    admin = await make_admin(app, gql)
    entries = await log_of(gql, admin["accessToken"], modelId=iris)
    assert [(e["action"], e["target"]["type"], e["target"]["label"]) for e in entries] == [
        ("MODEL_DELETED", "MODEL", "iris"),
        ("VERSION_ARCHIVED", "VERSION", "v1"),
        ("ALIAS_REMOVED", "ALIAS", "production"),
        ("ALIAS_MOVED", "ALIAS", "production"),
        ("ALIAS_SET", "ALIAS", "production"),
    ]
    assert entries[3]["detail"] == {"fromVersionId": v1, "toVersionId": v2, "reason": ""}
    assert entries[2]["detail"] == {"fromVersionId": v2, "reason": "retired"}
    assert {e["actor"]["username"] for e in entries} == {"ada"}
    assert {e["actor"]["id"] for e in entries} == {ada["user"]["id"]}
    owner_ids = set(
        await tables.AuditEntry.filter(model_id=iris).values_list("model_owner_id", flat=True)
    )
    assert owner_ids == {uuid.UUID(ada["user"]["id"])}


async def test_administrators_manage_any_model_and_are_named_for_it(gql, signup, app, upload):
    # Given carol's model with a version, and an administrator
    carol = await signup("carol@example.com")
    await signup("bob@example.com")
    wine = await new_model(gql, carol["accessToken"], "wine")
    version = await uploaded(upload, carol["accessToken"], wine)
    admin = await make_admin(app, gql)
    token = admin["accessToken"]

    # When the administrator shares it, points an alias, and then deletes it
    shared = await gql(SHARE, {"model": wine, "user": "bob", "level": "PREDICTOR"}, token=token)
    aliased = await gql(
        SET_ALIAS, {"model": wine, "alias": "staging", "version": version}, token=token
    )
    carols_view = await gql(MODEL_AUDIT_LOG, {"id": wine}, token=carol["accessToken"])
    deleted = await gql(DELETE, {"id": wine}, token=token)

    # Then each worked, and the owner saw the administrator named for each
    assert shared["data"]["shareModel"]["__typename"] == "ShareSuccess"
    assert aliased["data"]["setAlias"]["__typename"] == "SetAliasSuccess"
    assert deleted["data"]["deleteModel"]["__typename"] == "DoneSuccess"
    edges = carols_view["data"]["model"]["auditLog"]["edges"]
    assert [(e["node"]["action"], e["node"]["actor"]["username"]) for e in edges] == [
        ("ALIAS_SET", "admin"),
        ("MODEL_SHARED", "admin"),
    ]
    [entry] = await log_of(gql, token, action="MODEL_DELETED")
    assert entry["actor"]["id"] == admin["user"]["id"]
    assert (
        await tables.AuditEntry.filter(model_id=wine, model_owner_id=carol["user"]["id"]).count()
        == 3
    )
    assert await tables.Model.filter(id=wine, deleted_at__isnull=False).count() == 1


# -- admin: users ---------------------------------------------------------------------------


async def test_admins_search_users_by_email_or_username(gql, signup, app):
    for email in ("ada.lovelace@example.com", "bob@example.com", "Carol_ADA@example.org"):
        await signup(email)
    token = (await make_admin(app, gql))["accessToken"]
    query = """query($s: String) { users(first: 10, search: $s) {
        edges { node { email username } } } }"""

    async def found(search: str) -> list[str]:
        body = await gql(query, {"s": search}, token=token)
        return sorted(e["node"]["email"] for e in body["data"]["users"]["edges"])

    assert await found("ADA") == ["ada.lovelace@example.com", "carol_ada@example.org"]
    assert await found("ada-love") == ["ada.lovelace@example.com"]  # the username
    assert await found("%") == []
    assert await found("_") == ["carol_ada@example.org"]
    assert await found("   ") == sorted(
        [
            "admin@example.com",
            "ada.lovelace@example.com",
            "bob@example.com",
            "carol_ada@example.org",
        ]
    )
    body = await gql(query, {"s": "x" * 321}, token=token)
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_revoking_a_users_sessions_ends_them_and_their_streams(live_server, gql, signup, app):
    # Given ada signed in twice, one session holding a live stream
    ada = await signup()
    second = (await gql(LOGIN, {"email": "ada@example.com", "password": DEFAULT_PASSWORD}))["data"][
        "login"
    ]
    admin = await make_admin(app, gql)
    ws = await authenticated(live_server, ada["accessToken"])
    try:
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": ACCOUNT_EVENTS}})
        await asyncio.sleep(0.2)

        # When an administrator revokes her sessions
        body = await gql(REVOKE, {"id": ada["user"]["id"]}, token=admin["accessToken"])

        # Then both sessions end, her stream closes, and the log names the administrator
        assert body["data"]["revokeUserSessions"] == {
            "__typename": "RevokeUserSessionsSuccess",
            "revokedSessions": 2,
        }
        assert await closed_with(ws) == 4403
    finally:
        await ws.close()
    for token in (ada["accessToken"], second["accessToken"]):
        assert codes(await gql("{ me { id } }", token=token)) == ["UNAUTHENTICATED"]
    assert await tables.Session.filter(user_id=ada["user"]["id"], revoked_at=None).count() == 0
    [entry] = await log_of(gql, admin["accessToken"], action="SESSIONS_REVOKED")
    assert entry["actor"]["id"] == admin["user"]["id"]
    assert entry["target"]["id"] == ada["user"]["id"]
    assert entry["detail"] == {"reason": "revoked_by_admin", "sessions": 2}
    missing = await gql(REVOKE, {"id": str(uuid.uuid4())}, token=admin["accessToken"])
    assert missing["data"]["revokeUserSessions"]["__typename"] == "NotFoundError"


async def test_an_operation_over_a_websocket_records_its_origin(live_server, gql, signup, app):
    ada = await signup()
    ws = await authenticated(live_server, ada["accessToken"])
    try:
        await send(
            ws, {"id": "1", "type": "subscribe", "payload": {"query": "mutation { logout { ok } }"}}
        )
        assert (await receive(ws))["payload"]["data"] == {"logout": {"ok": True}}
    finally:
        await ws.close()
    entry = await tables.AuditEntry.get(action="logout")
    assert entry.address == "127.0.0.1"
    assert entry.request_id is not None and len(entry.request_id) == 32


# -- the failure policy ------------------------------------------------------------------------


async def test_a_detail_that_is_not_json_never_fails_the_record(app):
    target = AuditTarget(TargetType.QUOTA, "q" * 500, "label")
    with request_origin(address="10.0.0.1", request_id="req-1"):
        odd = await AuditTrail.record(
            AuditAction.QUOTA_CHANGED, actor=None, target=target, detail={"at": object()}
        )
        broken = await AuditTrail.record(
            AuditAction.QUOTA_CHANGED, actor=None, target=target, detail={("a", 1): 2}
        )
    assert isinstance((await tables.AuditEntry.get(id=odd.id)).detail["at"], str)
    row = await tables.AuditEntry.get(id=broken.id)
    assert (row.detail, row.target_id, row.address, row.request_id) == (
        {},
        "q" * 64,
        "10.0.0.1",
        "req-1",
    )


async def test_a_failed_audit_write_rolls_back_the_change_it_records(gql, signup, app, monkeypatch):
    # Given a database that refuses audit rows
    ada = await signup()
    admin = await make_admin(app, gql)

    async def refuse(**fields: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(tables.AuditEntry, "create", refuse)

    # When an administrator deactivates ada
    body = await gql(
        UPDATE_USER, {"id": ada["user"]["id"], "active": False}, token=admin["accessToken"]
    )

    # Then the request fails, and the change did not happen either
    assert codes(body) == ["INTERNAL"]
    assert (await tables.User.get(id=ada["user"]["id"])).is_active is True
    assert codes(await gql("{ me { id } }", token=ada["accessToken"])) == []


def test_the_schema_names_every_action_of_the_catalogue():
    from graph.audit import AuditAction as Exposed

    assert [a.name for a in Exposed] == [a.name for a in AuditAction]
    assert "KEY_CREATED" in export_sdl() and "QUOTA_CHANGED" in export_sdl()
