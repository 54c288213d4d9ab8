"""Teams through GraphQL: a team owns models, its members' roles decide access, at once."""

from __future__ import annotations

from typing import Any

import pytest

from storage import tables
from tests import factories
from tests.conftest import REGISTER
from tests.graph.queries import SET_ALIAS
from tests.graph.test_accounts import codes

CREATE_TEAM = """
mutation($name: String!) { createTeam(input: {name: $name}) {
  __typename
  ... on TeamSuccess { team { id name myRole members { user { username } role joinedAt } } }
  ... on NameTakenError { message }
  ... on ValidationError { fields { path code } }
} }"""

INVITE = """
mutation($team: String!, $user: String!, $role: TeamRole!) {
  inviteToTeam(input: {team: $team, username: $user, role: $role}) {
    __typename
    ... on TeamMemberSuccess { member { user { username } role joinedAt } }
    ... on TeamForbiddenError { message }
    ... on NotFoundError { message }
    ... on ValidationError { fields { path code } }
  }
}"""

ACCEPT = """
mutation($team: String!) { acceptTeamInvitation(team: $team) {
  __typename ... on TeamMemberSuccess { member { role joinedAt } } } }"""

SET_ROLE = """
mutation($team: String!, $user: String!, $role: TeamRole!) {
  setTeamMemberRole(input: {team: $team, username: $user, role: $role}) {
    __typename ... on LastAdminError { message } ... on TeamMemberSuccess { member { role } }
  }
}"""

REMOVE = """
mutation($team: String!, $user: String!) {
  removeTeamMember(input: {team: $team, username: $user}) {
    __typename ... on LastAdminError { message } ... on TeamForbiddenError { message }
  }
}"""

CREATE_TEAM_MODEL = """
mutation($name: String!, $team: String) { createModel(input: {name: $name, team: $team}) {
  __typename
  ... on ModelSuccess { model { id fullName namespace myAccess team { name } owner { username } } }
  ... on NotFoundError { message }
  ... on ForbiddenError { message }
  ... on ModelNameTakenError { message }
} }"""

PREDICT = """
query($model: String!) { predict(model: $model, rows: [[0.1, 0.2, 0.3, 0.4]]) {
  version { number } } }"""


@pytest.fixture
async def people(signup) -> dict[str, dict[str, Any]]:
    """Ada (who makes the team), Bob, Cy and Dee (who join it) and Eve (who never does)."""
    return {
        name: await signup(f"{name}@example.com") for name in ("ada", "bob", "cy", "dee", "eve")
    }


@pytest.fixture
def as_(gql, people):
    async def run(who: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        return await gql(query, variables or {}, token=people[who]["accessToken"])

    return run


async def join(as_, who: str, role: str, team: str = "acme") -> None:
    invited = await as_("ada", INVITE, {"team": team, "user": who, "role": role})
    assert invited["data"]["inviteToTeam"]["__typename"] == "TeamMemberSuccess", invited
    accepted = await as_(who, ACCEPT, {"team": team})
    assert accepted["data"]["acceptTeamInvitation"]["__typename"] == "TeamMemberSuccess"


@pytest.fixture
async def churn(as_, people, upload) -> dict[str, Any]:
    """Team acme (Ada admin; Bob maintainer, Cy predictor, Dee viewer) and its model acme/churn
    with two ready versions."""
    created = await as_("ada", CREATE_TEAM, {"name": "acme"})
    assert created["data"]["createTeam"]["__typename"] == "TeamSuccess", created
    for who, role in (("bob", "MAINTAINER"), ("cy", "PREDICTOR"), ("dee", "VIEWER")):
        await join(as_, who, role)
    made = await as_("ada", CREATE_TEAM_MODEL, {"name": "churn", "team": "acme"})
    model = made["data"]["createModel"]["model"]
    versions = []
    for seed in (0, 7):
        body = await upload(
            people["ada"]["accessToken"],
            model["id"],
            factories.skops_bytes(factories.logistic_regression(seed=seed)),
        )
        versions.append(body["data"]["uploadModelVersion"]["version"])
    return {"model": model, "versions": versions}


async def test_a_team_owns_a_model_its_maintainer_promotes(as_, churn):
    model, (v1, v2) = churn["model"], churn["versions"]
    assert model["fullName"] == "acme/churn"
    assert model["team"] == {"name": "acme"}
    assert model["myAccess"] == "OWNER"  # Ada is the team's admin

    promoted = await as_(
        "bob", SET_ALIAS, {"model": model["id"], "alias": "production", "version": v2["id"]}
    )
    assert promoted["data"]["setAlias"]["__typename"] == "SetAliasSuccess", promoted
    body = await as_("cy", PREDICT, {"model": "acme/churn@production"})
    assert body["data"]["predict"]["version"] == {"number": 2}, body

    # A viewer sees it but may not predict; a stranger cannot tell it exists.
    assert codes(await as_("dee", PREDICT, {"model": "acme/churn"})) == ["FORBIDDEN"]
    assert codes(await as_("eve", PREDICT, {"model": "acme/churn"})) == ["NOT_FOUND"]
    assert codes(await as_("eve", PREDICT, {"model": "acme/nothing"})) == ["NOT_FOUND"]
    seen = await as_("dee", "query($id: ID!) { model(id: $id) { myAccess } }", {"id": model["id"]})
    assert seen["data"]["model"] == {"myAccess": "VIEWER"}
    hidden = await as_("eve", "query($id: ID!) { model(id: $id) { name } }", {"id": model["id"]})
    assert hidden["data"]["model"] is None
    # A predictor may not promote.
    refused = await as_(
        "cy", SET_ALIAS, {"model": model["id"], "alias": "production", "version": v1["id"]}
    )
    assert refused["data"]["setAlias"]["__typename"] == "ForbiddenError", refused
    listed = await as_("bob", "{ models { edges { node { fullName } } } }")
    assert [e["node"]["fullName"] for e in listed["data"]["models"]["edges"]] == ["acme/churn"]


async def test_removal_and_leaving_take_effect_at_once(as_, churn):
    model = churn["model"]
    assert "errors" not in await as_("cy", PREDICT, {"model": "acme/churn"})
    removed = await as_("ada", REMOVE, {"team": "acme", "user": "cy"})
    assert removed["data"]["removeTeamMember"]["__typename"] == "TeamMemberRemoved", removed
    # The very next request: no waiting for a cache to expire.
    assert codes(await as_("cy", PREDICT, {"model": "acme/churn"})) == ["NOT_FOUND"]

    left = await as_("bob", REMOVE, {"team": "acme", "user": "bob"})
    assert left["data"]["removeTeamMember"]["__typename"] == "TeamMemberRemoved"
    again = await as_(
        "bob",
        SET_ALIAS,
        {"model": model["id"], "alias": "production", "version": churn["versions"][0]["id"]},
    )
    assert again["data"]["setAlias"]["__typename"] == "NotFoundError", again
    assert (await as_("bob", 'query { team(name: "acme") { name } }'))["data"] == {"team": None}


async def test_a_lowered_role_applies_to_the_next_request(as_, churn):
    assert "errors" not in await as_("cy", PREDICT, {"model": "acme/churn"})
    lowered = await as_("ada", SET_ROLE, {"team": "acme", "user": "cy", "role": "VIEWER"})
    assert lowered["data"]["setTeamMemberRole"] == {
        "__typename": "TeamMemberSuccess",
        "member": {"role": "VIEWER"},
    }
    assert codes(await as_("cy", PREDICT, {"model": "acme/churn"})) == ["FORBIDDEN"]


async def test_the_creator_of_a_team_model_keeps_only_their_role(as_, people, churn):
    # Bob (maintainer) makes a team model, then is made a viewer: it is not "his".
    made = await as_("bob", CREATE_TEAM_MODEL, {"name": "bobs", "team": "acme"})
    model = made["data"]["createModel"]["model"]
    assert model["fullName"] == "acme/bobs" and model["myAccess"] == "MAINTAINER"
    await as_("ada", SET_ROLE, {"team": "acme", "user": "bob", "role": "VIEWER"})
    deleted = await as_(
        "bob", "mutation($id: ID!) { deleteModel(id: $id) { __typename } }", {"id": model["id"]}
    )
    assert codes(deleted) == ["FORBIDDEN"] or deleted["data"]["deleteModel"]["__typename"] in {
        "ForbiddenError"
    }, deleted
    # A predictor cannot create team models; a stranger is told the team does not exist.
    body = await as_("cy", CREATE_TEAM_MODEL, {"name": "x", "team": "acme"})
    assert body["data"]["createModel"]["__typename"] == "ForbiddenError", body
    body = await as_("eve", CREATE_TEAM_MODEL, {"name": "x", "team": "acme"})
    assert body["data"]["createModel"]["__typename"] == "NotFoundError", body


async def test_invitations_need_a_team_admin_and_an_answer(as_, churn):
    body = await as_("bob", INVITE, {"team": "acme", "user": "eve", "role": "ADMIN"})
    assert body["data"]["inviteToTeam"]["__typename"] == "TeamForbiddenError"
    body = await as_("eve", INVITE, {"team": "acme", "user": "eve", "role": "ADMIN"})
    assert body["data"]["inviteToTeam"]["__typename"] == "NotFoundError"
    body = await as_("ada", INVITE, {"team": "acme", "user": "eve", "role": "VIEWER"})
    assert body["data"]["inviteToTeam"]["member"]["joinedAt"] is None
    # Invited, not joined: Eve sees the invitation, not the team's models.
    invitations = await as_("eve", "{ teamInvitations { team { name } role } }")
    assert invitations["data"]["teamInvitations"] == [{"team": {"name": "acme"}, "role": "VIEWER"}]
    assert codes(await as_("eve", PREDICT, {"model": "acme/churn"})) == ["NOT_FOUND"]
    body = await as_("ada", INVITE, {"team": "acme", "user": "eve", "role": "VIEWER"})
    assert body["data"]["inviteToTeam"]["__typename"] == "ValidationError"
    declined = await as_("eve", 'mutation { declineTeamInvitation(team: "acme") }')
    assert declined["data"] == {"declineTeamInvitation": True}
    assert (await as_("eve", "{ teamInvitations { role } }"))["data"]["teamInvitations"] == []


async def test_a_team_keeps_an_admin_and_its_models(as_, churn):
    body = await as_("ada", SET_ROLE, {"team": "acme", "user": "ada", "role": "MAINTAINER"})
    assert body["data"]["setTeamMemberRole"]["__typename"] == "LastAdminError"
    body = await as_("ada", REMOVE, {"team": "acme", "user": "ada"})
    assert body["data"]["removeTeamMember"]["__typename"] == "LastAdminError"
    body = await as_("ada", 'mutation { deleteTeam(team: "acme") { __typename } }')
    assert "errors" not in body, body
    assert body["data"]["deleteTeam"]["__typename"] == "TeamNotEmptyError"
    # With a second admin, the first may step down.
    await as_("ada", SET_ROLE, {"team": "acme", "user": "bob", "role": "ADMIN"})
    body = await as_("ada", SET_ROLE, {"team": "acme", "user": "ada", "role": "VIEWER"})
    assert body["data"]["setTeamMemberRole"]["__typename"] == "TeamMemberSuccess"


async def test_team_names_and_usernames_share_one_namespace(gql, as_, people):
    body = await as_("ada", CREATE_TEAM, {"name": "bob"})
    assert body["data"]["createTeam"]["__typename"] == "NameTakenError"
    body = await as_("ada", CREATE_TEAM, {"name": "Not A Name!"})
    assert body["data"]["createTeam"]["__typename"] == "ValidationError"
    await as_("ada", CREATE_TEAM, {"name": "acme"})
    body = await as_("bob", CREATE_TEAM, {"name": "ACME"})
    assert body["data"]["createTeam"]["__typename"] == "NameTakenError"
    taken = await gql(
        'mutation { register(input: {email: "z@example.com", password: "correct horse battery",'
        ' username: "acme"}) { __typename ... on ValidationError { fields { code } } } }'
    )
    assert taken["data"]["register"] == {
        "__typename": "ValidationError",
        "fields": [{"code": "username_taken"}],
    }
    # An account whose email would give it the team's name gets another one.
    await gql(REGISTER, {"email": "acme@example.com", "password": "correct horse battery"})
    user = await tables.User.get(email="acme@example.com")
    assert user.username != "acme"


async def test_team_changes_are_audited(as_, churn):
    actions = [
        (e.action, e.actor_label)
        for e in await tables.AuditEntry.filter(target_type="team").order_by("created_at")
    ]
    assert actions[0] == ("team_created", "ada")
    assert ("team_member_added", "ada") in actions and ("team_member_added", "bob") in actions
    await as_("ada", SET_ROLE, {"team": "acme", "user": "cy", "role": "VIEWER"})
    await as_("ada", REMOVE, {"team": "acme", "user": "cy"})
    last = await tables.AuditEntry.filter(target_type="team").order_by("-created_at").limit(2)
    assert [e.action for e in last] == ["team_member_removed", "team_role_changed"]
    assert last[0].detail["user"] == "cy" and last[0].address == "127.0.0.1"


async def test_a_stranger_cannot_tell_a_team_from_nothing(as_, churn):
    theirs = await as_("eve", 'query { team(name: "acme") { name members { role } } }')
    nothing = await as_("eve", 'query { team(name: "nothing") { name } }')
    assert theirs["data"] == nothing["data"] == {"team": None}
    body = await as_("eve", REMOVE, {"team": "acme", "user": "cy"})
    other = await as_("eve", REMOVE, {"team": "nothing", "user": "cy"})
    assert body["data"] == other["data"]
    assert body["data"]["removeTeamMember"]["__typename"] == "NotFoundError"


async def test_a_share_does_not_outlast_leaving_the_team(as_, churn):
    model_id = churn["model"]["id"]
    share = """mutation($m: ID!, $u: String!) { shareModel(input: {modelId: $m, username: $u,
      level: MAINTAINER}) { __typename } }"""
    # A maintainer cannot share the team's model with themselves...
    body = await as_("bob", share, {"m": model_id, "u": "bob"})
    assert body["data"]["shareModel"]["__typename"] == "ValidationError", body
    # ...and a share a colleague gave goes when the member leaves.
    given = await as_("ada", share, {"m": model_id, "u": "bob"})
    assert given["data"]["shareModel"]["__typename"] == "ShareSuccess", given
    await as_("ada", REMOVE, {"team": "acme", "user": "bob"})
    seen = await as_("bob", "query($id: ID!) { model(id: $id) { name } }", {"id": model_id})
    assert seen["data"] == {"model": None}
    assert not await tables.Share.filter(model_id=model_id, user__username="bob").exists()


async def test_only_members_see_who_is_in_a_team(as_, churn):
    model_id = churn["model"]["id"]
    share = """mutation($m: ID!) { shareModel(input: {modelId: $m, username: "eve",
      level: VIEWER}) { __typename } }"""
    await as_("ada", share, {"m": model_id})
    query = "query($id: ID!) { model(id: $id) { team { name members { user { username } } } } }"
    outside = await as_("eve", query, {"id": model_id})
    assert outside["data"]["model"]["team"] == {"name": "acme", "members": []}
    inside = await as_("dee", query, {"id": model_id})
    assert len(inside["data"]["model"]["team"]["members"]) == 4


async def test_who_left_a_team_no_longer_reads_its_models_audit_entries(as_, churn):
    model_id = churn["model"]["id"]
    version = churn["versions"][0]["id"]
    await as_("ada", SET_ALIAS, {"model": model_id, "alias": "production", "version": version})
    entry = await tables.AuditEntry.filter(model_id=model_id).first()
    assert entry is not None and entry.model_owner_id is None  # a team's model: no owner
    await as_("ada", SET_ROLE, {"team": "acme", "user": "bob", "role": "ADMIN"})
    await as_("ada", REMOVE, {"team": "acme", "user": "ada"})
    body = await as_("ada", "query($id: ID!) { auditEntry(id: $id) { id } }", {"id": str(entry.id)})
    assert body["data"] == {"auditEntry": None}
