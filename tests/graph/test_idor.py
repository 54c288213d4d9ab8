"""IDOR (G21) for every object type: a stranger (another signed-up user) asking for one of Ada's
objects by id gets exactly the answer a random id gets, never the object and never a FORBIDDEN
that tells the object exists."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from tests import factories
from tests.graph.queries import SET_ALIAS, SHARE
from tests.graph.test_api_keys import CREATE_KEY
from tests.graph.test_inference import PREDICT
from tests.graph.test_jobs import matrix_csv, submit, wait_job  # noqa: F401 - fixtures
from tests.graph.test_webhooks import (  # noqa: F401 - fixtures
    ENDPOINT,
    eventually,
    hooks,
    receiver,
    register,
)
from tests.graph.test_websocket import authenticated, receive, send

ID_LIKE = re.compile(r"[0-9a-fA-F-]{32,36}|[A-Za-z0-9+/=_-]{20,}")


def _shape(body: Any) -> Any:
    """The answer with ids, request ids and quoted names blanked: what may differ between a
    random id and a real one is only the id itself."""
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k == "_status" or not k.startswith("_")}
    text = json.dumps(body, sort_keys=True)
    text = re.sub(r'"requestId": "[^"]*"', '"requestId": "_"', text)
    text = text.replace("iris", "_").replace("nothing", "_")
    return json.loads(ID_LIKE.sub("_", text))


@pytest.fixture
async def world(gql, signup, upload, submit, wait_job, hooks, receiver):  # noqa: F811
    """Ada's objects of every type, and a stranger's token."""
    ada = await signup("ada@example.com")
    token = ada["accessToken"]
    await signup("bob@example.com")
    stranger = (await signup("eve@example.com"))["accessToken"]
    model = (
        await gql(
            'mutation{createModel(input:{name:"iris"}){... on ModelSuccess{model{id}}}}',
            token=token,
        )
    )["data"]["createModel"]["model"]
    endpoint = (
        await register(gql, token, receiver.url(), ["VERSION_CREATED"], modelId=model["id"])
    )["endpoint"]
    body = await upload(token, model["id"], factories.skops_bytes(factories.logistic_regression()))
    version = body["data"]["uploadModelVersion"]["version"]
    alias = await gql(
        SET_ALIAS,
        {"model": model["id"], "alias": "production", "version": version["id"]},
        token=token,
    )
    assert alias["data"]["setAlias"]["__typename"] == "SetAliasSuccess", alias
    shared = await gql(SHARE, {"model": model["id"], "user": "bob", "level": "VIEWER"}, token=token)
    assert shared["data"]["shareModel"]["__typename"] == "ShareSuccess", shared
    team = await gql('mutation{createTeam(input:{name:"lab"}){__typename}}', token=token)
    assert "Team" in team["data"]["createTeam"]["__typename"], team
    key = (await gql(CREATE_KEY, {"name": "k", "scopes": ["PREDICT"]}, token=token))["data"][
        "createApiKey"
    ]["key"]
    made = await gql(PREDICT, {"model": "ada/iris", "rows": [[0.1, 0.2, 0.3, 0.4]]}, token=token)
    assert made["data"]["predict"], made
    job = await submit(token, "ada/iris", matrix_csv(factories.training_data()[0][:5]))
    job_id = job["data"]["createBatchJob"]["job"]["id"]
    await wait_job(token, job_id)

    async def delivered() -> str | None:
        got = await gql(ENDPOINT, {"id": endpoint["id"], "first": 5}, token=token)
        nodes = got["data"]["webhookEndpoint"]["deliveries"]["nodes"]
        return nodes[0]["id"] if nodes else None

    await eventually(hooks, delivered)
    audit = await gql(
        "query($id: ID!){model(id: $id){auditLog(first: 1){edges{node{id}}}}}",
        {"id": model["id"]},
        token=token,
    )
    return {
        "stranger": stranger,
        "owner": token,
        "model": model["id"],
        "version": version["id"],
        "key": key["id"],
        "job": job_id,
        "endpoint": endpoint["id"],
        "delivery": await delivered(),
        "audit": audit["data"]["model"]["auditLog"]["edges"][0]["node"]["id"],
    }


CASES: dict[str, tuple[str, str]] = {
    # case: (what `world` names, the query asking for it by id)
    "model": ("model", "query($id: ID!){model(id: $id){id name}}"),
    "version": ("version", "query($id: ID!){modelVersion(id: $id){id number}}"),
    "alias": (
        "model",
        'mutation($id: ID!){removeAlias(input:{modelId: $id, alias: "production"}){__typename '
        "... on NotFoundError{message}}}",
    ),
    "share": (
        "model",
        'mutation($id: ID!){unshareModel(input:{modelId: $id, username: "bob"}){__typename '
        "... on NotFoundError{message} ... on DoneSuccess{changed}}}",
    ),
    "api key": (
        "key",
        "mutation($id: ID!){revokeApiKey(id: $id){__typename ... on NotFoundError{message}}}",
    ),
    "job": ("job", "query($id: ID!){job(id: $id){id status}}"),
    "webhook endpoint": ("endpoint", "query($id: ID!){webhookEndpoint(id: $id){id url}}"),
    "webhook delivery": ("delivery", "query($id: ID!){webhookDelivery(id: $id){id status}}"),
    "webhook redelivery": (
        "delivery",
        "mutation($id: ID!){redeliverWebhook(deliveryId: $id){__typename "
        "... on NotFoundError{message}}}",
    ),
    "prediction log": (
        "model",
        "query($id: ID!){predictionLog(modelId: $id, first: 5){edges{node{requestId}}}}",
    ),
    "audit entry": ("audit", "query($id: ID!){auditEntry(id: $id){id action}}"),
    "job cancel": (
        "job",
        "mutation($id: ID!){cancelJob(id: $id){__typename ... on NotFoundError{message}}}",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_stranger_gets_what_a_random_id_gets(case, gql, world):
    kind, document = CASES[case]
    strangers = await gql(document, {"id": world[kind]}, token=world["stranger"])
    randoms = await gql(document, {"id": str(uuid.uuid4())}, token=world["stranger"])
    assert _shape(strangers) == _shape(randoms), (strangers, randoms)
    # The id is real: its owner gets another answer (asked last, as mutations change things).
    owners = await gql(document, {"id": world[kind]}, token=world["owner"])
    assert _shape(owners) != _shape(strangers), owners
    assert "FORBIDDEN" not in json.dumps(_shape(strangers)) and "Forbidden" not in json.dumps(
        _shape(strangers)
    )


async def test_a_strangers_team_is_a_random_name(gql, world):
    document = "query($n: String!){team(name: $n){name}}"
    assert (await gql(document, {"n": "lab"}, token=world["owner"]))["data"]["team"]
    strangers = await gql(document, {"n": "lab"}, token=world["stranger"])
    randoms = await gql(document, {"n": "nothing"}, token=world["stranger"])
    assert strangers["data"] == randoms["data"] == {"team": None}, (strangers, randoms)


async def test_a_strangers_alias_reference_is_a_random_model(gql, world):
    rows = [[0.1, 0.2, 0.3, 0.4]]
    strangers = await gql(
        PREDICT, {"model": "ada/iris@production", "rows": rows}, token=world["stranger"]
    )
    randoms = await gql(
        PREDICT, {"model": "ada/nothing@production", "rows": rows}, token=world["stranger"]
    )
    assert _shape(strangers) == _shape(randoms), (strangers, randoms)
    assert strangers["data"] is None or strangers["data"]["predict"] is None


async def test_job_results_are_a_404_like_a_random_job(client, world):
    def get(job: str, token: str):
        return client.get(f"/jobs/{job}/results", headers={"Authorization": f"Bearer {token}"})

    assert (await get(world["job"], world["owner"])).status_code == 200
    strangers = await get(world["job"], world["stranger"])
    randoms = await get(str(uuid.uuid4()), world["stranger"])
    assert strangers.status_code == randoms.status_code == 404
    assert _shape(strangers.json()) == _shape(randoms.json())


SUBSCRIPTIONS = {
    "modelEvents": ("model", "subscription($v: String!){modelEvents(model: $v){kind}}"),
    "predictions": ("model", "subscription($v: String!){predictions(model: $v){requestId}}"),
    "jobProgress": ("job", "subscription($v: ID!){jobProgress(id: $v){rowsDone}}"),
}


@pytest.mark.parametrize("field", sorted(SUBSCRIPTIONS))
async def test_a_strangers_subscription_closes_like_a_random_ids(field, live_server, world):
    kind, document = SUBSCRIPTIONS[field]

    async def answer(target: str) -> Any:
        ws = await authenticated(live_server, world["stranger"])
        try:
            await send(
                ws,
                {
                    "id": "s",
                    "type": "subscribe",
                    "payload": {"query": document, "variables": {"v": target}},
                },
            )
            return await receive(ws)
        finally:
            await ws.close()

    strangers = await answer(world[kind])
    randoms = await answer(str(uuid.uuid4()))
    # A stream that cannot start answers one `next` carrying the error (then `complete`).
    assert strangers["type"] == "next" and strangers["payload"]["data"] is None, strangers
    assert [e["extensions"]["code"] for e in strangers["payload"]["errors"]] == ["NOT_FOUND"]
    assert _shape(strangers) == _shape(randoms), (strangers, randoms)
    assert "FORBIDDEN" not in json.dumps(strangers)
