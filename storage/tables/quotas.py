"""Quota tables: a model's prediction quota (set by its maintainers), a user's limits."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model as Table


class ModelQuota(Table):
    """Prediction units every caller of one model may spend together; a null bound is unbounded."""

    id = fields.UUIDField(primary_key=True)
    model = fields.OneToOneField("models.Model", related_name="quota", on_delete=fields.CASCADE)
    per_minute = fields.IntField(null=True)
    per_day = fields.IntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "model_quotas"


class UserLimits(Table):
    """An administrator's override of one user's rate limits; a null limit is the default."""

    id = fields.UUIDField(primary_key=True)
    user = fields.OneToOneField("models.User", related_name="limits", on_delete=fields.CASCADE)
    prediction_units_per_minute = fields.IntField(null=True)
    uploads_per_hour = fields.IntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "user_limits"
