"""Drift tables: a version's reference profile, and a model's drift thresholds."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model as Table


class ProfileSource(StrEnum):
    UPLOAD = "upload"  # a reference dataset (CSV) uploaded for the version
    LOG = "log"  # the version's first N logged input rows


class DriftProfile(Table):
    """What a version's inputs and predictions looked like when they were right."""

    id = fields.UUIDField(primary_key=True)
    model = fields.ForeignKeyField(
        "models.Model", related_name="drift_profiles", on_delete=fields.CASCADE, db_index=True
    )
    version = fields.OneToOneField(
        "models.ModelVersion", related_name="drift_profile", on_delete=fields.CASCADE
    )
    source = fields.CharEnumField(ProfileSource, max_length=8)
    rows = fields.IntField()
    # Per feature, in signature order: see domain/drift/stats.py for the shapes.
    features = fields.JSONField()
    prediction = fields.JSONField(null=True)
    created_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    # The scheduled check's episode: set when drift was first seen, cleared once it is gone.
    drifted_since = fields.DatetimeField(null=True)
    checked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "drift_profiles"


class DriftThresholds(Table):
    """When a model's inputs count as drifted; a model without a row uses the defaults."""

    id = fields.UUIDField(primary_key=True)
    model = fields.OneToOneField(
        "models.Model", related_name="drift_thresholds", on_delete=fields.CASCADE
    )
    psi = fields.FloatField()
    ks_p_value = fields.FloatField()
    chi_square_p_value = fields.FloatField()
    min_rows = fields.IntField()
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "drift_thresholds"
