"""G22: every list field of the schema caps ``first`` at 100 with a typed error.

The fields are read from the schema itself, so a list field added later without a way to reach
it here fails this test rather than going unchecked.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLObjectType, build_schema

from tests.graph.test_accounts import codes, make_admin
from tests.graph.test_webhooks import register

# How each list field is reached; {first} is the page size under test.
REACH = {
    ("Query", "users"): "{{ users(first: {first}) {{ __typename }} }}",
    ("Query", "models"): "{{ models(first: {first}) {{ __typename }} }}",
    ("Query", "predictionLog"): (
        '{{ predictionLog(modelId: "{model_id}", first: {first}) {{ __typename }} }}'
    ),
    ("Query", "auditLog"): "{{ auditLog(first: {first}) {{ __typename }} }}",
    ("Query", "jobs"): "{{ jobs(first: {first}) {{ __typename }} }}",
    ("Model", "versions"): (
        '{{ model(id: "{model_id}") {{ versions(first: {first}) {{ __typename }} }} }}'
    ),
    ("Model", "aliasHistory"): (
        '{{ model(id: "{model_id}") {{ aliasHistory(first: {first}) {{ __typename }} }} }}'
    ),
    ("Model", "auditLog"): (
        '{{ model(id: "{model_id}") {{ auditLog(first: {first}) {{ __typename }} }} }}'
    ),
    ("WebhookEndpoint", "deliveries"): (
        '{{ webhookEndpoint(id: "{endpoint_id}") '
        "{{ deliveries(first: {first}) {{ __typename }} }} }}"
    ),
}


def paged_fields() -> set[tuple[str, str]]:
    """(type, field) of every field taking ``first``, in schema.graphql (kept equal to the
    served schema by tests/test_schema_file.py)."""
    schema = build_schema((Path(__file__).parents[2] / "schema.graphql").read_text())
    found = set()
    for name, kind in schema.type_map.items():
        if name.startswith("__") or not isinstance(kind, GraphQLObjectType):
            continue
        found |= {(name, field) for field, spec in kind.fields.items() if "first" in spec.args}
    return found


def test_every_list_field_of_the_schema_is_checked_here():
    assert paged_fields() == set(REACH)


@pytest.fixture
async def reachable(gql, app, create_model) -> dict[str, Any]:
    admin = await make_admin(app, gql)
    token = admin["accessToken"]
    model = await create_model(token)
    hook = await register(gql, token, "https://1.2.3.4/in", ["VERSION_CREATED"])
    assert "endpoint" in hook, hook
    return {"token": token, "model_id": model["id"], "endpoint_id": hook["endpoint"]["id"]}


@pytest.mark.parametrize("field", sorted(REACH), ids=lambda f: ".".join(f))
@pytest.mark.parametrize("first", [0, 101, 99999999, -1])
async def test_a_page_outside_1_to_100_is_a_typed_error(gql, reachable, field, first):
    document = REACH[field].format(first=first, **reachable)
    body = await gql(document, token=reachable["token"])
    assert body["_status"] == 200
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert "Traceback" not in str(body)


@pytest.mark.parametrize("field", sorted(REACH), ids=lambda f: ".".join(f))
async def test_a_page_of_100_is_served(gql, reachable, field):
    body = await gql(REACH[field].format(first=100, **reachable), token=reachable["token"])
    assert "errors" not in body, body


async def test_filters_and_cursors_are_typed_never_raw_strings(gql, reachable):
    token = reachable["token"]
    # Filters are enums and scalars: a value outside the enum is refused by validation.
    bad_enum = await gql(
        '{ auditLog(first: 5, filter: {action: "drop table audit_entries"}) { __typename } }',
        token=token,
    )
    assert codes(bad_enum) == ["BAD_USER_INPUT"], bad_enum
    unknown = await gql(
        "{ auditLog(first: 5, filter: {action: NOT_AN_ACTION}) { __typename } }", token=token
    )
    assert codes(unknown) == ["BAD_USER_INPUT"], unknown
    # A cursor is opaque: anything but one the server issued is BAD_USER_INPUT.
    forged = await gql(
        f'{{ jobs(first: 5, after: "{uuid.uuid4()}; drop table jobs") {{ __typename }} }}',
        token=token,
    )
    assert codes(forged) == ["BAD_USER_INPUT"], forged
