"""Account tables: users, login sessions (refresh-token families) and their refresh tokens."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


class User(Model):
    id = fields.UUIDField(primary_key=True)
    email = fields.CharField(max_length=320, unique=True)
    username = fields.CharField(max_length=39, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.USER)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    password_changed_at = fields.DatetimeField(null=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "users"


class Session(Model):
    """One login: the family that every rotated refresh token of that login belongs to."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=32, null=True)
    user_agent = fields.CharField(max_length=256, null=True)
    ip = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "sessions"


class RefreshToken(Model):
    """One refresh token (by its ``jti``); used once, then replaced by its successor."""

    id = fields.UUIDField(primary_key=True)
    session: fields.ForeignKeyRelation[Session] = fields.ForeignKeyField(
        "models.Session", related_name="refresh_tokens", on_delete=fields.CASCADE, db_index=True
    )
    issued_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_tokens"


class ApiKey(Model):
    """A long-lived credential for programs: ``msk_<public_id>_<secret>``, shown once.

    Only an HMAC-SHA256 of the secret (keyed by a server-held pepper) is stored: a database
    dump holds no usable key, and a check costs one HMAC rather than a password hash.
    """

    id = fields.UUIDField(primary_key=True)
    public_id = fields.CharField(max_length=32, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_keys", on_delete=fields.CASCADE, db_index=True
    )
    name = fields.CharField(max_length=64)
    secret_hash = fields.CharField(max_length=64)
    scopes = fields.JSONField(default=list)
    # Model ids the key is restricted to; null means every model its user may reach.
    model_ids = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    last_used_ip = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "api_keys"
