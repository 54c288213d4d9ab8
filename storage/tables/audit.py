"""The audit log: one append-only row per security-relevant change.

No foreign keys on purpose: a row outlives the user, model or key it names, so ids are plain
columns and the labels (username, model name) are copied as they were at the time.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    id = fields.UUIDField(primary_key=True)
    created_at = fields.DatetimeField(db_index=True)
    action = fields.CharField(max_length=48, db_index=True)
    # Who: null for an anonymous attempt (a failed login) or the system (refresh-token reuse).
    actor_id = fields.UUIDField(null=True, db_index=True)
    actor_label = fields.CharField(max_length=64, null=True)
    # How the actor authenticated: ``session`` or ``api_key``, and that session's or key's id.
    actor_method = fields.CharField(max_length=16, null=True)
    actor_credential_id = fields.UUIDField(null=True)
    # What: a type from the catalogue, an id (a uuid, an alias name, ...) and a readable label.
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=64, null=True, db_index=True)
    target_label = fields.CharField(max_length=128, null=True)
    # Set when the target is a model or belongs to one, so its owner can read the row.
    model_id = fields.UUIDField(null=True, db_index=True)
    model_owner_id = fields.UUIDField(null=True, db_index=True)
    address = fields.CharField(max_length=64, null=True)
    request_id = fields.CharField(max_length=64, null=True)
    detail = fields.JSONField(default=dict)

    class Meta:
        table = "audit_entries"
