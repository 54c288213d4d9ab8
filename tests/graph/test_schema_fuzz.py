"""Schemathesis in GraphQL mode: one strategy per root field, valid and invalid arguments.

tests/graph/test_envelope_fuzz.py draws whole documents from the schema at random; here every
query and mutation root field gets its own strategy (schemathesis leaves subscriptions out; they
are fuzzed there and over the websocket in test_websocket.py) (so rarely drawn fields are
hit as often as common ones), and the same documents go to an app in production settings,
where no answer may carry a "Did you mean ...?" hint that would spell out the schema.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import schemathesis.graphql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from graph.schema import build_schema
from tests.conftest import make_settings
from tests.graph.test_envelope_fuzz import SCALARS

SCHEMA = schemathesis.graphql.from_path(Path(__file__).resolve().parents[2] / "schema.graphql")
for _name, _strategy in SCALARS.items():
    schemathesis.graphql.scalar(_name, _strategy)

OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def cases(operation) -> st.SearchStrategy:
    return st.one_of(
        [
            operation.as_strategy(generation_mode=mode)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
    )


FIELDS = pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.label)
CSRF = {"X-ModelServe-CSRF": "1"}
BOUNDED = settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_every_root_field_has_a_strategy() -> None:
    assert len(OPERATIONS) > 60
    kinds = {operation.label.split(".")[0] for operation in OPERATIONS}
    assert kinds == {"Query", "Mutation"}, kinds


def check(response: httpx.Response, *, production: bool) -> None:
    assert response.status_code < 500, response.text
    text = response.text
    assert "Traceback" not in text and 'File "' not in text, text
    body = response.json()
    for error in body.get("errors") or []:
        assert (error.get("extensions") or {}).get("code") != "INTERNAL", error
    if production:
        assert "Did you mean" not in text, text


@pytest.fixture
async def bearer(signup) -> dict[str, str]:
    user = await signup()
    return {"Authorization": f"Bearer {user['accessToken']}", **CSRF}


@FIELDS
@BOUNDED
@given(data=st.data(), authenticated=st.booleans())
async def test_root_fields_answer_typed(client, bearer, operation, data, authenticated):
    case = data.draw(cases(operation))
    headers = bearer if authenticated else CSRF
    response = await client.post("/graphql", json={"query": case.body}, headers=headers)
    check(response, production=False)
    # The document reached GraphQL (not refused in the envelope): an answer with data or errors.
    assert response.json().keys() & {"data", "errors"}, response.text


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """The schema as production builds it (introspection off, so suggestions masked).

    Only its validation answers are checked: a document that validates reaches resolvers with
    no request context and fails there, which says nothing about hints.
    """
    data = tmp_path_factory.mktemp("production")
    return build_schema(
        make_settings(
            data, f"sqlite://{data}/db.sqlite3", environment="production", secret_key="p" * 48
        )
    )


def hints(result) -> list[str]:
    return [e.message for e in result.errors or [] if "Did you mean" in e.message]


@FIELDS
@BOUNDED
@given(data=st.data())
async def test_production_answers_carry_no_suggestion(production, operation, data):
    case = data.draw(cases(operation))
    result = await production.execute(case.body)
    assert hints(result) == []


async def test_the_production_check_would_see_a_suggestion(production, client):
    """Development suggests for the same misspelling production keeps quiet about."""
    document = "{ modelz { edges { cursor } } }"
    hinted = await client.post("/graphql", json={"query": document}, headers=CSRF)
    assert "Did you mean" in hinted.text
    masked = await production.execute(document)
    assert masked.errors and hints(masked) == []
