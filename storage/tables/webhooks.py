"""Webhook tables: endpoints, the outbox of deliveries (one row per event and endpoint), and
each delivery's attempts.

Scope ids are plain columns, not foreign keys: a ``model.deleted`` delivery outlives the model
row it names, and an endpoint belongs to exactly one of a model, a team or a user.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model as Table


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (the first, or a retry)
    SUCCEEDED = "succeeded"  # the receiver answered 2xx
    FAILED = "failed"  # out of attempts, refused, or the endpoint was disabled


class WebhookEndpoint(Table):
    id = fields.UUIDField(primary_key=True)
    # Exactly one of these three is set: whose events the endpoint receives.
    model_id = fields.UUIDField(null=True, db_index=True)
    team_id = fields.UUIDField(null=True, db_index=True)
    user_id = fields.UUIDField(null=True, db_index=True)
    created_by_id = fields.UUIDField()
    url = fields.CharField(max_length=2048)
    description = fields.CharField(max_length=500, default="")
    event_types = fields.JSONField(default=list)
    # ``whsec_`` secrets: kept so deliveries can be signed; shown once, never logged.
    secret = fields.CharField(max_length=128)
    previous_secret = fields.CharField(max_length=128, null=True)
    previous_secret_until = fields.DatetimeField(null=True)
    enabled = fields.BooleanField(default=True)
    disabled_reason = fields.CharField(max_length=300, null=True)
    disabled_at = fields.DatetimeField(null=True)
    # Failed attempts in a row, across deliveries; a success resets it.
    failure_streak = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhook_endpoints"


class WebhookDelivery(Table):
    """An outbox row: written in the transaction of the change, delivered by a worker."""

    id = fields.UUIDField(primary_key=True)
    endpoint = fields.ForeignKeyField(
        "models.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_type = fields.CharField(max_length=32)
    # The ``webhook-id``: the same on every attempt and redelivery of one event.
    message_id = fields.CharField(max_length=64)
    body = fields.TextField()
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    # A worker's claim: no other worker takes the row before ``lease_until``.
    lease_until = fields.DatetimeField(null=True)
    lease_token = fields.UUIDField(null=True)
    last_status_code = fields.IntField(null=True)
    last_latency_ms = fields.FloatField(null=True)
    last_error = fields.CharField(max_length=300, null=True)
    # Events that must go out once per window (quota.exceeded) carry a key unique per endpoint.
    dedupe_key = fields.CharField(max_length=200, null=True)
    redelivery_of = fields.UUIDField(null=True)
    created_at = fields.DatetimeField(db_index=True)
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_deliveries"
        unique_together = (("endpoint", "dedupe_key"),)
        indexes = (("status", "next_attempt_at"),)


class WebhookAttempt(Table):
    """One try at sending a delivery: the delivery log's lines."""

    id = fields.UUIDField(primary_key=True)
    delivery = fields.ForeignKeyField(
        "models.WebhookDelivery", related_name="attempt_log", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    started_at = fields.DatetimeField()
    status_code = fields.IntField(null=True)
    latency_ms = fields.FloatField()
    error = fields.CharField(max_length=300, null=True)
    succeeded = fields.BooleanField()
    next_attempt_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_attempts"
        unique_together = (("delivery", "number"),)
