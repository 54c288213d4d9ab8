"""Accounts through the GraphQL API: register, login, me, refresh, logout, passwords, admin."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher

from storage import tables
from tests.conftest import DEFAULT_PASSWORD, LOGIN, REGISTER

ME = "{ me { id email role isActive } }"
REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(refreshToken: $token) { accessToken refreshToken user { email } }
}"""
LOGOUT = "mutation { logout { ok } }"
CHANGE_PASSWORD = """
mutation Change($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) {
    __typename
    ... on ChangePasswordSuccess { revokedSessions }
    ... on ValidationError { fields { path code } }
  }
}"""


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_register_login_me_refresh(gql, signup):
    payload = await signup("Ada@Example.COM ")
    assert payload["tokenType"] == "Bearer"
    assert payload["user"]["email"] == "ada@example.com"

    me = await gql(ME, token=payload["accessToken"])
    assert me["data"]["me"] == {
        "id": payload["user"]["id"],
        "email": "ada@example.com",
        "role": "USER",
        "isActive": True,
    }

    refreshed = await gql(REFRESH, {"token": payload["refreshToken"]})
    pair = refreshed["data"]["refreshToken"]
    assert pair["refreshToken"] != payload["refreshToken"]
    assert (await gql(ME, token=pair["accessToken"]))["data"]["me"]["email"] == "ada@example.com"


async def test_register_validates_every_field_at_once(gql):
    body = await gql(REGISTER, {"email": "not-an-email", "password": "short"})
    result = body["data"]["register"]
    assert result["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in result["fields"]] == [
        (["input", "email"], "invalid_email"),
        (["input", "password"], "password_too_short"),
    ]
    assert await tables.User.all().count() == 0


async def test_password_length_bounds(gql):
    too_long = "x" * 1025
    body = await gql(REGISTER, {"email": "a@example.com", "password": too_long})
    assert body["data"]["register"]["fields"][0]["code"] == "password_too_long"
    ok = await gql(REGISTER, {"email": "a@example.com", "password": "x" * 1024})
    assert ok["data"]["register"]["__typename"] == "RegisterSuccess"
    ten = await gql(REGISTER, {"email": "b@example.com", "password": "x" * 10})
    assert ten["data"]["register"]["__typename"] == "RegisterSuccess"


async def test_register_existing_email_answers_like_a_new_one(gql):
    first = await gql(REGISTER, {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    again = await gql(REGISTER, {"email": "ADA@example.com", "password": "another password"})
    assert first["data"] == again["data"]
    assert await tables.User.filter(email="ada@example.com").count() == 1
    # The original password still works: the second registration changed nothing.
    login = await gql(LOGIN, {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    assert login["data"]["login"]["__typename"] == "AuthPayload"


async def test_login_failures_look_the_same(gql, signup):
    await signup()
    unknown = await gql(LOGIN, {"email": "nobody@example.com", "password": DEFAULT_PASSWORD})
    wrong = await gql(LOGIN, {"email": "ada@example.com", "password": "wrong password!"})
    assert unknown["data"] == wrong["data"]
    assert unknown["data"]["login"] == {
        "__typename": "InvalidCredentialsError",
        "message": "Invalid email or password.",
    }
    assert unknown["_status"] == wrong["_status"] == 200


async def test_stored_hash_is_argon2id_with_owasp_parameters(signup):
    await signup()
    user = await tables.User.get(email="ada@example.com")
    assert user.password_hash.startswith("$argon2id$v=19$")
    params = dict(p.split("=") for p in user.password_hash.split("$")[3].split(","))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2
    assert DEFAULT_PASSWORD not in user.password_hash


async def test_weak_hash_is_upgraded_at_login(gql, signup):
    await signup()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(DEFAULT_PASSWORD)
    await tables.User.filter(email="ada@example.com").update(password_hash=weak)
    body = await gql(LOGIN, {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    assert body["data"]["login"]["__typename"] == "AuthPayload"
    upgraded = (await tables.User.get(email="ada@example.com")).password_hash
    assert upgraded != weak
    assert ",t=2," in upgraded or "t=2" in upgraded.split("$")[3]


async def test_refresh_token_reuse_revokes_the_family(gql, signup):
    first = await signup()
    second = (await gql(REFRESH, {"token": first["refreshToken"]}))["data"]["refreshToken"]

    reused = await gql(REFRESH, {"token": first["refreshToken"]})
    assert codes(reused) == ["UNAUTHENTICATED"]
    assert reused["_status"] == 401

    # The successor dies with the family, and so do the access tokens of that session.
    assert codes(await gql(REFRESH, {"token": second["refreshToken"]})) == ["UNAUTHENTICATED"]
    assert codes(await gql(ME, token=second["accessToken"])) == ["UNAUTHENTICATED"]
    session = await tables.Session.get()
    assert session.revoked_reason == "refresh_reuse"


async def test_logout_ends_the_session_at_once(gql, signup):
    payload = await signup()
    # A token just used is in the caller cache; logout must still end it at once.
    assert (await gql(ME, token=payload["accessToken"]))["data"]["me"] is not None
    assert (await gql(LOGOUT, token=payload["accessToken"]))["data"]["logout"] == {"ok": True}
    assert codes(await gql(ME, token=payload["accessToken"])) == ["UNAUTHENTICATED"]
    assert codes(await gql(REFRESH, {"token": payload["refreshToken"]})) == ["UNAUTHENTICATED"]


async def test_logout_keeps_other_sessions(gql, signup):
    laptop = await signup()
    phone = (await gql(LOGIN, {"email": "ada@example.com", "password": DEFAULT_PASSWORD}))["data"][
        "login"
    ]
    await gql(LOGOUT, token=laptop["accessToken"])
    assert (await gql(ME, token=phone["accessToken"]))["data"]["me"]["email"] == "ada@example.com"


async def test_change_password_revokes_other_sessions(gql, signup):
    current = await signup()
    other = (await gql(LOGIN, {"email": "ada@example.com", "password": DEFAULT_PASSWORD}))["data"][
        "login"
    ]
    body = await gql(
        CHANGE_PASSWORD,
        {"current": DEFAULT_PASSWORD, "new": "a brand new passphrase"},
        token=current["accessToken"],
    )
    assert body["data"]["changePassword"] == {
        "__typename": "ChangePasswordSuccess",
        "revokedSessions": 1,
    }
    assert codes(await gql(ME, token=other["accessToken"])) == ["UNAUTHENTICATED"]
    assert (await gql(ME, token=current["accessToken"]))["data"]["me"] is not None
    old = await gql(LOGIN, {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    assert old["data"]["login"]["__typename"] == "InvalidCredentialsError"
    new = await gql(LOGIN, {"email": "ada@example.com", "password": "a brand new passphrase"})
    assert new["data"]["login"]["__typename"] == "AuthPayload"


async def test_change_password_needs_the_current_one(gql, signup):
    payload = await signup()
    body = await gql(
        CHANGE_PASSWORD,
        {"current": "not my password", "new": "a brand new passphrase"},
        token=payload["accessToken"],
    )
    assert body["data"]["changePassword"] == {
        "__typename": "ValidationError",
        "fields": [{"path": ["input", "currentPassword"], "code": "incorrect"}],
    }


async def test_me_without_token_is_unauthenticated(gql):
    body = await gql(ME)
    assert codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None
    assert body["_status"] == 401


async def test_deactivated_user_cannot_log_in_and_loses_sessions(gql, signup, app):
    user = await signup()
    admin = await make_admin(app, gql)
    body = await gql(
        """mutation($id: ID!) { updateUser(input: {id: $id, isActive: false}) {
            __typename ... on UpdateUserSuccess { user { isActive } } } }""",
        {"id": user["user"]["id"]},
        token=admin["accessToken"],
    )
    assert body["data"]["updateUser"] == {
        "__typename": "UpdateUserSuccess",
        "user": {"isActive": False},
    }
    assert codes(await gql(ME, token=user["accessToken"])) == ["UNAUTHENTICATED"]
    login = await gql(LOGIN, {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    assert login["data"]["login"]["__typename"] == "InvalidCredentialsError"


async def test_admin_only_fields_are_forbidden_to_users(gql, signup):
    user = await signup()
    body = await gql("{ users(first: 10) { edges { node { email } } } }", token=user["accessToken"])
    assert codes(body) == ["FORBIDDEN"]
    assert body["_status"] == 403


async def test_admin_lists_users_in_pages(gql, signup, app):
    for i in range(3):
        await signup(f"user{i}@example.com")
    admin = await make_admin(app, gql)
    query = """query($after: String) { users(first: 2, after: $after) {
        edges { node { email } } pageInfo { hasNextPage endCursor } } }"""
    first = (await gql(query, token=admin["accessToken"]))["data"]["users"]
    second = (
        await gql(query, {"after": first["pageInfo"]["endCursor"]}, token=admin["accessToken"])
    )["data"]["users"]
    emails = [e["node"]["email"] for e in first["edges"] + second["edges"]]
    assert sorted(emails) == sorted(
        ["admin@example.com", "user0@example.com", "user1@example.com", "user2@example.com"]
    )
    assert first["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasNextPage"] is False


async def test_page_size_is_capped(gql, app):
    admin = await make_admin(app, gql)
    body = await gql("{ users(first: 99999999) { edges { cursor } } }", token=admin["accessToken"])
    assert codes(body) == ["BAD_USER_INPUT"]
    bad_cursor = await gql(
        '{ users(first: 5, after: "garbage!") { edges { cursor } } }', token=admin["accessToken"]
    )
    assert codes(bad_cursor) == ["BAD_USER_INPUT"]


async def make_admin(app, gql, email: str = "admin@example.com") -> dict[str, Any]:
    await app.state.services.accounts.create_admin(email=email, password=DEFAULT_PASSWORD)
    body = await gql(LOGIN, {"email": email, "password": DEFAULT_PASSWORD})
    return body["data"]["login"]


async def test_root_fields_share_one_token_check(app, gql, signup, monkeypatch):
    # Given a token the caller cache no longer remembers (as after its one-second TTL)
    user = await signup()
    accounts = app.state.services.accounts
    accounts.clear_cache()
    checks = 0
    verify = accounts._verify

    async def counting_verify(credential: str, ip: str | None, generation: int) -> Any:
        nonlocal checks
        checks += 1
        return await verify(credential, ip, generation)

    monkeypatch.setattr(accounts, "_verify", counting_verify)

    # When one operation asks for the caller in three root fields resolving concurrently
    body = await gql(
        "{ me { id } models { edges { node { id } } } again: me { email } }",
        token=user["accessToken"],
    )

    # Then every field sees the caller, and the token was checked once
    assert "errors" not in body, body
    assert body["data"]["me"]["id"] == user["user"]["id"]
    assert body["data"]["again"]["email"] == "ada@example.com"
    assert body["data"]["models"] == {"edges": []}
    assert checks == 1
