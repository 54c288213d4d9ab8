"""Traffic policies on aliases: which versions share an alias's calls, and which shadow them."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model as Table


class RouteRole(StrEnum):
    SPLIT = "split"  # answers a weighted share of the alias's callers
    SHADOW = "shadow"  # receives a copy of every call, off the request path; never answers


class TrafficRoute(Table):
    """One version's part in an alias's traffic policy; an alias without rows has none."""

    id = fields.UUIDField(primary_key=True)
    model = fields.ForeignKeyField(
        "models.Model", related_name="traffic_routes", on_delete=fields.CASCADE, db_index=True
    )
    alias = fields.CharField(max_length=64)
    version = fields.ForeignKeyField(
        "models.ModelVersion", related_name=False, on_delete=fields.CASCADE, db_index=True
    )
    role = fields.CharEnumField(RouteRole, max_length=8)
    # Percent of the alias's callers (1-100; the split sums to 100); 0 for a shadow.
    weight = fields.IntField(default=0)
    # Where the version stands in the split: callers' hash buckets are laid out in this order.
    position = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    created_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "traffic_routes"
        unique_together = (("model", "alias", "version"),)
