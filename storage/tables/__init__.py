"""Tortoise models, one module per area; import them by name (``tables.User``)."""

from storage.tables.accounts import ApiKey, RefreshToken, Role, Session, User
from storage.tables.audit import AuditEntry
from storage.tables.jobs import Job, JobChunk, JobFormat, JobStatus
from storage.tables.predictions import PredictionLog, PredictionStatus
from storage.tables.quotas import ModelQuota, UserLimits
from storage.tables.registry import (
    Alias,
    AliasEvent,
    IdempotencyKey,
    LogPolicy,
    Model,
    ModelVersion,
    Share,
    ShareLevel,
    VersionStatus,
)
from storage.tables.teams import Team, TeamMember, TeamRole

__all__ = [
    "Alias",
    "AliasEvent",
    "ApiKey",
    "AuditEntry",
    "IdempotencyKey",
    "Job",
    "JobChunk",
    "JobFormat",
    "JobStatus",
    "LogPolicy",
    "Model",
    "ModelQuota",
    "ModelVersion",
    "PredictionLog",
    "PredictionStatus",
    "RefreshToken",
    "Role",
    "Session",
    "Share",
    "ShareLevel",
    "Team",
    "TeamMember",
    "TeamRole",
    "User",
    "UserLimits",
    "VersionStatus",
]
