"""Rate limits and quotas in the schema: your usage, a model's quota, a user's limits."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import strawberry
from graphql import (
    BooleanValueNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    ListValueNode,
    OperationType,
    StringValueNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from domain import quotas
from domain.ratelimit import Window
from graph.context import Info, IsAdmin, IsAuthenticated
from graph.documents import root_fields
from graph.errors import NotFoundError, ValidationError
from graph.registry import ForbiddenError, Model, parse_id


@strawberry.type(
    description="One limit's moving window: what the trailing `windowSeconds` hold now."
)
class UsageWindow:
    limit: int = strawberry.field(description="Units (or uploads) the window may hold.")
    used: int = strawberry.field(description="Units spent within the trailing window.")
    remaining: int = strawberry.field(description="`limit - used`: what a request may spend now.")
    resets_in_seconds: int = strawberry.field(
        description="Seconds until the oldest spent unit leaves the window; 0 when none is spent."
    )
    window_seconds: int = strawberry.field(description="60 (a minute), 3600 or 86400.")

    @classmethod
    def from_domain(cls, window: Window) -> UsageWindow:
        return cls(
            limit=window.limit,
            used=window.used,
            remaining=window.remaining,
            resets_in_seconds=window.resets_in_s,
            window_seconds=window.seconds,
        )


@strawberry.type(
    description="Your own rate limits, counted per API key when you call with one and per user "
    "for your sessions. A prediction costs `1 + rows // predictionRowsPerUnit` units, times "
    "`explainCostMultiplier` when it asks for an explanation."
)
class Usage:
    predictions: UsageWindow = strawberry.field(description="Prediction units per minute.")
    uploads: UsageWindow = strawberry.field(description="Uploads per hour.")
    prediction_rows_per_unit: int = strawberry.field(
        description="Rows one prediction unit covers (100 by default)."
    )
    explain_cost_multiplier: int = strawberry.field(
        description="How many times a plain prediction's units one with `explain: true` costs "
        "(10 by default)."
    )


@strawberry.type(
    description="Prediction units every caller of a model may spend together, set by its "
    "maintainers; a null bound is unbounded."
)
class ModelQuota:
    per_minute: int | None = strawberry.field(description="Units per minute; null: unbounded.")
    per_day: int | None = strawberry.field(description="Units per day; null: unbounded.")
    model_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The per-minute window; null when unbounded.")
    async def minute(self, info: Info) -> UsageWindow | None:
        minute, _ = await info.context.services.quotas.model_windows(quota=self._domain())
        return UsageWindow.from_domain(minute) if minute else None

    @strawberry.field(description="The per-day window; null when unbounded.")
    async def day(self, info: Info) -> UsageWindow | None:
        _, day = await info.context.services.quotas.model_windows(quota=self._domain())
        return UsageWindow.from_domain(day) if day else None

    def _domain(self) -> quotas.ModelQuota:
        return quotas.ModelQuota(
            model_id=self.model_id, per_minute=self.per_minute, per_day=self.per_day
        )

    @classmethod
    def from_domain(cls, quota: quotas.ModelQuota) -> ModelQuota:
        return cls(per_minute=quota.per_minute, per_day=quota.per_day, model_id=quota.model_id)


async def model_quota(info: Info, model_id: uuid.UUID) -> ModelQuota | None:
    """``Model.quota``, through the request's loader."""
    quota = await info.context.loaders.quota_by_model_id.load(model_id)
    return ModelQuota.from_domain(quota) if quota else None


@strawberry.type(description="One user's rate limits; a null override means the server default.")
class UserLimits:
    user_id: strawberry.ID = strawberry.field(description="The user.")
    prediction_units_per_minute: int | None = strawberry.field(
        description="The override of MODELSERVE_PREDICTION_UNITS_PER_MINUTE, if any."
    )
    uploads_per_hour: int | None = strawberry.field(
        description="The override of MODELSERVE_UPLOADS_PER_HOUR, if any."
    )
    effective_prediction_units_per_minute: int = strawberry.field(
        description="What applies: the override, else the default."
    )
    effective_uploads_per_hour: int = strawberry.field(
        description="What applies: the override, else the default."
    )

    @classmethod
    def from_domain(cls, limits: quotas.UserLimits) -> UserLimits:
        return cls(
            user_id=strawberry.ID(str(limits.user_id)),
            prediction_units_per_minute=limits.prediction_units_per_minute,
            uploads_per_hour=limits.uploads_per_hour,
            effective_prediction_units_per_minute=limits.effective_prediction_units_per_minute,
            effective_uploads_per_hour=limits.effective_uploads_per_hour,
        )


@strawberry.input(description="Both bounds null removes the quota.")
class SetModelQuotaInput:
    model_id: strawberry.ID = strawberry.field(description="The model (maintainers).")
    per_minute: int | None = strawberry.field(
        default=None, description="Units per minute (1-100000), or null for unbounded."
    )
    per_day: int | None = strawberry.field(
        default=None, description="Units per day (1-1000000), or null for unbounded."
    )


@strawberry.type(description="The model with its new quota.")
class SetModelQuotaSuccess:
    model: Model = strawberry.field(description="The model; its `quota` the new one.")


SetModelQuotaResult = Annotated[
    SetModelQuotaSuccess | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union("SetModelQuotaResult", description="The model, or why nothing changed."),
]


@strawberry.input(description="A null limit restores the server default.")
class SetUserLimitsInput:
    user_id: strawberry.ID = strawberry.field(description="The user (administrators only).")
    prediction_units_per_minute: int | None = strawberry.field(
        default=None, description="Prediction units per minute (1-100000), or null."
    )
    uploads_per_hour: int | None = strawberry.field(
        default=None, description="Uploads per hour (1-10000), or null."
    )


@strawberry.type(description="The user's limits, as they now are.")
class SetUserLimitsSuccess:
    limits: UserLimits = strawberry.field(description="The limits.")


SetUserLimitsResult = Annotated[
    SetUserLimitsSuccess | ValidationError | NotFoundError,
    strawberry.union("SetUserLimitsResult", description="The limits, or why nothing changed."),
]


@strawberry.type
class UsageQuery:
    @strawberry.field(
        description="Your prediction and upload limits: used, remaining, and when they free up.",
        permission_classes=[IsAuthenticated],
    )
    async def usage(self, info: Info) -> Usage:
        caller = await info.context.require_caller()
        usage = await info.context.services.quotas.usage(caller=caller)
        return Usage(
            predictions=UsageWindow.from_domain(usage.predictions),
            uploads=UsageWindow.from_domain(usage.uploads),
            prediction_rows_per_unit=usage.rows_per_unit,
            explain_cost_multiplier=usage.explain_cost_multiplier,
        )

    @strawberry.field(
        description="One user's limits and their overrides (administrators).",
        permission_classes=[IsAdmin],
    )
    async def user_limits(
        self,
        info: Info,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The user.")],
    ) -> UserLimits | None:
        try:
            user = uuid.UUID(str(user_id))
        except ValueError:
            return None
        limits = await info.context.services.quotas.get_user_limits(user_id=user)
        return UserLimits.from_domain(limits) if limits else None


@strawberry.type
class UsageMutation:
    @strawberry.mutation(
        description="Set or clear the prediction quota every caller of a model shares "
        "(maintainers, owners and administrators).",
        permission_classes=[IsAuthenticated],
    )
    async def set_model_quota(
        self,
        info: Info,
        input: Annotated[
            SetModelQuotaInput,
            strawberry.argument(description="The model and its per-minute and per-day units."),
        ],
    ) -> SetModelQuotaResult:
        caller = await info.context.require_caller()
        model, level = await info.context.services.quotas.set_model_quota(
            caller=caller,
            model_id=parse_id(input.model_id, "Model"),
            per_minute=input.per_minute,
            per_day=input.per_day,
        )
        return SetModelQuotaSuccess(model=Model.from_table(model, level))

    @strawberry.mutation(
        description="Override one user's prediction and upload limits (administrators).",
        permission_classes=[IsAdmin],
    )
    async def set_user_limits(
        self,
        info: Info,
        input: Annotated[
            SetUserLimitsInput, strawberry.argument(description="The user and the overrides.")
        ],
    ) -> SetUserLimitsResult:
        caller = await info.context.require_caller()
        limits = await info.context.services.quotas.set_user_limits(
            caller=caller,
            user_id=parse_id(input.user_id, "User"),
            prediction_units_per_minute=input.prediction_units_per_minute,
            uploads_per_hour=input.uploads_per_hour,
        )
        return SetUserLimitsSuccess(limits=UserLimits.from_domain(limits))


# -- one document, several predictions ---------------------------------------------------------

PREDICTION_FIELDS = frozenset({"predict", "predictBatch"})


class PredictionBudget(SchemaExtension):
    """Refuses, before any runs, a document whose predictions the caller's budget cannot hold.

    Root fields resolve concurrently and are non-null, so the first prediction refused as it
    runs nulls ``data`` and cancels its siblings, whose units are already spent. A query with
    several prediction fields is therefore checked first against the caller's window: when some
    do not fit, none runs, nothing is charged, and each one beyond the limit (in document order)
    gets its own ``RATE_LIMITED`` error. Admitted documents are charged field by field as they
    run, so the limit holds exactly even when another request spends the window meanwhile.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        document = execution.graphql_document
        if context is not None and document is not None and execution.result is None:
            fields = prediction_fields(document, execution.operation_name, execution.variables)
            caller = await context.caller() if len(fields) > 1 else None
            if caller is not None:
                quotas = context.services.quotas
                rows = [count for _, count in fields]
                explain = [_explains(node, execution.variables) for node, _ in fields]
                refusals = await quotas.refusals(caller=caller, rows=rows, explain=explain)
                models = [
                    await _model_of(context, caller, node, execution.variables)
                    for node, _ in fields
                ]
                by_model = await quotas.model_refusals(
                    predictions=list(zip(models, rows, strict=True)), explain=explain
                )
                refusals = [mine or theirs for mine, theirs in zip(refusals, by_model, strict=True)]
                errors = [
                    GraphQLError(
                        refusal.message,
                        nodes=[node],
                        path=[(node.alias or node.name).value],
                        original_error=refusal,
                    )
                    for (node, _), refusal in zip(fields, refusals, strict=True)
                    if refusal is not None
                ]
                if errors:
                    execution.result = ExecutionResult(data=None, errors=errors)
        yield


async def _model_of(
    context: Any, caller: Any, node: FieldNode, variables: dict[str, Any] | None
) -> uuid.UUID | None:
    """The model a prediction field names, when the caller may use it; None otherwise (the
    field then fails on its own, as it would alone)."""
    ref = None
    for argument in node.arguments or ():
        if argument.name.value == "model":
            value = argument.value
            if isinstance(value, StringValueNode):
                ref = value.value
            elif isinstance(value, VariableNode):
                ref = (variables or {}).get(value.name.value)
    if not isinstance(ref, str):
        return None
    try:
        return (await context.services.inference.resolve(caller=caller, ref=ref)).model_id
    except Exception:
        return None


def prediction_fields(
    document: DocumentNode, operation_name: str | None, variables: dict[str, Any] | None
) -> list[tuple[FieldNode, int]]:
    """The root prediction fields of a query, in document order, with the rows each sends."""
    operation, fields = root_fields(document, operation_name, variables)
    if operation is None or operation.operation is not OperationType.QUERY:
        return []
    values = variables or {}
    return [(f, _rows(f, values)) for f in fields if f.name.value in PREDICTION_FIELDS]


def _explains(node: FieldNode, variables: dict[str, Any] | None) -> bool:
    """Whether a prediction field asks for an explanation (and so weighs more)."""
    for argument in node.arguments or ():
        if argument.name.value != "explain":
            continue
        value = argument.value
        if isinstance(value, BooleanValueNode):
            return value.value
        if isinstance(value, VariableNode):
            return (variables or {}).get(value.name.value) is True
    return False


def _rows(node: FieldNode, values: dict[str, Any]) -> int:
    for argument in node.arguments or ():
        if argument.name.value not in {"rows", "records"}:
            continue
        value = argument.value
        if isinstance(value, ListValueNode):
            return len(value.values)
        if isinstance(value, VariableNode):
            given = values.get(value.name.value)
            if isinstance(given, list):
                return len(given)
    return 0
