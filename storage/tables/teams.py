"""Team tables: a team owns models; its members hold a role in it."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class TeamRole(StrEnum):
    """A member's role; each includes the ones before it."""

    VIEWER = "viewer"  # sees the team's models, their versions and analytics
    PREDICTOR = "predictor"  # and predicts with them
    MAINTAINER = "maintainer"  # and publishes: uploads, aliases, shares, archives
    ADMIN = "admin"  # and manages the team: members, roles, deleting models


class Team(Model):
    id = fields.UUIDField(primary_key=True)
    # Shares one namespace with usernames: `name/model` names one model, whoever owns it.
    name = fields.CharField(max_length=39, unique=True)
    description = fields.TextField(default="")
    created_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "teams"


class TeamMember(Model):
    """A membership, or an invitation to one while ``joined_at`` is null."""

    id = fields.UUIDField(primary_key=True)
    team = fields.ForeignKeyField("models.Team", related_name="members", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE, db_index=True
    )
    role = fields.CharEnumField(TeamRole, max_length=16)
    invited_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    invited_at = fields.DatetimeField(auto_now_add=True)
    joined_at = fields.DatetimeField(null=True)

    class Meta:
        table = "team_members"
        unique_together = (("team", "user"),)
