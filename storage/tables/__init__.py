"""Tortoise models, one module per area; import them by name (``tables.User``)."""

from storage.tables.accounts import RefreshToken, Role, Session, User

__all__ = ["RefreshToken", "Role", "Session", "User"]
