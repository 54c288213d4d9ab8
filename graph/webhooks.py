"""Webhooks in the schema: endpoints per model, team or user, their delivery log, redelivery."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from domain.webhooks import EventType
from graph.context import Info, IsAuthenticated
from graph.errors import NotFoundError, ValidationError, parse_id
from graph.pagination import decode_cursor, encode_cursor, page_size
from graph.registry import ForbiddenError
from storage import tables


@strawberry.enum(description="What an endpoint can be told about.")
class WebhookEventType(Enum):
    VERSION_CREATED = strawberry.enum_value("version.created", description="A version uploaded.")
    ALIAS_CHANGED = strawberry.enum_value(
        "alias.changed", description="An alias set, moved or removed."
    )
    MODEL_DELETED = strawberry.enum_value("model.deleted", description="A model deleted.")
    JOB_COMPLETED = strawberry.enum_value("job.completed", description="A batch job finished.")
    JOB_FAILED = strawberry.enum_value("job.failed", description="A batch job failed.")
    DRIFT_DETECTED = strawberry.enum_value(
        "drift.detected", description="A drift check flagged a window."
    )
    QUOTA_EXCEEDED = strawberry.enum_value(
        "quota.exceeded", description="A quota refused (once per subject and window)."
    )


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Waiting for its next attempt.")
    SUCCEEDED = strawberry.enum_value("succeeded", description="The receiver answered 2xx.")
    FAILED = strawberry.enum_value(
        "failed", description="Out of attempts, answered 410, or the endpoint is disabled."
    )


@strawberry.type(description="One attempt at a delivery.")
class WebhookAttempt:
    number: int = strawberry.field(description="1 for the first attempt.")
    started_at: datetime = strawberry.field(description="When the request was sent (UTC).")
    status_code: int | None = strawberry.field(description="Null when no response came.")
    latency_ms: float = strawberry.field(
        description="Milliseconds until the response (or the failure)."
    )
    error: str | None = strawberry.field(
        description="Why it failed without a 2xx (timeout, refused address, …); null on success."
    )
    succeeded: bool = strawberry.field(description="Whether the receiver answered 2xx.")
    next_attempt_at: datetime | None = strawberry.field(description="When a retry follows.")

    @classmethod
    def from_table(cls, row: tables.WebhookAttempt) -> WebhookAttempt:
        return cls(
            number=row.number,
            started_at=row.started_at,
            status_code=row.status_code,
            latency_ms=row.latency_ms,
            error=row.error,
            succeeded=row.succeeded,
            next_attempt_at=row.next_attempt_at,
        )


@strawberry.type(description="One event sent (or to be sent) to one endpoint.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="Opaque id; redeliver with it.")
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint it goes to.")
    event_type: WebhookEventType = strawberry.field(description="What happened.")
    webhook_id: str = strawberry.field(
        description="The `webhook-id` header: the same on every attempt and redelivery."
    )
    status: WebhookDeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(description="Attempts so far (at most 8 by default).")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next retry goes out (UTC); null when none follows."
    )
    last_status_code: int | None = strawberry.field(
        description="The HTTP status of the last attempt; null when no response came."
    )
    last_latency_ms: float | None = strawberry.field(
        description="Milliseconds the last attempt took."
    )
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed; null when it did not."
    )
    payload: str = strawberry.field(description="The JSON body, exactly as signed.")
    created_at: datetime = strawberry.field(description="When the event happened (UTC).")
    completed_at: datetime | None = strawberry.field(
        description="When it succeeded or gave up (UTC); null while pending."
    )
    redelivery_of: strawberry.ID | None = strawberry.field(
        description="The delivery this one repeats; null for an original."
    )
    attempt_log: list[WebhookAttempt] = strawberry.field(description="Oldest first.")

    @classmethod
    def from_table(cls, row: tables.WebhookDelivery) -> WebhookDelivery:
        attempts = sorted(getattr(row, "attempt_log", None) or [], key=lambda a: a.number)
        return cls(
            id=strawberry.ID(str(row.id)),
            endpoint_id=strawberry.ID(str(row.endpoint_id)),
            event_type=WebhookEventType(row.event_type),
            webhook_id=row.message_id,
            status=WebhookDeliveryStatus(row.status),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_status_code=row.last_status_code,
            last_latency_ms=row.last_latency_ms,
            last_error=row.last_error,
            payload=row.body,
            created_at=row.created_at,
            completed_at=row.completed_at,
            redelivery_of=strawberry.ID(str(row.redelivery_of)) if row.redelivery_of else None,
            attempt_log=[WebhookAttempt.from_table(a) for a in attempts],
        )


@strawberry.type(description="A page of deliveries, newest first.")
class WebhookDeliveryPage:
    nodes: list[WebhookDelivery] = strawberry.field(description="At most `first` deliveries.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type(description="A URL told about events of a model, a team or a user.")
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    description: str = strawberry.field(description="Free text; may be empty.")
    event_types: list[WebhookEventType] = strawberry.field(
        description="The events it is told about."
    )
    model_id: strawberry.ID | None = strawberry.field(description="Set for a model's endpoint.")
    team_id: strawberry.ID | None = strawberry.field(description="Set for a team's endpoint.")
    user_id: strawberry.ID | None = strawberry.field(description="Set for a user's endpoint.")
    enabled: bool = strawberry.field(
        description="False once disabled (by you, or after too many failures in a row)."
    )
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled; null while enabled."
    )
    disabled_at: datetime | None = strawberry.field(description="When it was disabled (UTC).")
    failure_streak: int = strawberry.field(description="Failed attempts in a row.")
    previous_secret_until: datetime | None = strawberry.field(
        description="Until then the previous secret signs too (after a rotation)."
    )
    created_at: datetime = strawberry.field(description="When it was created (UTC).")

    @strawberry.field(description="Deliveries, newest first; `first` at most 100.")
    async def deliveries(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="1..100, default 20.")] = None,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="The `endCursor` of the previous page; omit it for the first page."
            ),
        ] = None,
    ) -> WebhookDeliveryPage:
        limit = page_size(first)
        rows = await info.context.services.webhooks.list_deliveries(
            caller=await info.context.require_caller(),
            endpoint_id=uuid.UUID(str(self.id)),
            limit=limit,
            after=decode_cursor(after),
        )
        cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if len(rows) == limit else None
        return WebhookDeliveryPage(
            nodes=[WebhookDelivery.from_table(r) for r in rows], end_cursor=cursor
        )

    @classmethod
    def from_table(cls, row: tables.WebhookEndpoint) -> WebhookEndpoint:
        def as_id(value: uuid.UUID | None) -> strawberry.ID | None:
            return strawberry.ID(str(value)) if value else None

        return cls(
            id=strawberry.ID(str(row.id)),
            url=row.url,
            description=row.description,
            event_types=[WebhookEventType(e) for e in row.event_types],
            model_id=as_id(row.model_id),
            team_id=as_id(row.team_id),
            user_id=as_id(row.user_id),
            enabled=row.enabled,
            disabled_reason=row.disabled_reason,
            disabled_at=row.disabled_at,
            failure_streak=row.failure_streak,
            previous_secret_until=row.previous_secret_until,
            created_at=row.created_at,
        )


@strawberry.type(description="The endpoint, with its signing secret: shown this once only.")
class WebhookSecretSuccess:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(description="`whsec_...`; keep it, it is not shown again.")


@strawberry.type(description="The endpoint, as it is now.")
class WebhookEndpointSuccess:
    endpoint: WebhookEndpoint = strawberry.field(description="The created or updated endpoint.")


@strawberry.type(description="A new delivery was queued.")
class WebhookDeliverySuccess:
    delivery: WebhookDelivery = strawberry.field(
        description="The new delivery (its `redeliveryOf` set)."
    )


@strawberry.type(description="The endpoint and its deliveries are gone.")
class WebhookEndpointDeleted:
    id: strawberry.ID = strawberry.field(description="The deleted endpoint's id.")


WebhookSecretResult = Annotated[
    WebhookSecretSuccess | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union(
        "WebhookSecretResult", description="The endpoint and its secret, or why there is none."
    ),
]
WebhookEndpointResult = Annotated[
    WebhookEndpointSuccess | ValidationError | NotFoundError,
    strawberry.union("WebhookEndpointResult", description="The endpoint, or why nothing changed."),
]
DeleteWebhookEndpointResult = Annotated[
    WebhookEndpointDeleted | NotFoundError,
    strawberry.union(
        "DeleteWebhookEndpointResult", description="The deleted endpoint's id, or NotFoundError."
    ),
]
RedeliverWebhookResult = Annotated[
    WebhookDeliverySuccess | NotFoundError,
    strawberry.union("RedeliverWebhookResult", description="The new delivery, or NotFoundError."),
]


@strawberry.input(
    description="A new endpoint for a model, a team, or (neither given) your own models; at most "
    "20 per owner."
)
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="http(s) URL on a public address (checked now and at every delivery)."
    )
    event_types: list[WebhookEventType] = strawberry.field(description="At least one.")
    model_id: strawberry.ID | None = strawberry.field(
        default=None, description="A model you maintain; its events."
    )
    team: str | None = strawberry.field(
        default=None, description="A team you administer; its models' events."
    )
    description: str = strawberry.field(
        default="", description="Free text, at most 500 characters."
    )


@strawberry.input(description="What to change on an endpoint; omitted fields stay.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    url: str | None = strawberry.field(
        default=None, description="A new http(s) URL on a public address."
    )
    event_types: list[WebhookEventType] | None = strawberry.field(
        default=None, description="The new events (they replace the old ones); at least one."
    )
    description: str | None = strawberry.field(default=None, description="At most 500 characters.")
    enabled: bool | None = strawberry.field(
        default=None, description="true re-enables a disabled endpoint (its streak restarts)."
    )


def _types(values: list[WebhookEventType] | None) -> list[EventType] | None:
    return None if values is None else [EventType(v.value) for v in values]


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        description="Endpoints of a model you maintain, of a team you administer, or (neither "
        "given) your own.",
        permission_classes=[IsAuthenticated],
    )
    async def webhook_endpoints(
        self,
        info: Info,
        model_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="A model you maintain.")
        ] = None,
        team: Annotated[
            str | None, strawberry.argument(description="A team you administer.")
        ] = None,
    ) -> list[WebhookEndpoint]:
        rows = await info.context.services.webhooks.list_endpoints(
            caller=await info.context.require_caller(),
            model_id=parse_id(model_id, "Model") if model_id is not None else None,
            team=team,
        )
        return [WebhookEndpoint.from_table(r) for r in rows]

    @strawberry.field(
        description="An endpoint you may manage; null otherwise.",
        permission_classes=[IsAuthenticated],
    )
    async def webhook_endpoint(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint's id.")],
    ) -> WebhookEndpoint | None:
        try:
            endpoint_id = uuid.UUID(str(id))
        except ValueError:
            return None
        row = await info.context.services.webhooks.get_endpoint(
            caller=await info.context.require_caller(), endpoint_id=endpoint_id
        )
        return WebhookEndpoint.from_table(row) if row else None

    @strawberry.field(
        description="A delivery of an endpoint you may manage; null otherwise.",
        permission_classes=[IsAuthenticated],
    )
    async def webhook_delivery(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The delivery's id.")],
    ) -> WebhookDelivery | None:
        try:
            delivery_id = uuid.UUID(str(id))
        except ValueError:
            return None
        row = await info.context.services.webhooks.get_delivery(
            caller=await info.context.require_caller(), delivery_id=delivery_id
        )
        return WebhookDelivery.from_table(row) if row else None


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(
        description="Register an endpoint for a model (maintainers), a team (admins) or "
        "yourself; the result holds its signing secret, shown only here.",
        permission_classes=[IsAuthenticated],
    )
    async def create_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            CreateWebhookEndpointInput,
            strawberry.argument(description="The URL, events and scope."),
        ],
    ) -> WebhookSecretResult:
        created = await info.context.services.webhooks.create_endpoint(
            caller=await info.context.require_caller(),
            url=input.url,
            event_types=_types(input.event_types) or [],
            model_id=parse_id(input.model_id, "Model") if input.model_id is not None else None,
            team=input.team,
            description=input.description,
        )
        return WebhookSecretSuccess(
            endpoint=WebhookEndpoint.from_table(created.endpoint), secret=created.secret
        )

    @strawberry.mutation(
        description="Change an endpoint's URL, events or description, or turn it off or on.",
        permission_classes=[IsAuthenticated],
    )
    async def update_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            UpdateWebhookEndpointInput,
            strawberry.argument(description="The endpoint and what to change."),
        ],
    ) -> WebhookEndpointResult:
        row = await info.context.services.webhooks.update_endpoint(
            caller=await info.context.require_caller(),
            endpoint_id=parse_id(input.id, "Webhook endpoint"),
            url=input.url,
            event_types=_types(input.event_types),
            description=input.description,
            enabled=input.enabled,
        )
        return WebhookEndpointSuccess(endpoint=WebhookEndpoint.from_table(row))

    @strawberry.mutation(
        description="Delete an endpoint and its delivery log.",
        permission_classes=[IsAuthenticated],
    )
    async def delete_webhook_endpoint(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint's id.")],
    ) -> DeleteWebhookEndpointResult:
        await info.context.services.webhooks.delete_endpoint(
            caller=await info.context.require_caller(),
            endpoint_id=parse_id(id, "Webhook endpoint"),
        )
        return WebhookEndpointDeleted(id=id)

    @strawberry.mutation(
        description="A new signing secret, shown only here; for `overlapSeconds` (at most 7 "
        "days, default 1 day) the previous one signs too, both signatures in one header.",
        permission_classes=[IsAuthenticated],
    )
    async def rotate_webhook_secret(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint's id.")],
        overlap_seconds: Annotated[
            int,
            strawberry.argument(
                description="How long the previous secret still signs: 0..604800 seconds."
            ),
        ] = 86_400,
    ) -> WebhookSecretResult:
        created = await info.context.services.webhooks.rotate_secret(
            caller=await info.context.require_caller(),
            endpoint_id=parse_id(id, "Webhook endpoint"),
            overlap_s=overlap_seconds,
        )
        return WebhookSecretSuccess(
            endpoint=WebhookEndpoint.from_table(created.endpoint), secret=created.secret
        )

    @strawberry.mutation(
        description="Send a delivery again (same `webhook-id` and body, a fresh log).",
        permission_classes=[IsAuthenticated],
    )
    async def redeliver_webhook(
        self,
        info: Info,
        delivery_id: Annotated[
            strawberry.ID, strawberry.argument(description="The delivery to send again.")
        ],
    ) -> RedeliverWebhookResult:
        delivery = await info.context.services.webhooks.redeliver(
            caller=await info.context.require_caller(),
            delivery_id=parse_id(delivery_id, "Webhook delivery"),
        )
        return WebhookDeliverySuccess(delivery=WebhookDelivery.from_table(delivery))
