"""Webhooks through the GraphQL API and a real local receiver (SECURITY-CASES W1-W4, G21, A22).

Deliveries go out from the outbox by ``Webhooks.drain`` (what a worker's scheduled drain runs);
the app's own scheduled drain runs too, so tests wait for what the receiver got, not for which
drain sent it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from tortoise.transactions import in_transaction

from domain import webhooks
from domain.events import AccountEvent, AccountEventKind
from domain.webhooks import ssrf
from domain.webhooks.delivery import Dispatcher, backoff_s
from storage import tables
from tests import factories
from tests.graph.queries import SET_ALIAS
from tests.graph.test_api_keys import CREATE_KEY
from tests.graph.test_inference import PREDICT
from tests.graph.test_quotas import SET_MODEL_QUOTA
from tests.webhook_receiver import Receiver

CREATE = """
mutation Create($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename
    ... on WebhookSecretSuccess { secret endpoint { id url eventTypes enabled modelId userId } }
    ... on ValidationError { fields { path message code } }
    ... on NotFoundError { message }
    ... on ForbiddenError { message }
  }
}"""

ENDPOINT = """
query Endpoint($id: ID!, $first: Int) {
  webhookEndpoint(id: $id) {
    id url enabled disabledReason failureStreak previousSecretUntil
    deliveries(first: $first) {
      nodes {
        id eventType webhookId status attempts nextAttemptAt lastStatusCode lastError payload
        redeliveryOf
        attemptLog { number statusCode latencyMs error succeeded nextAttemptAt }
      }
    }
  }
}"""

DELIVERY = "query D($id: ID!) { webhookDelivery(id: $id) { id status } }"

REDELIVER = """
mutation Redeliver($id: ID!) {
  redeliverWebhook(deliveryId: $id) {
    __typename
    ... on WebhookDeliverySuccess { delivery { id webhookId status redeliveryOf } }
    ... on NotFoundError { message }
  }
}"""

ROTATE = """
mutation Rotate($id: ID!, $overlap: Int!) {
  rotateWebhookSecret(id: $id, overlapSeconds: $overlap) {
    __typename
    ... on WebhookSecretSuccess { secret endpoint { previousSecretUntil } }
    ... on NotFoundError { message }
  }
}"""

UPDATE = """
mutation Update($input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(input: $input) {
    __typename
    ... on WebhookEndpointSuccess { endpoint { enabled failureStreak disabledReason } }
    ... on NotFoundError { message }
    ... on ValidationError { fields { code } }
  }
}"""

DELETE = """
mutation Delete($id: ID!) {
  deleteWebhookEndpoint(id: $id) {
    __typename
    ... on NotFoundError { message }
  }
}"""


@pytest.fixture
async def receiver():
    box = Receiver()
    await box.start()
    yield box
    await box.stop()


@pytest.fixture
def hooks(app, monkeypatch):
    """The app's webhooks with loopback allowed and a compressed retry schedule."""
    settings = app.state.services.settings
    monkeypatch.setattr(settings, "webhook_allow_loopback", True)
    monkeypatch.setattr(settings, "webhook_backoff_base_s", 0.05)
    monkeypatch.setattr(settings, "webhook_backoff_max_s", 0.4)
    return app.state.services.webhooks


async def eventually(
    hooks: Any, done: Callable[[], Any], *, within_s: float = 30.0, then_drains: int = 0
) -> None:
    """Drain until ``done()`` holds (then ``then_drains`` more, to show nothing else comes)."""
    deadline = time.monotonic() + within_s
    while True:
        await hooks.drain()
        if await _holds(done):
            break
        assert time.monotonic() < deadline, "the webhook never arrived"
        await asyncio.sleep(0.05)
    for _ in range(then_drains):
        await asyncio.sleep(0.1)
        await hooks.drain()


async def _holds(done: Callable[[], Any]) -> bool:
    outcome = done()
    if asyncio.iscoroutine(outcome):
        outcome = await outcome
    return bool(outcome)


@pytest.fixture
async def ada_model(gql, owner, create_model):
    model = await create_model(owner["accessToken"])
    return {"token": owner["accessToken"], "model": model, "user": owner["user"]}


async def register(gql, token: str, url: str, events: list[str], **scope: Any) -> dict[str, Any]:
    body = await gql(CREATE, {"input": {"url": url, "eventTypes": events, **scope}}, token=token)
    return body["data"]["createWebhookEndpoint"]


async def upload_version(upload, token: str, model_id: str, seed: int = 0) -> dict[str, Any]:
    body = await upload(
        token, model_id, factories.skops_bytes(factories.logistic_regression(seed=seed))
    )
    assert body["data"]["uploadModelVersion"]["__typename"] == "UploadModelVersionSuccess", body
    return body["data"]["uploadModelVersion"]["version"]


def verify(secret: str, got: Any) -> dict[str, Any]:
    return Webhook(secret).verify(got.body, got.headers)


# -- W1 W2: signed, retried, verified --------------------------------------------------------


async def test_a_receiver_failing_three_times_gets_the_event_once_more_and_verifies_it(
    gql, upload, hooks, receiver, ada_model
):
    # Given an endpoint on Ada's model whose receiver fails three times, then succeeds
    token, model = ada_model["token"], ada_model["model"]
    created = await register(gql, token, receiver.url(), ["VERSION_CREATED"], modelId=model["id"])
    assert created["__typename"] == "WebhookSecretSuccess", created
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    receiver.answer(500, 500, 500)

    # When a version is uploaded and the outbox is drained until the receiver says 200
    version = await upload_version(upload, token, model["id"])
    await eventually(hooks, lambda: len(receiver.received) >= 4, then_drains=5)

    # Then exactly four attempts came, with one webhook-id, each verifying on its own
    assert len(receiver.received) == 4
    ids = {got.headers["webhook-id"] for got in receiver.received}
    assert len(ids) == 1 and next(iter(ids)).startswith("msg_")
    stamps = [int(got.headers["webhook-timestamp"]) for got in receiver.received]
    assert stamps == sorted(stamps) and abs(stamps[-1] - time.time()) < 300
    for got in receiver.received:
        assert got.headers["webhook-signature"].startswith("v1,")
        assert got.headers["content-type"] == "application/json"
        payload = verify(secret, got)
    assert payload["type"] == "version.created"
    assert payload["data"]["version"] == {"id": version["id"], "number": 1}
    assert payload["data"]["model"] == {"id": model["id"], "fullName": "ada/iris"}
    # And a tampered body or another secret does not verify
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(receiver.received[0].body + b" ", receiver.received[0].headers)
    with pytest.raises(WebhookVerificationError):
        verify("whsec_" + base64.b64encode(b"x" * 32).decode(), receiver.received[0])

    # And the delivery log tells the story, with growing waits, and no secret in sight
    body = await gql(ENDPOINT, {"id": created["endpoint"]["id"]}, token=token)
    assert created["secret"] not in json.dumps(body["data"])
    [delivery] = body["data"]["webhookEndpoint"]["deliveries"]["nodes"]
    assert (delivery["status"], delivery["attempts"], delivery["lastStatusCode"]) == (
        "SUCCEEDED",
        4,
        200,
    )
    assert delivery["webhookId"] == next(iter(ids))
    log = delivery["attemptLog"]
    assert [a["statusCode"] for a in log] == [500, 500, 500, 200]
    assert [a["succeeded"] for a in log] == [False, False, False, True]
    assert all(a["nextAttemptAt"] for a in log[:3]) and log[3]["nextAttemptAt"] is None
    assert body["data"]["webhookEndpoint"]["failureStreak"] == 0


def test_backoff_doubles_with_equal_jitter_up_to_the_cap():
    rng = random.Random(7)
    # Each wait lies in [d/2, d] for d = base * 2**(n-1): the ranges touch, so waits grow
    waits = [backoff_s(n, base_s=1, max_s=64, rng=rng) for n in range(1, 9)]
    for n, wait in enumerate(waits, start=1):
        delay = min(64, 2 ** (n - 1))
        assert delay / 2 <= wait <= delay
    assert waits == sorted(waits)
    # And the jitter spreads retries of many rows
    assert len({round(backoff_s(3, base_s=1, max_s=64), 6) for _ in range(20)}) > 1


async def test_it_stops_at_max_attempts(gql, upload, hooks, receiver, ada_model, monkeypatch):
    monkeypatch.setattr(hooks.settings, "webhook_max_attempts", 3)
    created = await register(
        gql,
        ada_model["token"],
        receiver.url(),
        ["VERSION_CREATED"],
        modelId=ada_model["model"]["id"],
    )
    receiver.then = 500
    await upload_version(upload, ada_model["token"], ada_model["model"]["id"])
    endpoint_id = created["endpoint"]["id"]

    async def failed() -> bool:
        return await tables.WebhookDelivery.filter(
            endpoint_id=endpoint_id, status=tables.DeliveryStatus.FAILED
        ).exists()

    await eventually(hooks, failed, then_drains=3)
    assert len(receiver.received) == 3
    body = await gql(ENDPOINT, {"id": endpoint_id}, token=ada_model["token"])
    endpoint = body["data"]["webhookEndpoint"]
    [delivery] = endpoint["deliveries"]["nodes"]
    assert (delivery["status"], delivery["attempts"], delivery["nextAttemptAt"]) == (
        "FAILED",
        3,
        None,
    )
    assert endpoint["failureStreak"] == 3 and endpoint["enabled"] is True


async def test_redirects_are_not_followed_and_retry_after_is_honoured(
    gql, upload, hooks, receiver, ada_model, monkeypatch
):
    # Retry-After is honoured up to the longest backoff
    monkeypatch.setattr(hooks.settings, "webhook_backoff_max_s", 5.0)
    created = await register(
        gql,
        ada_model["token"],
        receiver.url(),
        ["VERSION_CREATED"],
        modelId=ada_model["model"]["id"],
    )
    receiver.answer(302, headers={"location": receiver.url("/elsewhere")})
    receiver.answer(429, headers={"retry-after": "2"})
    await upload_version(upload, ada_model["token"], ada_model["model"]["id"])
    await eventually(hooks, lambda: len(receiver.received) >= 3, then_drains=3)
    # The redirect's target was never called
    assert {got.path for got in receiver.received} == {"/hook"}
    body = await gql(ENDPOINT, {"id": created["endpoint"]["id"]}, token=ada_model["token"])
    log = body["data"]["webhookEndpoint"]["deliveries"]["nodes"][0]["attemptLog"]
    # On a busy machine an attempt can also time out before the receiver reads it: that is
    # one more retry, never a redirect followed or a refusal.
    unanswered = [a for a in log if a["statusCode"] is None]
    assert all(not a["error"].startswith(("HTTP", "refused")) for a in unanswered), log
    assert [a["statusCode"] for a in log if a["statusCode"] is not None] == [302, 429, 200], log
    assert log[0]["error"] == "HTTP 302 (redirects are not followed)"
    # The wait after the 429 is its Retry-After (2 s), not the compressed backoff (< 0.4 s)
    row = await tables.WebhookAttempt.get(delivery__endpoint_id=created["endpoint"]["id"], number=2)
    assert (row.next_attempt_at - row.started_at).total_seconds() >= 2


async def test_410_disables_the_endpoint_at_once(gql, upload, hooks, receiver, ada_model):
    created = await register(
        gql,
        ada_model["token"],
        receiver.url(),
        ["VERSION_CREATED"],
        modelId=ada_model["model"]["id"],
    )
    receiver.answer(410)
    await upload_version(upload, ada_model["token"], ada_model["model"]["id"])
    await eventually(hooks, lambda: len(receiver.received) >= 1, then_drains=3)
    body = await gql(ENDPOINT, {"id": created["endpoint"]["id"]}, token=ada_model["token"])
    endpoint = body["data"]["webhookEndpoint"]
    assert (endpoint["enabled"], endpoint["disabledReason"]) == (
        False,
        "the receiver answered 410 Gone",
    )
    assert len(receiver.received) == 1


# -- rotation ------------------------------------------------------------------------------


async def test_rotation_signs_with_both_secrets_during_the_overlap(
    gql, upload, hooks, receiver, ada_model
):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    created = await register(gql, token, receiver.url(), ["VERSION_CREATED"], modelId=model_id)
    old = created["secret"]
    rotated = (await gql(ROTATE, {"id": created["endpoint"]["id"], "overlap": 3600}, token=token))[
        "data"
    ]["rotateWebhookSecret"]
    new = rotated["secret"]
    assert new.startswith("whsec_") and new != old
    assert rotated["endpoint"]["previousSecretUntil"] is not None

    await upload_version(upload, token, model_id)
    await eventually(hooks, lambda: len(receiver.received) >= 1)
    got = receiver.received[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert verify(new, got)["type"] == "version.created"
    assert verify(old, got)["type"] == "version.created"

    # Without an overlap the old secret stops signing at once
    again = (await gql(ROTATE, {"id": created["endpoint"]["id"], "overlap": 0}, token=token))[
        "data"
    ]["rotateWebhookSecret"]
    await upload_version(upload, token, model_id, seed=1)
    await eventually(hooks, lambda: len(receiver.received) >= 2)
    latest = receiver.received[1]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1
    assert verify(again["secret"], latest)["data"]["version"]["number"] == 2
    with pytest.raises(WebhookVerificationError):
        verify(new, latest)


# -- SSRF ----------------------------------------------------------------------------------

REFUSED_URLS = [
    "http://10.0.0.1/hook",
    "http://192.168.1.10/hook",
    "http://172.16.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[fd00:ec2::254]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://[64:ff9b::a00:1]/hook",
    "http://[2002:a00:1::]/hook",
    "http://[ff02::1]/hook",
    "http://167772161/hook",  # 10.0.0.1 in decimal
    "http://0251.0376.0251.0376/hook",  # 169.254.169.254 in octal
    "http://0xa9.0xfe.0xa9.0xfe/hook",  # and in hex
    "http://metadata.google.internal/computeMetadata/v1/",
    "ftp://example.com/hook",
    "http://user:pw@example.com/hook",
    "not a url",
]


async def test_private_addresses_are_refused_at_registration(gql, hooks, ada_model, receiver):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    for url in REFUSED_URLS:
        result = await register(gql, token, url, ["VERSION_CREATED"], modelId=model_id)
        assert result["__typename"] == "ValidationError", (url, result)
        assert [f["code"] for f in result["fields"]] == ["address_not_allowed"], url
    assert await tables.WebhookEndpoint.all().count() == 0


async def test_loopback_is_refused_unless_the_test_setting_allows_it(
    gql, hooks, ada_model, receiver, monkeypatch
):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    monkeypatch.setattr(hooks.settings, "webhook_allow_loopback", False)
    for url in (receiver.url(), "http://[::1]:9/x", "http://2130706433/x", "http://localhost/x"):
        result = await register(gql, token, url, ["VERSION_CREATED"], modelId=model_id)
        assert result["fields"][0]["code"] == "address_not_allowed", url
    monkeypatch.setattr(hooks.settings, "webhook_allow_loopback", True)
    result = await register(gql, token, receiver.url(), ["VERSION_CREATED"], modelId=model_id)
    assert result["__typename"] == "WebhookSecretSuccess"


def test_the_loopback_setting_is_refused_in_production(tmp_path):
    from settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="WEBHOOK_ALLOW_LOOPBACK"):
        load_settings(
            environment="production",
            data_dir=tmp_path,
            secret_key="s" * 40,
            webhook_allow_loopback=True,
        )


async def test_dns_rebinding_is_refused_at_delivery_and_the_connection_is_pinned(
    gql, upload, hooks, receiver, ada_model, monkeypatch
):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    answers = {"hooks.example.test": ["93.184.216.34"], "pinned.example.test": ["127.0.0.1"]}
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return answers[host]

    monkeypatch.setattr(ssrf, "resolve", resolve)
    # Given a name that resolves to a public address at registration
    rebinding = await register(
        gql,
        token,
        f"http://hooks.example.test:{receiver.port}/hook",
        ["VERSION_CREATED"],
        modelId=model_id,
    )
    assert rebinding["__typename"] == "WebhookSecretSuccess", rebinding
    # and one that resolves to the receiver (loopback is allowed here)
    pinned = await register(
        gql,
        token,
        f"http://pinned.example.test:{receiver.port}/hook",
        ["VERSION_CREATED"],
        modelId=model_id,
    )
    # When the first name resolves to the metadata address by delivery time
    answers["hooks.example.test"] = ["169.254.169.254"]
    await upload_version(upload, token, model_id)

    async def attempted() -> bool:
        return await tables.WebhookAttempt.filter(
            delivery__endpoint_id=rebinding["endpoint"]["id"]
        ).exists()

    await eventually(hooks, lambda: len(receiver.received) >= 1)
    await eventually(hooks, attempted)
    # Then that delivery is refused before any connection, and logged as such
    body = await gql(ENDPOINT, {"id": rebinding["endpoint"]["id"]}, token=token)
    [attempt, *_] = body["data"]["webhookEndpoint"]["deliveries"]["nodes"][0]["attemptLog"]
    assert attempt["statusCode"] is None
    assert attempt["error"] == (
        "refused: the host resolves to a link-local address (cloud metadata lives there)"
    )
    # And the other went to the address resolved, with its own name in Host
    assert len(receiver.received) == 1
    assert receiver.received[0].headers["host"] == f"pinned.example.test:{receiver.port}"
    assert verify(pinned["secret"], receiver.received[0])["type"] == "version.created"


async def test_pinned_target_keeps_host_and_tls_server_name(monkeypatch):
    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]

    monkeypatch.setattr(ssrf, "resolve", resolve)
    target = await ssrf.check("https://hooks.example.com/in?x=1", allow_loopback=False)
    assert (target.url, target.host, target.host_header, target.tls) == (
        "https://93.184.216.34:443/in?x=1",
        "hooks.example.com",
        "hooks.example.com",
        True,
    )

    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.1.2.3"]

    monkeypatch.setattr(ssrf, "resolve", mixed)
    with pytest.raises(ssrf.AddressRefused, match="private"):
        await ssrf.check("https://hooks.example.com/in", allow_loopback=False)


# -- redelivery, disabling -------------------------------------------------------------------


async def test_redelivery_on_demand_sends_the_same_event_again(
    gql, upload, hooks, receiver, ada_model
):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    created = await register(gql, token, receiver.url(), ["VERSION_CREATED"], modelId=model_id)
    await upload_version(upload, token, model_id)
    await eventually(hooks, lambda: len(receiver.received) >= 1)
    body = await gql(ENDPOINT, {"id": created["endpoint"]["id"]}, token=token)
    [first] = body["data"]["webhookEndpoint"]["deliveries"]["nodes"]

    again = (await gql(REDELIVER, {"id": first["id"]}, token=token))["data"]["redeliverWebhook"]
    assert again["__typename"] == "WebhookDeliverySuccess"
    assert again["delivery"]["redeliveryOf"] == first["id"]
    assert again["delivery"]["webhookId"] == first["webhookId"]
    await eventually(hooks, lambda: len(receiver.received) >= 2, then_drains=2)

    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body
    assert {g.headers["webhook-id"] for g in receiver.received} == {first["webhookId"]}
    assert verify(created["secret"], receiver.received[1])["type"] == "version.created"
    body = await gql(ENDPOINT, {"id": created["endpoint"]["id"]}, token=token)
    statuses = [d["status"] for d in body["data"]["webhookEndpoint"]["deliveries"]["nodes"]]
    assert statuses == ["SUCCEEDED", "SUCCEEDED"]


async def test_a_long_failure_streak_disables_the_endpoint_with_an_event_and_an_audit_entry(
    gql, upload, app, hooks, receiver, ada_model, monkeypatch
):
    monkeypatch.setattr(hooks.settings, "webhook_disable_after_failures", 3)
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    seen: list[AccountEvent] = []
    app.state.services.emitter.on(AccountEvent, seen.append, remote=False)
    created = await register(gql, token, receiver.url(), ["VERSION_CREATED"], modelId=model_id)
    endpoint_id = created["endpoint"]["id"]
    receiver.then = 500
    await upload_version(upload, token, model_id)

    async def disabled() -> bool:
        return not (await tables.WebhookEndpoint.get(id=endpoint_id)).enabled

    await eventually(hooks, disabled, then_drains=3)
    # Three attempts, then nothing: the endpoint is off and its delivery failed
    assert len(receiver.received) == 3
    body = await gql(ENDPOINT, {"id": endpoint_id}, token=token)
    endpoint = body["data"]["webhookEndpoint"]
    assert (endpoint["enabled"], endpoint["disabledReason"], endpoint["failureStreak"]) == (
        False,
        "3 failed attempts in a row",
        3,
    )
    assert [d["status"] for d in endpoint["deliveries"]["nodes"]] == ["FAILED"]
    [entry] = await tables.AuditEntry.filter(action="webhook_disabled")
    assert (entry.target_type, entry.target_id, entry.detail) == (
        "webhook",
        endpoint_id,
        {"reason": "3 failed attempts in a row"},
    )
    assert [
        (e.kind, str(e.user_id)) for e in seen if e.kind is AccountEventKind.WEBHOOK_DISABLED
    ] == [(AccountEventKind.WEBHOOK_DISABLED, ada_model["user"]["id"])]

    # No new event is queued for a disabled endpoint; enabling it again restarts the streak
    await upload_version(upload, token, model_id, seed=1)
    assert await tables.WebhookDelivery.filter(endpoint_id=endpoint_id).count() == 1
    enabled = await gql(UPDATE, {"input": {"id": endpoint_id, "enabled": True}}, token=token)
    assert enabled["data"]["updateWebhookEndpoint"]["endpoint"] == {
        "enabled": True,
        "failureStreak": 0,
        "disabledReason": None,
    }


# -- W3: a hanging receiver ------------------------------------------------------------------


async def test_a_hanging_receiver_is_aborted_and_delays_no_other(
    gql, upload, hooks, ada_model, monkeypatch
):
    monkeypatch.setattr(hooks.settings, "webhook_timeout_s", 2.0)
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    slow, quick = Receiver(), Receiver()
    await slow.start()
    await quick.start()
    try:
        slow.answer(200, delay=60)
        await register(gql, token, slow.url(), ["VERSION_CREATED"], modelId=model_id)
        await register(gql, token, quick.url(), ["VERSION_CREATED"], modelId=model_id)
        await upload_version(upload, token, model_id)
        drains = [asyncio.create_task(hooks.drain()) for _ in range(2)]
        # The quick receiver is served while the slow one still holds its attempt open
        while not (quick.received and slow.received):
            await asyncio.sleep(0.02)
        assert quick.received and not any(
            a.succeeded is False for a in await tables.WebhookAttempt.all()
        )
        await asyncio.gather(*drains)

        async def timed_out() -> bool:
            return await tables.WebhookAttempt.filter(error="timed out").exists()

        await eventually(hooks, timed_out)
        await eventually(hooks, lambda: len(slow.received) >= 2)
        assert len(quick.received) == 1
    finally:
        await slow.stop()
        await quick.stop()


# -- W4: at least once, the outbox in the change's transaction ---------------------------------


async def test_a_dispatcher_killed_after_sending_redelivers_with_the_same_id(
    gql, upload, hooks, receiver, ada_model, monkeypatch
):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    created = await register(gql, token, receiver.url(), ["VERSION_CREATED"], modelId=model_id)
    settle = Dispatcher._settle
    kills = []

    class Killed(Exception):
        pass

    async def dies_once(self, *args: Any) -> None:
        if not kills:
            kills.append(1)
            raise Killed  # the process is gone: sent, never recorded
        await settle(self, *args)

    monkeypatch.setattr(Dispatcher, "_settle", dies_once)
    await upload_version(upload, token, model_id)
    await eventually(hooks, lambda: kills and len(receiver.received) >= 1)
    # The dead process's lease runs out (set in the row: a lease short enough to wait for
    # could also run out under a slow but live send, which would then go out a third time).
    await tables.WebhookDelivery.filter(endpoint_id=created["endpoint"]["id"]).update(
        lease_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    await eventually(hooks, lambda: len(receiver.received) >= 2, then_drains=2)

    assert kills == [1] and len(receiver.received) == 2
    assert len({g.headers["webhook-id"] for g in receiver.received}) == 1
    for got in receiver.received:
        verify(created["secret"], got)
    [delivery] = await tables.WebhookDelivery.filter(endpoint_id=created["endpoint"]["id"])
    assert (delivery.status, delivery.attempts) == (tables.DeliveryStatus.SUCCEEDED, 1)


async def test_the_outbox_row_commits_and_rolls_back_with_the_change(gql, hooks, ada_model):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    await register(gql, token, "http://127.0.0.1:9/x", ["DRIFT_DETECTED"], modelId=model_id)

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with in_transaction():
            written = await webhooks.record(
                "drift.detected", model_id=uuid.UUID(model_id), data={"psi": 0.4}
            )
            assert written == 1
            raise Undo
    assert await tables.WebhookDelivery.all().count() == 0

    async with in_transaction():
        await webhooks.record(
            webhooks.EventType.DRIFT_DETECTED, model_id=uuid.UUID(model_id), data={"psi": 0.4}
        )
    [row] = await tables.WebhookDelivery.all()
    body = json.loads(row.body)
    assert (row.event_type, body["type"], body["data"]) == (
        "drift.detected",
        "drift.detected",
        {"psi": 0.4, "modelId": model_id},
    )


async def test_two_workers_never_send_one_delivery_at_once(gql, upload, app, hooks, ada_model):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    box = Receiver()
    await box.start()
    try:
        box.answer(*[200] * 12, delay=0.3)
        for _ in range(4):
            await register(gql, token, box.url(), ["VERSION_CREATED"], modelId=model_id)
        for seed in range(3):
            await upload_version(upload, token, model_id, seed=seed)
        services = app.state.services
        workers = [Dispatcher(settings=hooks.settings, emitter=services.emitter) for _ in range(3)]
        await asyncio.gather(*(w.drain() for w in workers), hooks.drain())

        async def settled() -> bool:
            return not await tables.WebhookDelivery.filter(
                status=tables.DeliveryStatus.PENDING
            ).exists()

        await eventually(hooks, settled, then_drains=2)
        # Twelve deliveries (4 endpoints x 3 versions), each sent once and recorded once
        assert await tables.WebhookAttempt.all().count() == 12
        assert len(box.received) == 12
        assert len({(g.path, g.body, g.headers["webhook-signature"]) for g in box.received}) == 12
    finally:
        await box.stop()


# -- alias, deletion, scopes -------------------------------------------------------------------


async def test_alias_changes_and_deletion_reach_model_and_user_endpoints(
    gql, upload, hooks, receiver, ada_model
):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    on_model = await register(
        gql, token, receiver.url("/model"), ["ALIAS_CHANGED", "MODEL_DELETED"], modelId=model_id
    )
    mine = await register(gql, token, receiver.url("/me"), ["MODEL_DELETED"])
    assert mine["endpoint"]["userId"] == ada_model["user"]["id"]
    version = await upload_version(upload, token, model_id)
    moved = await gql(
        SET_ALIAS, {"model": model_id, "alias": "production", "version": version["id"]}, token=token
    )
    assert moved["data"]["setAlias"]["__typename"] == "SetAliasSuccess"
    deleted = await gql(
        "mutation($id: ID!) { deleteModel(id: $id) { __typename } }", {"id": model_id}, token=token
    )
    assert "errors" not in deleted, deleted
    await eventually(hooks, lambda: len(receiver.received) >= 3, then_drains=2)

    by_path: dict[str, list[dict[str, Any]]] = {}
    for got in receiver.received:
        secret = on_model["secret"] if got.path == "/model" else mine["secret"]
        by_path.setdefault(got.path, []).append(verify(secret, got))
    assert sorted(p["type"] for p in by_path["/model"]) == ["alias.changed", "model.deleted"]
    alias = next(p for p in by_path["/model"] if p["type"] == "alias.changed")["data"]
    assert (alias["alias"], alias["fromVersionId"], alias["toVersionId"]) == (
        "production",
        None,
        version["id"],
    )
    [gone] = by_path["/me"]
    assert gone["type"] == "model.deleted"
    assert gone["data"]["model"] == {"id": model_id, "fullName": "ada/iris"}


async def test_quota_exceeded_goes_out_once_per_window(gql, upload, hooks, receiver, ada_model):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    await upload_version(upload, token, model_id)
    created = await register(gql, token, receiver.url(), ["QUOTA_EXCEEDED"], modelId=model_id)
    await gql(SET_MODEL_QUOTA, {"model": model_id, "perMinute": 1}, token=token)
    row = [[0.1, 0.2, 0.3, 0.4]]
    answers = [
        await gql(PREDICT, {"model": "ada/iris", "rows": row}, token=token) for _ in range(4)
    ]
    assert [a["_status"] for a in answers] == [200, 429, 429, 429]
    await eventually(hooks, lambda: len(receiver.received) >= 1, then_drains=2)
    deliveries = await tables.WebhookDelivery.filter(endpoint_id=created["endpoint"]["id"])
    # One per window: three refusals in one minute give one event (two, should they straddle
    # a minute boundary, one for each minute)
    windows = [json.loads(d.body)["data"]["windowStart"] for d in deliveries]
    assert len(windows) == len(set(windows)) == len(receiver.received) <= 2
    data = verify(created["secret"], receiver.received[0])["data"]
    assert (data["subject"], data["limitedBy"], data["limit"], data["windowSeconds"]) == (
        {"type": "model", "id": model_id},
        "model_per_minute",
        1,
        60,
    )


# -- G21 IDOR, A22 scopes --------------------------------------------------------------------


async def test_strangers_and_viewers_get_not_found_for_endpoints_and_deliveries(
    gql, upload, signup, hooks, receiver, ada_model
):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    created = await register(gql, token, receiver.url(), ["VERSION_CREATED"], modelId=model_id)
    endpoint_id = created["endpoint"]["id"]
    await upload_version(upload, token, model_id)
    await eventually(hooks, lambda: len(receiver.received) >= 1)
    [delivery] = await tables.WebhookDelivery.all()
    bob = (await signup("bob@example.com"))["accessToken"]
    viewer = await signup("vic@example.com")
    shared = await gql(
        'mutation($m: ID!) { shareModel(input: {modelId: $m, username: "vic", level: VIEWER})'
        " { __typename } }",
        {"m": model_id},
        token=token,
    )
    assert shared["data"]["shareModel"]["__typename"] == "ShareSuccess"
    random_id = str(uuid.uuid4())
    for who in (bob, viewer["accessToken"]):
        for ident in (endpoint_id, random_id):
            assert (await gql(ENDPOINT, {"id": ident}, token=who))["data"] == {
                "webhookEndpoint": None
            }
            assert (await gql(DELETE, {"id": ident}, token=who))["data"][
                "deleteWebhookEndpoint"
            ] == {"__typename": "NotFoundError", "message": "Webhook endpoint not found."}
            assert (await gql(ROTATE, {"id": ident, "overlap": 0}, token=who))["data"][
                "rotateWebhookSecret"
            ] == {"__typename": "NotFoundError", "message": "Webhook endpoint not found."}
            updated = await gql(UPDATE, {"input": {"id": ident, "enabled": False}}, token=who)
            assert updated["data"]["updateWebhookEndpoint"]["__typename"] == "NotFoundError"
        for ident in (str(delivery.id), random_id):
            assert (await gql(DELIVERY, {"id": ident}, token=who))["data"] == {
                "webhookDelivery": None
            }
            assert (await gql(REDELIVER, {"id": ident}, token=who))["data"]["redeliverWebhook"] == {
                "__typename": "NotFoundError",
                "message": "Webhook delivery not found.",
            }
    # A stranger cannot register on the model; a viewer sees it but may not
    stranger = await register(gql, bob, receiver.url(), ["VERSION_CREATED"], modelId=model_id)
    assert stranger == {"__typename": "NotFoundError", "message": "Model not found."}
    seen = await register(
        gql, viewer["accessToken"], receiver.url(), ["VERSION_CREATED"], modelId=model_id
    )
    assert seen["__typename"] == "ForbiddenError"
    listed = await gql(
        "query($m: ID) { webhookEndpoints(modelId: $m) { id } }", {"m": model_id}, token=bob
    )
    assert listed["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # Bob's own list is his own; nothing of Ada's changed
    own = await gql("{ webhookEndpoints { id } }", token=bob)
    assert own["data"] == {"webhookEndpoints": []}
    row = await tables.WebhookEndpoint.get(id=endpoint_id)
    assert row.enabled and await tables.WebhookDelivery.all().count() == 1


async def test_a_predict_only_key_may_not_manage_webhooks(gql, hooks, receiver, ada_model):
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    key = (await gql(CREATE_KEY, {"name": "p", "scopes": ["PREDICT"]}, token=token))["data"][
        "createApiKey"
    ]["secret"]
    body = await gql(
        CREATE,
        {"input": {"url": receiver.url(), "eventTypes": ["VERSION_CREATED"], "modelId": model_id}},
        headers={"X-API-Key": key},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await tables.WebhookEndpoint.all().count() == 0


async def test_team_endpoints_are_for_team_admins_and_hear_the_teams_models(
    gql, signup, upload, hooks, receiver
):
    from tests.graph.test_teams import ACCEPT, CREATE_TEAM, CREATE_TEAM_MODEL, INVITE

    ada = (await signup("ada@example.com"))["accessToken"]
    bob = (await signup("bob@example.com"))["accessToken"]
    eve = (await signup("eve@example.com"))["accessToken"]
    assert (await gql(CREATE_TEAM, {"name": "acme"}, token=ada))["data"]["createTeam"][
        "__typename"
    ] == "TeamSuccess"
    await gql(INVITE, {"team": "acme", "user": "bob", "role": "MAINTAINER"}, token=ada)
    await gql(ACCEPT, {"team": "acme"}, token=bob)
    made = await gql(CREATE_TEAM_MODEL, {"name": "churn", "team": "acme"}, token=ada)
    model_id = made["data"]["createModel"]["model"]["id"]

    # A maintainer may not register for the team, a stranger cannot tell it exists
    url = receiver.url()
    assert (await register(gql, bob, url, ["VERSION_CREATED"], team="acme"))[
        "__typename"
    ] == "ForbiddenError"
    assert await register(gql, eve, url, ["VERSION_CREATED"], team="acme") == {
        "__typename": "NotFoundError",
        "message": "Team not found.",
    }
    # The admin may; the team endpoint hears a version a maintainer uploads to a team model
    created = await register(gql, ada, url, ["VERSION_CREATED"], team="acme")
    assert created["__typename"] == "WebhookSecretSuccess"
    listed = await gql('query { webhookEndpoints(team: "acme") { id } }', token=ada)
    assert listed["data"]["webhookEndpoints"] == [{"id": created["endpoint"]["id"]}]
    hidden = await gql(ENDPOINT, {"id": created["endpoint"]["id"]}, token=bob)
    assert hidden["data"] == {"webhookEndpoint": None}
    await upload_version(upload, bob, model_id)
    await eventually(hooks, lambda: len(receiver.received) >= 1, then_drains=1)
    assert len(receiver.received) == 1
    payload = verify(created["secret"], receiver.received[0])
    assert payload["data"]["model"] == {"id": model_id, "fullName": "acme/churn"}


async def test_a_callers_spent_budget_is_announced_once_to_their_own_endpoint(
    gql, upload, app, hooks, receiver, ada_model, monkeypatch
):
    import dataclasses

    quotas = app.state.services.quotas
    monkeypatch.setattr(
        quotas, "policy", dataclasses.replace(quotas.policy, prediction_units_per_minute=1)
    )
    token, model_id = ada_model["token"], ada_model["model"]["id"]
    await upload_version(upload, token, model_id)
    mine = await register(gql, token, receiver.url(), ["QUOTA_EXCEEDED"])
    row = [[0.1, 0.2, 0.3, 0.4]]
    answers = [
        await gql(PREDICT, {"model": "ada/iris", "rows": row}, token=token) for _ in range(3)
    ]
    assert [a["_status"] for a in answers] == [200, 429, 429]
    await eventually(hooks, lambda: len(receiver.received) >= 1, then_drains=2)
    rows = await tables.WebhookDelivery.filter(endpoint_id=mine["endpoint"]["id"])
    windows = [json.loads(d.body)["data"]["windowStart"] for d in rows]
    assert len(windows) == len(set(windows)) == len(receiver.received) <= 2
    data = verify(mine["secret"], receiver.received[0])["data"]
    assert (data["subject"], data["limitedBy"], data["limit"]) == (
        {"type": "user", "id": ada_model["user"]["id"]},
        "predictions",
        1,
    )
