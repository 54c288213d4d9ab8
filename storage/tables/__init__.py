"""Tortoise models, one module per area; import them by name (``tables.User``)."""

from storage.tables.accounts import RefreshToken, Role, Session, User
from storage.tables.registry import (
    Alias,
    AliasEvent,
    IdempotencyKey,
    Model,
    ModelVersion,
    Share,
    ShareLevel,
    VersionStatus,
)

__all__ = [
    "Alias",
    "AliasEvent",
    "IdempotencyKey",
    "Model",
    "ModelVersion",
    "RefreshToken",
    "Role",
    "Session",
    "Share",
    "ShareLevel",
    "User",
    "VersionStatus",
]
