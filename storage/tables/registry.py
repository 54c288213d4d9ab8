"""Registry tables: models, their versions, aliases (with history), shares, idempotency keys."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model as Table


class VersionStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    ARCHIVED = "archived"


class LogPolicy(StrEnum):
    """How much of each prediction's input and output the log keeps."""

    FULL = "full"
    HASH = "hash"
    NONE = "none"


class ShareLevel(StrEnum):
    VIEWER = "viewer"
    PREDICTOR = "predictor"
    MAINTAINER = "maintainer"


class Model(Table):
    id = fields.UUIDField(primary_key=True)
    # The user who created it; for a personal model also its owner.
    owner = fields.ForeignKeyField("models.User", related_name="models", on_delete=fields.CASCADE)
    # The owning team, for a team's model; its members' roles decide access.
    team = fields.ForeignKeyField(
        "models.Team", related_name="models", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    # The owner's username or the team's name: references are `namespace/name`.
    namespace = fields.CharField(max_length=39, default="")
    name = fields.CharField(max_length=64)
    description = fields.TextField(default="")
    tags = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)
    # Set once a deleted model's artifacts have been removed by the cleanup task.
    purged_at = fields.DatetimeField(null=True)
    log_policy = fields.CharEnumField(LogPolicy, max_length=8, default=LogPolicy.FULL)
    # Seconds to cache identical predictions of deterministic versions; null turns it off.
    prediction_cache_ttl_s = fields.IntField(null=True)

    class Meta:
        table = "models"
        unique_together = (("namespace", "name"),)


class ModelVersion(Table):
    id = fields.UUIDField(primary_key=True)
    model = fields.ForeignKeyField(
        "models.Model", related_name="versions", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    status = fields.CharEnumField(VersionStatus, max_length=16, default=VersionStatus.PENDING)
    artifact_key = fields.CharField(max_length=128)
    sha256 = fields.CharField(max_length=64)
    size = fields.BigIntField()
    source_format = fields.CharField(max_length=16)
    serving_key = fields.CharField(max_length=128)
    serving_format = fields.CharField(max_length=16)
    serving_size = fields.BigIntField()
    framework = fields.CharField(max_length=32)
    framework_version = fields.CharField(max_length=32, null=True)
    python_version = fields.CharField(max_length=32, null=True)
    estimator_class = fields.CharField(max_length=256)
    saved_with = fields.JSONField(default=dict)
    signature = fields.JSONField(default=dict)
    input_example = fields.JSONField(null=True)
    warnings = fields.JSONField(default=list)
    description = fields.TextField(default="")
    metrics = fields.JSONField(default=dict)
    tags = fields.JSONField(default=list)
    original_filename = fields.CharField(max_length=255, default="")
    # The compiled fast path: an ONNX conversion that agreed with the original on the examples.
    compiled_key = fields.CharField(max_length=128, null=True)
    compiled_max_abs_diff = fields.FloatField(null=True)
    use_compiled = fields.BooleanField(default=True)
    # Per-version micro-batching overrides; null means the server's settings.
    batch_max_rows = fields.IntField(null=True)
    batch_max_wait_ms = fields.FloatField(null=True)
    created_by = fields.ForeignKeyField(
        "models.User",
        related_name="created_versions",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "model_versions"
        unique_together = (("model", "number"), ("model", "sha256"))


class Alias(Table):
    id = fields.UUIDField(primary_key=True)
    model = fields.ForeignKeyField("models.Model", related_name="aliases", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=64)
    version = fields.ForeignKeyField(
        "models.ModelVersion", related_name="aliases", on_delete=fields.CASCADE, db_index=True
    )
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "aliases"
        unique_together = (("model", "name"),)


class AliasEvent(Table):
    """One move of an alias: who pointed it from which version to which, when and why."""

    id = fields.UUIDField(primary_key=True)
    model = fields.ForeignKeyField(
        "models.Model", related_name="alias_events", on_delete=fields.CASCADE, db_index=True
    )
    alias = fields.CharField(max_length=64)
    from_version = fields.ForeignKeyField(
        "models.ModelVersion", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    to_version = fields.ForeignKeyField(
        "models.ModelVersion", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    actor = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    reason = fields.CharField(max_length=500, default="")
    # The traffic policy this change left ({"split": [...], "shadows": [...]}, both empty when
    # it was cleared); null when the change did not touch the policy.
    traffic = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "alias_events"


class Share(Table):
    id = fields.UUIDField(primary_key=True)
    model = fields.ForeignKeyField("models.Model", related_name="shares", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField(
        "models.User", related_name="shares", on_delete=fields.CASCADE, db_index=True
    )
    level = fields.CharEnumField(ShareLevel, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shares"
        unique_together = (("model", "user"),)


class IdempotencyKey(Table):
    """A client-chosen key for a retried request, scoped to the caller and an operation."""

    id = fields.UUIDField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name=False, on_delete=fields.CASCADE)
    scope = fields.CharField(max_length=32)
    key = fields.CharField(max_length=128)
    fingerprint = fields.CharField(max_length=64)
    result_id = fields.UUIDField()
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "idempotency_keys"
        unique_together = (("user", "scope", "key"),)
