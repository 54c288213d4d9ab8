"""What an API key needs for each root field, checked once per operation before it executes.

A session holds every scope its user's role allows (the admin fields still ask for the admin
role themselves), so only API keys are checked here. Every root field of the schema has an
entry in ``ROOT_FIELDS`` (a test fails for one that has none): a field added without thinking
about keys is refused to them rather than open to them. An operation that names a field its
key may not use is refused whole, before any of it runs, with ``FORBIDDEN``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import Enum
from typing import TYPE_CHECKING

from graphql import (
    GraphQLError,
    OperationType,
)
from strawberry.extensions import SchemaExtension

from domain.accounts import Scope
from domain.accounts.keys import looks_like_key
from domain.errors import ErrorCode
from graph.documents import root_fields

if TYPE_CHECKING:
    from domain.accounts import Caller
    from graph.context import Context


class Gate(Enum):
    PUBLIC = "public"  # anyone, keys included (logging in, health)
    SESSION = "session"  # a signed-in session; never a key
    KEY_MANAGEMENT = "key management"  # a session, or a key with the admin scope


Need = Scope | Gate

Q, M, S = OperationType.QUERY, OperationType.MUTATION, OperationType.SUBSCRIPTION
ROOT_FIELDS: dict[tuple[OperationType, str], Need] = {
    (Q, "health"): Gate.PUBLIC,
    (Q, "me"): Scope.READ,
    (Q, "user"): Scope.ADMIN,
    (Q, "users"): Scope.ADMIN,
    (Q, "apiKeys"): Gate.KEY_MANAGEMENT,
    (Q, "auditLog"): Scope.ADMIN,
    (Q, "auditEntry"): Scope.READ,
    (Q, "model"): Scope.READ,
    (Q, "models"): Scope.READ,
    (Q, "modelVersion"): Scope.READ,
    (Q, "modelCache"): Scope.READ,
    (Q, "modelAnalytics"): Scope.READ,
    (Q, "predictionLog"): Scope.READ,
    (Q, "driftReport"): Scope.READ,
    (Q, "driftProfile"): Scope.READ,
    (Q, "usage"): Scope.READ,
    (Q, "userLimits"): Scope.ADMIN,
    (Q, "team"): Scope.READ,
    (Q, "myTeams"): Scope.READ,
    (Q, "teamInvitations"): Scope.READ,
    (Q, "allTeams"): Scope.ADMIN,
    (Q, "job"): Scope.READ,
    (Q, "jobs"): Scope.READ,
    (Q, "predict"): Scope.PREDICT,
    (Q, "predictBatch"): Scope.PREDICT,
    (M, "register"): Gate.PUBLIC,
    (M, "login"): Gate.PUBLIC,
    (M, "refreshToken"): Gate.PUBLIC,
    (M, "logout"): Gate.SESSION,
    (M, "changePassword"): Gate.SESSION,
    (M, "updateUser"): Scope.ADMIN,
    (M, "createApiKey"): Gate.KEY_MANAGEMENT,
    (M, "revokeApiKey"): Gate.KEY_MANAGEMENT,
    (M, "revokeUserApiKeys"): Scope.ADMIN,
    (M, "revokeUserSessions"): Scope.ADMIN,
    (M, "createModel"): Scope.PUBLISH,
    (M, "updateModel"): Scope.PUBLISH,
    (M, "uploadModelVersion"): Scope.PUBLISH,
    (M, "setAlias"): Scope.PUBLISH,
    (M, "removeAlias"): Scope.PUBLISH,
    (M, "setAliasTraffic"): Scope.PUBLISH,
    (M, "archiveVersion"): Scope.PUBLISH,
    (M, "restoreVersion"): Scope.PUBLISH,
    (M, "deleteModel"): Scope.PUBLISH,
    (M, "shareModel"): Scope.PUBLISH,
    (M, "unshareModel"): Scope.PUBLISH,
    (M, "setVersionRuntime"): Scope.PUBLISH,
    (M, "setModelQuota"): Scope.PUBLISH,
    (M, "uploadDriftReference"): Scope.PUBLISH,
    (M, "createDriftProfileFromLog"): Scope.PUBLISH,
    (M, "setDriftThresholds"): Scope.PUBLISH,
    (M, "createTeam"): Gate.SESSION,
    (M, "inviteToTeam"): Gate.SESSION,
    (M, "acceptTeamInvitation"): Gate.SESSION,
    (M, "declineTeamInvitation"): Gate.SESSION,
    (M, "setTeamMemberRole"): Gate.SESSION,
    (M, "removeTeamMember"): Gate.SESSION,
    (M, "deleteTeam"): Gate.SESSION,
    (M, "setUserLimits"): Scope.ADMIN,
    (Q, "webhookEndpoints"): Scope.READ,
    (Q, "webhookEndpoint"): Scope.READ,
    (Q, "webhookDelivery"): Scope.READ,
    (M, "createWebhookEndpoint"): Scope.PUBLISH,
    (M, "updateWebhookEndpoint"): Scope.PUBLISH,
    (M, "deleteWebhookEndpoint"): Scope.PUBLISH,
    (M, "rotateWebhookSecret"): Scope.PUBLISH,
    (M, "redeliverWebhook"): Scope.PUBLISH,
    (M, "createBatchJob"): Scope.PREDICT,
    (M, "cancelJob"): Scope.PREDICT,
    (S, "accountEvents"): Scope.READ,
    (S, "predictions"): Scope.READ,
    (S, "modelEvents"): Scope.READ,
    (S, "jobProgress"): Scope.READ,
}


def allows(caller: Caller, need: Need) -> bool:
    if need is Gate.PUBLIC:
        return True
    if need is Gate.SESSION:
        return not caller.via_key
    if need is Gate.KEY_MANAGEMENT:
        return not caller.via_key or caller.is_admin
    return caller.has(need)


def describe(need: Need) -> str:
    if isinstance(need, Scope):
        return f"an API key with the {need.value} scope"
    if need is Gate.SESSION:
        return "a signed-in session"
    return "a signed-in session or an API key with the admin scope"


class ScopeGuard(SchemaExtension):
    """Refuses an operation naming a root field its API key may not use, before it runs."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context: Context | None = execution.context
        credential = context.credential() if context is not None else None
        if context is not None and credential and looks_like_key(credential):
            caller = await context.caller()
            document = execution.graphql_document
            if caller is not None and document is not None:
                operation, fields = root_fields(
                    document, execution.operation_name, execution.variables
                )
                for field in fields:
                    name = field.name.value
                    if name.startswith("__"):
                        continue
                    assert operation is not None  # fields come only with their operation
                    need = ROOT_FIELDS.get((operation.operation, name), Scope.ADMIN)
                    if not allows(caller, need):
                        context.set_status(403)
                        raise GraphQLError(
                            f"`{name}` needs {describe(need)}.",
                            extensions={"code": ErrorCode.FORBIDDEN.value},
                        )
        yield
