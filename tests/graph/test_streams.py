"""Live predictions and model events over a real websocket, across replicas with Redis."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from typing import Any

import httpx
import pytest

from domain.events import SESSIONS_CHANNEL
from graph.app import create_app
from tests import factories
from tests.conftest import TEST_REDIS_URL, make_settings
from tests.graph.queries import CREATE_MODEL, SET_ALIAS, SHARE, UNSHARE
from tests.graph.test_websocket import authenticated, closed_with, receive, send

PREDICT = """query($rows: FeatureMatrix!) {
  predict(model: "ada/iris", rows: $rows) { requestId predictions { value } } }"""
PREDICTIONS = """subscription($model: String!) { predictions(model: $model) {
  requestId status rows versionNumber inputs inputsHash outputs errorCode } }"""
MODEL_EVENTS = """subscription($model: String!) { modelEvents(model: $model) {
  kind versionNumber alias fromVersionId toVersionId } }"""


@pytest.fixture
async def iris(gql, signup, upload) -> dict[str, Any]:
    ada = await signup("ada@example.com")
    token = ada["accessToken"]
    model = (await gql(CREATE_MODEL, {"name": "iris"}, token=token))["data"]["createModel"]["model"]
    body = await upload(token, model["id"], factories.skops_bytes(factories.logistic_regression()))
    return {
        "token": token,
        "model": model,
        "version": body["data"]["uploadModelVersion"]["version"],
    }


async def subscribe(live_server: str, token: str, query: str, model: str):
    ws = await authenticated(live_server, token)
    await send(
        ws,
        {
            "id": "s",
            "type": "subscribe",
            "payload": {"query": query, "variables": {"model": model}},
        },
    )
    await asyncio.sleep(0.2)  # let the subscription reach the event backend
    return ws


async def test_predictions_stream_shows_other_clients_predictions(live_server, gql, iris):
    ws = await subscribe(live_server, iris["token"], PREDICTIONS, "ada/iris")
    try:
        made = await gql(PREDICT, {"rows": [[0.1, 0.2, 0.3, 0.4]]}, token=iris["token"])
        message = await receive(ws)
        assert message["type"] == "next", message
        event = message["payload"]["data"]["predictions"]
        assert event == {
            "requestId": made["data"]["predict"]["requestId"],
            "status": "ok",
            "rows": 1,
            "versionNumber": 1,
            "inputs": [[0.1, 0.2, 0.3, 0.4]],
            "inputsHash": None,
            "outputs": [made["data"]["predict"]["predictions"][0]["value"]],
            "errorCode": None,
        }
        await gql(PREDICT, {"rows": [[1.0]]}, token=iris["token"])
        failed = (await receive(ws))["payload"]["data"]["predictions"]
        assert (failed["status"], failed["errorCode"]) == ("error", "BAD_USER_INPUT")
    finally:
        await ws.close()


async def test_an_open_stream_keeps_no_memory_per_event_delivered(live_server, gql, iris):
    """The executor's per-execution memo lasts one event, not the subscription's life."""

    async def deliver(n: int) -> None:
        for _ in range(n):
            await gql(PREDICT, {"rows": [[0.1, 0.2, 0.3, 0.4]]}, token=iris["token"])
            assert (await receive(ws, timeout=30))["type"] == "next"

    def executor_bytes() -> int:
        # Whatever graphql-core's executor allocated and still holds (tracing started below).
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(True, "*/graphql/execution/*")]
        )
        return sum(stat.size for stat in snapshot.statistics("filename"))

    ws = await subscribe(live_server, iris["token"], PREDICTIONS, "ada/iris")
    tracemalloc.start(1)
    try:
        # Given an open stream that has delivered some events (caches warm)
        await deliver(20)
        gc.collect()
        before = executor_bytes()
        # When it delivers a hundred more
        await deliver(100)
        gc.collect()
        # Then the executor holds what it held (it held ~2.4 KB more per event before)
        assert executor_bytes() - before < 24 * 1024
    finally:
        tracemalloc.stop()
        await ws.close()


async def test_hash_policy_streams_no_inputs(live_server, gql, iris):
    await gql(
        "mutation($id: ID!) { updateModel(input: {id: $id, logPolicy: HASH}) { __typename } }",
        {"id": iris["model"]["id"]},
        token=iris["token"],
    )
    await asyncio.sleep(0.05)
    ws = await subscribe(live_server, iris["token"], PREDICTIONS, iris["model"]["id"])
    try:
        await gql(PREDICT, {"rows": [[0.1, 0.2, 0.3, 0.4]]}, token=iris["token"])
        event = (await receive(ws))["payload"]["data"]["predictions"]
        assert event["inputs"] is None
        assert len(event["inputsHash"]) == 64
    finally:
        await ws.close()


async def test_model_events_stream(live_server, gql, upload, iris):
    ws = await subscribe(live_server, iris["token"], MODEL_EVENTS, "ada/iris")
    try:
        body = await upload(
            iris["token"],
            iris["model"]["id"],
            factories.skops_bytes(factories.logistic_regression(seed=5)),
        )
        v2 = body["data"]["uploadModelVersion"]["version"]
        created = (await receive(ws, timeout=30))["payload"]["data"]["modelEvents"]
        assert (created["kind"], created["versionNumber"]) == ("VERSION_CREATED", 2)
        await gql(
            SET_ALIAS,
            {"model": iris["model"]["id"], "alias": "production", "version": v2["id"]},
            token=iris["token"],
        )
        moved = (await receive(ws))["payload"]["data"]["modelEvents"]
        assert moved == {
            "kind": "ALIAS_MOVED",
            "versionNumber": None,
            "alias": "production",
            "fromVersionId": None,
            "toVersionId": v2["id"],
        }
    finally:
        await ws.close()


async def test_strangers_and_viewers_cannot_watch_predictions(live_server, gql, signup, iris):
    bob = (await signup("bob@example.com"))["accessToken"]
    ws = await subscribe(live_server, bob, PREDICTIONS, "ada/iris")
    try:
        message = await receive(ws)
        assert message["type"] == "next"
        assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    finally:
        await ws.close()

    await gql(
        SHARE, {"model": iris["model"]["id"], "user": "bob", "level": "VIEWER"}, token=iris["token"]
    )
    ws = await subscribe(live_server, bob, PREDICTIONS, "ada/iris")
    try:
        message = await receive(ws)
        assert message["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    finally:
        await ws.close()


async def test_unsharing_ends_the_stream(live_server, gql, signup, iris):
    bob = (await signup("bob@example.com"))["accessToken"]
    await gql(
        SHARE,
        {"model": iris["model"]["id"], "user": "bob", "level": "MAINTAINER"},
        token=iris["token"],
    )
    ws = await subscribe(live_server, bob, PREDICTIONS, "ada/iris")
    await gql(
        'mutation($m: ID!) { unshareModel(input: {modelId: $m, username: "bob"}) { __typename } }',
        {"m": iris["model"]["id"]},
        token=iris["token"],
    )
    await asyncio.sleep(1.1)  # access is re-checked at most once a second, on events
    await gql(PREDICT, {"rows": [[0.0] * 4]}, token=iris["token"])
    assert await closed_with(ws) == 4403


async def test_unsharing_ends_a_model_events_stream_at_once(live_server, gql, signup, iris):
    # Given bob, a viewer, watching the model (an alias move shows the stream is live)
    bob = (await signup("bob@example.com"))["accessToken"]
    model_id = iris["model"]["id"]
    await gql(SHARE, {"model": model_id, "user": "bob", "level": "VIEWER"}, token=iris["token"])
    ws = await subscribe(live_server, bob, MODEL_EVENTS, "ada/iris")
    try:
        moved = {"model": model_id, "alias": "production", "version": iris["version"]["id"]}
        await gql(SET_ALIAS, moved, token=iris["token"])
        assert (await receive(ws))["payload"]["data"]["modelEvents"]["kind"] == "ALIAS_MOVED"

        # When ada takes his share away
        await gql(UNSHARE, {"model": model_id, "user": "bob"}, token=iris["token"])

        # Then the stream closes on that event, with nothing said of the share
        assert await closed_with(ws) == 4403
    finally:
        await ws.close()


# Replicas share events through Redis; the embedded default has one process, so this test
# exists only in the PostgreSQL + Redis run (defined, not skipped, so CI can forbid skips).
if TEST_REDIS_URL:

    async def test_a_prediction_on_replica_b_reaches_a_subscriber_on_replica_a(
        live_server, settings, iris
    ):
        ws = await subscribe(live_server, iris["token"], PREDICTIONS, "ada/iris")
        replica_b = create_app(
            make_settings(
                settings.data_dir,
                settings.database_url,
                artifact_store_url=settings.artifact_store_url,
            )
        )
        replica_b.state.services.start()
        try:
            transport = httpx.ASGITransport(app=replica_b, client=("127.0.0.2", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://replica-b") as http:
                response = await http.post(
                    "/graphql",
                    json={"query": PREDICT, "variables": {"rows": [[0.5, 0.5, 0.5, 0.5]]}},
                    headers={"Authorization": f"Bearer {iris['token']}"},
                )
            request_id = response.json()["data"]["predict"]["requestId"]
            event = (await receive(ws))["payload"]["data"]["predictions"]
            assert event["requestId"] == request_id
        finally:
            await ws.close()
            await replica_b.state.services.close()


if TEST_REDIS_URL:

    async def test_logout_on_one_replica_ends_the_token_on_another(settings, gql, signup):
        """Replica B caches the caller; A's logout reaches it through Redis at once."""
        ada = await signup("ada@example.com")
        replica_b = create_app(
            make_settings(
                settings.data_dir,
                settings.database_url,
                artifact_store_url=settings.artifact_store_url,
            )
        )
        replica_b.state.services.start()
        me = {"query": "{ me { email } }"}
        headers = {"Authorization": f"Bearer {ada['accessToken']}"}
        try:
            transport = httpx.ASGITransport(app=replica_b, client=("127.0.0.2", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as http:
                assert (await http.post("/graphql", json=me, headers=headers)).status_code == 200
                await asyncio.sleep(0.1)  # B's revocation listener is subscribed
                await gql("mutation { logout { ok } }", token=ada["accessToken"])
                await asyncio.sleep(0.1)
                after = await http.post("/graphql", json=me, headers=headers)
            assert after.status_code == 401
        finally:
            await replica_b.state.services.close()


async def test_a_logout_while_the_stream_subscribes_still_ends_it(live_server, app, gql, iris):
    # Given a predictions stream whose revocation watcher is slow to subscribe
    pubsub = app.state.services.pubsub
    original, asked, gate = pubsub.subscribe, asyncio.Event(), asyncio.Event()

    async def late(channel: str, **kwargs: Any):
        if channel == SESSIONS_CHANNEL:
            asked.set()
            await gate.wait()
        async for message in original(channel, **kwargs):
            yield message

    pubsub.subscribe = late
    try:
        ws = await subscribe(live_server, iris["token"], PREDICTIONS, "ada/iris")
        try:
            # When the session logs out before the watcher listens (its event reaches no one)
            await asyncio.wait_for(asked.wait(), 10)
            await gql("mutation { logout { ok } }", token=iris["token"])
            gate.set()

            # Then the stream is closed all the same, once the watcher is in place
            assert await closed_with(ws, timeout=10) == 4403
        finally:
            await ws.close()
    finally:
        del pubsub.subscribe


async def test_logout_ends_a_quiet_predictions_stream_at_once(live_server, gql, iris):
    # Given a predictions stream that has had nothing to say
    ws = await subscribe(live_server, iris["token"], PREDICTIONS, "ada/iris")
    try:
        # When its session logs out (and nothing is predicted meanwhile)
        await gql("mutation { logout { ok } }", token=iris["token"])

        # Then the stream is closed as a revoked session's, without waiting for an event
        assert await closed_with(ws, timeout=10) == 4403
    finally:
        await ws.close()
