"""Tortoise models, one module per area; import them by name (``tables.User``)."""

from storage.tables.accounts import ApiKey, RefreshToken, Role, Session, User
from storage.tables.audit import AuditEntry
from storage.tables.drift import DriftProfile, DriftThresholds, ProfileSource
from storage.tables.jobs import Job, JobChunk, JobFormat, JobStatus
from storage.tables.predictions import EncodedJSON, PredictionLog, PredictionStatus
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
from storage.tables.traffic import RouteRole, TrafficRoute
from storage.tables.webhooks import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "Alias",
    "AliasEvent",
    "ApiKey",
    "AuditEntry",
    "DeliveryStatus",
    "DriftProfile",
    "DriftThresholds",
    "EncodedJSON",
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
    "ProfileSource",
    "RefreshToken",
    "Role",
    "RouteRole",
    "Session",
    "Share",
    "ShareLevel",
    "Team",
    "TeamMember",
    "TeamRole",
    "TrafficRoute",
    "User",
    "UserLimits",
    "VersionStatus",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
