"""Webhook endpoints and their delivery log: who may register, read and change them.

An endpoint belongs to a model (managed by its maintainers and owner, through the registry's
access rule), to a team (its admins) or to one user (that user). Everyone else, including a
model's viewers, gets ``NotFound`` for it and its deliveries, exactly as for an id that does not
exist. An API key restricted to some models may manage only those models' endpoints.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain.accounts import Caller
from domain.audit import AuditAction, AuditTrail
from domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from domain.registry import access
from domain.registry.access import Access
from domain.teams import at_least, role_in_team
from domain.webhooks import signing, ssrf
from domain.webhooks.delivery import Dispatcher, endpoint_target
from domain.webhooks.outbox import EventType
from storage import tables

if TYPE_CHECKING:
    from domain.background import Background
    from domain.events import Emitter
    from settings import Settings

log = logging.getLogger("modelserve.webhooks")

MAX_ENDPOINTS_PER_OWNER = 20
MAX_DESCRIPTION = 500
MAX_OVERLAP_S = 7 * 86_400
DELIVER_TASK = "webhooks.deliver"


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose events an endpoint receives: exactly one field is set."""

    model_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None

    def filter(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "team_id": self.team_id, "user_id": self.user_id}


@dataclass(frozen=True, slots=True)
class Created:
    endpoint: tables.WebhookEndpoint
    secret: str  # shown once


def _now() -> datetime:
    return datetime.now(UTC)


def _hidden() -> NotFound:
    return NotFound("Webhook endpoint")


class Webhooks:
    """Endpoints, deliveries and the dispatcher of this process."""

    def __init__(self, *, settings: Settings, emitter: Emitter, queue: Background) -> None:
        self.settings = settings
        self.queue = queue
        self.dispatcher = Dispatcher(settings=settings, emitter=emitter)
        self._nudged = False

    # -- who may -------------------------------------------------------------------------

    async def _owner(
        self, caller: Caller, *, model_id: uuid.UUID | None, team: str | None
    ) -> Owner:
        """The owner named by the arguments (the caller when neither is), when the caller may
        manage its endpoints."""
        if model_id is not None and team is not None:
            raise ValidationFailed(
                [FieldError(("input", "team"), "Give a model or a team, not both.", "ambiguous")]
            )
        if model_id is not None:
            model = (await access.require_model(caller, model_id, needed=Access.MAINTAINER)).model
            return Owner(model_id=model.id)
        if caller.model_ids is not None:
            raise Forbidden("This API key is restricted to some models: manage their webhooks.")
        if team is not None:
            found = await tables.Team.get_or_none(name=team.strip().lower())
            role = await role_in_team(user_id=caller.user_id, team_id=found.id) if found else None
            if found is None or (role is None and not caller.is_admin):
                raise NotFound("Team")
            if not caller.is_admin and not at_least(role, tables.TeamRole.ADMIN):
                raise Forbidden("You need the admin role in this team.")
            return Owner(team_id=found.id)
        return Owner(user_id=caller.user_id)

    async def _may_manage(self, caller: Caller, endpoint: tables.WebhookEndpoint) -> bool:
        if endpoint.model_id is not None:
            found = await access.find_model(caller, model_id=endpoint.model_id)
            return found is not None and found.access >= Access.MAINTAINER
        if caller.model_ids is not None:
            return False
        if caller.is_admin:
            return True
        if endpoint.team_id is not None:
            role = await role_in_team(user_id=caller.user_id, team_id=endpoint.team_id)
            return at_least(role, tables.TeamRole.ADMIN)
        return endpoint.user_id == caller.user_id

    async def _endpoint(self, caller: Caller, endpoint_id: uuid.UUID) -> tables.WebhookEndpoint:
        endpoint = await tables.WebhookEndpoint.get_or_none(id=endpoint_id)
        if endpoint is None or not await self._may_manage(caller, endpoint):
            raise _hidden()
        return endpoint

    # -- checks --------------------------------------------------------------------------

    async def _checked_url(self, url: str) -> str:
        try:
            await ssrf.check(url.strip(), allow_loopback=self.settings.webhook_allow_loopback)
        except ssrf.AddressRefused as exc:
            raise ValidationFailed(
                [FieldError(("input", "url"), f"Not allowed: {exc.reason}.", "address_not_allowed")]
            ) from None
        return url.strip()

    @staticmethod
    def _checked_fields(
        event_types: list[EventType] | None, description: str | None
    ) -> list[FieldError]:
        errors: list[FieldError] = []
        if event_types is not None and not event_types:
            errors.append(FieldError(("input", "eventTypes"), "Choose at least one.", "empty"))
        if description is not None and len(description) > MAX_DESCRIPTION:
            errors.append(
                FieldError(
                    ("input", "description"), f"At most {MAX_DESCRIPTION} characters.", "too_long"
                )
            )
        return errors

    # -- changes -------------------------------------------------------------------------

    async def create_endpoint(
        self,
        *,
        caller: Caller,
        url: str,
        event_types: list[EventType],
        model_id: uuid.UUID | None = None,
        team: str | None = None,
        description: str = "",
    ) -> Created:
        """Register an endpoint; its ``whsec_`` secret is in the result and nowhere else later.

        Raises:
            NotFound: the model or team is not visible to the caller.
            Forbidden: the caller may see it but not manage its webhooks.
            ValidationFailed: a bad or refused URL (SSRF rules), no event types, too many.
        """
        owner = await self._owner(caller, model_id=model_id, team=team)
        errors = self._checked_fields(event_types, description)
        if errors:
            raise ValidationFailed(errors)
        url = await self._checked_url(url)
        if await tables.WebhookEndpoint.filter(**owner.filter()).count() >= MAX_ENDPOINTS_PER_OWNER:
            raise ValidationFailed(
                [
                    FieldError(
                        ("input",), f"At most {MAX_ENDPOINTS_PER_OWNER} endpoints each.", "too_many"
                    )
                ]
            )
        secret = signing.new_secret()
        async with in_transaction():
            endpoint = await tables.WebhookEndpoint.create(
                **owner.filter(),
                created_by_id=caller.user_id,
                url=url,
                description=description,
                event_types=sorted({EventType(e).value for e in event_types}),
                secret=secret,
            )
            await AuditTrail.record(
                AuditAction.WEBHOOK_CREATED,
                actor=caller,
                target=endpoint_target(endpoint),
                detail={"eventTypes": endpoint.event_types},
            )
        return Created(endpoint, secret)

    async def update_endpoint(
        self,
        *,
        caller: Caller,
        endpoint_id: uuid.UUID,
        url: str | None = None,
        event_types: list[EventType] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> tables.WebhookEndpoint:
        """Change an endpoint; enabling a disabled one clears its failure streak."""
        endpoint = await self._endpoint(caller, endpoint_id)
        errors = self._checked_fields(event_types, description)
        if errors:
            raise ValidationFailed(errors)
        if url is not None:
            endpoint.url = await self._checked_url(url)
        if event_types is not None:
            endpoint.event_types = sorted({EventType(e).value for e in event_types})
        if description is not None:
            endpoint.description = description
        if enabled is True and not endpoint.enabled:
            endpoint.enabled = True
            endpoint.failure_streak = 0
            endpoint.disabled_reason = None
            endpoint.disabled_at = None
        elif enabled is False and endpoint.enabled:
            endpoint.enabled = False
            endpoint.disabled_reason = "disabled by its owner"
            endpoint.disabled_at = _now()
        async with in_transaction():
            await endpoint.save()
            await AuditTrail.record(
                AuditAction.WEBHOOK_UPDATED,
                actor=caller,
                target=endpoint_target(endpoint),
                detail={"enabled": endpoint.enabled, "eventTypes": endpoint.event_types},
            )
        return endpoint

    async def delete_endpoint(self, *, caller: Caller, endpoint_id: uuid.UUID) -> None:
        endpoint = await self._endpoint(caller, endpoint_id)
        async with in_transaction():
            await endpoint.delete()
            await AuditTrail.record(
                AuditAction.WEBHOOK_DELETED, actor=caller, target=endpoint_target(endpoint)
            )

    async def rotate_secret(
        self, *, caller: Caller, endpoint_id: uuid.UUID, overlap_s: int
    ) -> Created:
        """A new secret, shown once; the old one keeps signing alongside for ``overlap_s``."""
        if not 0 <= overlap_s <= MAX_OVERLAP_S:
            raise ValidationFailed(
                [FieldError(("overlapSeconds",), f"Between 0 and {MAX_OVERLAP_S}.", "out_of_range")]
            )
        endpoint = await self._endpoint(caller, endpoint_id)
        secret = signing.new_secret()
        endpoint.previous_secret = endpoint.secret if overlap_s else None
        endpoint.previous_secret_until = (
            _now() + timedelta(seconds=overlap_s) if overlap_s else None
        )
        endpoint.secret = secret
        async with in_transaction():
            await endpoint.save()
            await AuditTrail.record(
                AuditAction.WEBHOOK_SECRET_ROTATED,
                actor=caller,
                target=endpoint_target(endpoint),
                detail={"overlapSeconds": overlap_s},
            )
        return Created(endpoint, secret)

    async def redeliver(self, *, caller: Caller, delivery_id: uuid.UUID) -> tables.WebhookDelivery:
        """Send a delivery again, as a new row with the same ``webhook-id`` and body."""
        original = await self.get_delivery(caller=caller, delivery_id=delivery_id)
        if original is None:
            raise NotFound("Webhook delivery")
        now = _now()
        again = await tables.WebhookDelivery.create(
            endpoint_id=original.endpoint_id,
            event_type=original.event_type,
            message_id=original.message_id,
            body=original.body,
            next_attempt_at=now,
            redelivery_of=original.id,
            created_at=now,
        )
        await again.fetch_related("attempt_log")
        await self.nudge()
        return again

    # -- reading -------------------------------------------------------------------------

    async def list_endpoints(
        self, *, caller: Caller, model_id: uuid.UUID | None = None, team: str | None = None
    ) -> list[tables.WebhookEndpoint]:
        owner = await self._owner(caller, model_id=model_id, team=team)
        return await tables.WebhookEndpoint.filter(**owner.filter()).order_by("created_at", "id")

    async def get_endpoint(
        self, *, caller: Caller, endpoint_id: uuid.UUID
    ) -> tables.WebhookEndpoint | None:
        try:
            return await self._endpoint(caller, endpoint_id)
        except NotFound:
            return None

    async def list_deliveries(
        self,
        *,
        caller: Caller,
        endpoint_id: uuid.UUID,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None = None,
    ) -> list[tables.WebhookDelivery]:
        """An endpoint's deliveries, newest first, with their attempts."""
        await self._endpoint(caller, endpoint_id)
        query = tables.WebhookDelivery.filter(endpoint_id=endpoint_id)
        if after is not None:
            created, last = after
            query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last))
        return (
            await query.order_by("-created_at", "-id").limit(limit).prefetch_related("attempt_log")
        )

    async def get_delivery(
        self, *, caller: Caller, delivery_id: uuid.UUID
    ) -> tables.WebhookDelivery | None:
        delivery = await tables.WebhookDelivery.get_or_none(id=delivery_id).prefetch_related(
            "attempt_log", "endpoint"
        )
        if delivery is None or not await self._may_manage(caller, delivery.endpoint):
            return None
        return delivery

    # -- delivering ----------------------------------------------------------------------

    async def nudge(self, *_: Any) -> None:
        """Ask a worker to drain soon (after a commit); the scheduled drain covers a miss."""
        if self._nudged:
            return
        self._nudged = True
        try:
            await self.queue.enqueue(DELIVER_TASK)
        except Exception:
            self._nudged = False
            log.info("could not enqueue a webhook drain; the scheduled one will run")

    async def drain(self) -> int:
        self._nudged = False
        return await self.dispatcher.drain()
