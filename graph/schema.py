"""Assembles the schema from each area's Query, Mutation and Subscription."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from graph import accounts, drift, errors, jobs, keys, registry, teams, webhooks
from graph.accounts import AccountsMutation, AccountsQuery, AccountsSubscription
from graph.admin import AdminMutation
from graph.analytics import AnalyticsQuery
from graph.audit import AuditQuery, RecordOrigin
from graph.drift import DriftMutation, DriftQuery
from graph.errors import OperationGuard, Schema
from graph.execution import Executor
from graph.inference import FEATURE_MATRIX, FeatureMatrix, InferenceMutation, InferenceQuery
from graph.keys import KeysMutation, KeysQuery
from graph.observability import ObservabilityQuery
from graph.registry import RegistryMutation, RegistryQuery
from graph.scopes import ScopeGuard
from graph.streams import StreamsSubscription
from graph.usage import PredictionBudget, UsageMutation, UsageQuery
from graph.validation import SensitiveMutationsAlone, alias_count_rule, operation_depth_rule
from settings import Settings

Query = merge_types(
    "Query",
    (
        AccountsQuery,
        KeysQuery,
        RegistryQuery,
        InferenceQuery,
        AnalyticsQuery,
        DriftQuery,
        ObservabilityQuery,
        AuditQuery,
        UsageQuery,
        teams.TeamsQuery,
        webhooks.WebhooksQuery,
        jobs.JobsQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountsMutation,
        KeysMutation,
        RegistryMutation,
        InferenceMutation,
        AdminMutation,
        UsageMutation,
        DriftMutation,
        teams.TeamsMutation,
        webhooks.WebhooksMutation,
        jobs.JobsMutation,
    ),
)
SCALARS = {FeatureMatrix: FEATURE_MATRIX}
Subscription = merge_types(
    "Subscription", (AccountsSubscription, StreamsSubscription, jobs.JobsSubscription)
)
# merge_types takes no description; the root types carry one like every other type.
for root, description in (
    (Query, "What you can read: models, predictions, analytics, jobs, your account."),
    (Mutation, "What you can change: accounts, keys, models and versions, teams, webhooks, jobs."),
    (Subscription, "Live streams over graphql-transport-ws: predictions, model events, jobs."),
):
    root.__strawberry_definition__.description = description
# Each area's domain-error → union-member handlers (inference and analytics reuse these).
EXCEPTION_HANDLERS = (
    *jobs.HANDLERS,  # before the registry's: a DecompressedTooLarge is a PayloadTooLarge too
    *errors.HANDLERS,
    *accounts.HANDLERS,
    *registry.HANDLERS,
    *teams.HANDLERS,
    *keys.HANDLERS,
    *drift.HANDLERS,
)


def build_schema(settings: Settings) -> Schema:
    """The schema with the limits and switches of ``settings`` applied."""
    # One class per rule and schema, so the validation cache recognises them across requests.
    rules: tuple[type[ASTValidationRule], ...] = (
        operation_depth_rule(settings.max_query_depth),
        alias_count_rule(settings.max_aliases),
        SensitiveMutationsAlone,
    )
    if not settings.introspection_enabled:
        rules += (NoSchemaIntrospectionCustomRule,)
    # Factories, never instances: an extension instance holds one request's state.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: OperationGuard(
            max_query_chars=settings.max_query_chars, max_tokens=settings.max_tokens, rules=rules
        ),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        ScopeGuard,
        RecordOrigin,
        PredictionBudget,
    ]
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        exception_handlers=EXCEPTION_HANDLERS,
        execution_context_class=Executor,
        # "Did you mean ...?" hints would spell the schema out where introspection is off.
        config=StrawberryConfig(
            scalar_map=SCALARS, disable_field_suggestions=not settings.introspection_enabled
        ),
    )
    schema.mask_suggestions = not settings.introspection_enabled
    return schema


def export_sdl() -> str:
    """The SDL of the schema; limits and switches do not change it."""
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        exception_handlers=EXCEPTION_HANDLERS,
        config=StrawberryConfig(scalar_map=SCALARS),
    )
    return str(schema) + "\n"
