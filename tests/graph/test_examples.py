"""docs/examples: every document is valid against the schema; a representative set runs live."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema, parse, validate

from graph.schema import export_sdl
from tests.factories import logistic_regression, skops_bytes
from tests.graph.conftest import post_multipart

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
DOCUMENTS = sorted(EXAMPLES.glob("*.graphql"))


def example(name: str, **variables: Any) -> tuple[str, dict[str, Any]]:
    """The document and its sibling variables, with ``variables`` replacing the placeholders."""
    loaded = json.loads((EXAMPLES / f"{name}.json").read_text())
    for key, value in variables.items():
        if isinstance(value, dict):
            loaded[key] = {**loaded[key], **value}
        else:
            loaded[key] = value
    return (EXAMPLES / f"{name}.graphql").read_text(), loaded


def test_there_is_an_example_for_every_task():
    names = {path.stem for path in DOCUMENTS}
    for task in ("register", "login", "refresh", "upload", "promote", "predict", "predict-batch",
                 "records", "explain", "create-api-key", "quota", "create-team", "share",
                 "submit-job", "create-webhook", "drift", "analytics", "subscribe-predictions",
                 "audit", "admin-users"):  # fmt: skip
        assert task in names


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_the_example_is_valid_against_the_schema(path: Path):
    schema = build_schema(export_sdl())
    assert validate(schema, parse(path.read_text())) == []
    assert isinstance(json.loads(path.with_suffix(".json").read_text()), dict)


async def test_the_examples_run_from_registration_to_a_prediction(gql, client):
    # given an account made and signed into with the examples
    body = await gql(*example("register"))
    assert body["data"]["register"]["__typename"] == "RegisterSuccess"
    login = (await gql(*example("login")))["data"]["login"]
    assert login["__typename"] == "AuthPayload"
    token = login["accessToken"]
    assert (await gql(*example("me"), token=token))["data"]["me"]["username"] == "ada"

    # when a model is created, a version uploaded and promoted
    created = (await gql(*example("create-model"), token=token))["data"]["createModel"]
    assert created["model"]["fullName"] == "ada/churn"
    model_id = created["model"]["id"]
    query, variables = example("upload", input={"modelId": model_id})
    headers = {"Authorization": f"Bearer {token}", "X-ModelServe-CSRF": "1"}
    file = ("model.skops", skops_bytes(logistic_regression()), "application/octet-stream")
    uploaded = (await post_multipart(client, query, variables, file, headers))["data"]
    version = uploaded["uploadModelVersion"]["version"]
    assert (version["number"], version["status"]) == (1, "READY")
    promote = example("promote", input={"modelId": model_id, "versionId": version["id"]})
    promoted = (await gql(*promote, token=token))["data"]["setAlias"]
    assert promoted["alias"] == {
        "name": "production",
        "updatedAt": promoted["alias"]["updatedAt"],
        "version": {"number": 1},
    }

    # then the prediction examples answer through the alias and the version
    predicted = (await gql(*example("predict"), token=token))["data"]["predict"]
    assert predicted["version"] == {"number": 1}
    assert len(predicted["predictions"]) == 2
    batch = (await gql(*example("predict-batch"), token=token))["data"]["predictBatch"]
    assert batch["rows"] == 3
    assert len(batch["predictions"]) == 3
    models = (await gql(*example("models"), token=token))["data"]["models"]
    assert [e["node"]["fullName"] for e in models["edges"]] == ["ada/churn"]
    assert models["edges"][0]["node"]["aliases"] == [
        {"name": "production", "version": {"number": 1}}
    ]


async def test_the_examples_for_keys_teams_and_usage_run(gql, signup):
    # given a signed-in user
    token = (await signup("ada@example.com"))["accessToken"]

    # when the key, team and usage examples run
    key = (await gql(*example("create-api-key"), token=token))["data"]["createApiKey"]
    keys = (await gql(*example("api-keys"), token=token))["data"]["apiKeys"]
    team = (await gql(*example("create-team"), token=token))["data"]["createTeam"]
    teams = (await gql(*example("teams"), token=token))["data"]
    usage = await gql(*example("usage"), token=token)

    # then each answers as its comment says
    assert key["__typename"] == "CreateApiKeySuccess"
    assert key["secret"].startswith(key["key"]["prefix"])
    assert [k["name"] for k in keys] == ["ci"]
    assert team["team"] == {
        "id": team["team"]["id"],
        "name": "growth",
        "description": "Growth analytics",
        "myRole": "ADMIN",
    }
    assert [t["name"] for t in teams["myTeams"]] == ["growth"]
    assert teams["teamInvitations"] == []
    assert "errors" not in usage, usage
