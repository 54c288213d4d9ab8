"""The webhook outbox: ``record`` writes one delivery row per matching endpoint, in the
caller's transaction, so a change and its webhooks commit or roll back together.

Any area that has something to announce calls ``record`` inside the transaction of its change
(Tortoise's ``in_transaction`` reaches it; pass ``connection`` when the change holds one
explicitly). A worker delivers the rows afterwards (``domain/webhooks/delivery.py``): a commit
means eventual delivery even when Redis or the queue is down at that moment, a rollback means no
webhook.

Who receives an event: endpoints subscribed to its type and enabled, registered on the model
(``model_id``), on its team (for a team's model) or by its owner (for a personal one), and on
the ``team_id`` and by the ``user_id`` given (a job's submitter, a key's owner over quota).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from domain.webhooks.signing import new_message_id
from storage import tables


class EventType(StrEnum):
    VERSION_CREATED = "version.created"
    ALIAS_CHANGED = "alias.changed"
    MODEL_DELETED = "model.deleted"
    JOB_COMPLETED = "job.completed"
    JOB_FAILED = "job.failed"
    DRIFT_DETECTED = "drift.detected"
    QUOTA_EXCEEDED = "quota.exceeded"


def body_of(event_type: EventType | str, data: dict[str, Any], at: datetime) -> str:
    """The JSON a delivery carries: Standard Webhooks' ``type``, ``timestamp``, ``data``."""
    return json.dumps(
        {"type": str(EventType(event_type)), "timestamp": at.isoformat(), "data": data},
        separators=(",", ":"),
        default=str,
        ensure_ascii=False,
    )


async def record(
    event_type: EventType | str,
    *,
    model_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    data: dict[str, Any],
    connection: BaseDBAsyncClient | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Queue ``event_type`` with ``data`` for every endpoint that wants it; call it inside the
    transaction of the change. Returns how many deliveries were written (one per endpoint,
    however many of the scopes it matches).

    ``dedupe_key`` makes the event once-only per endpoint (a second ``record`` with the same key
    writes nothing): quota.exceeded uses it once per subject and window.
    """
    kind = EventType(event_type)
    teams = {team_id} - {None}
    users = {user_id} - {None}
    if model_id is not None:
        model = await tables.Model.get_or_none(id=model_id).using_db(connection)
        if model is not None and model.team_id is not None:
            teams.add(model.team_id)
        elif model is not None:
            users.add(model.owner_id)
    scopes = [Q(model_id=model_id)] if model_id is not None else []
    scopes += [Q(team_id__in=list(teams))] if teams else []
    scopes += [Q(user_id__in=list(users))] if users else []
    if not scopes:
        return 0
    endpoints = await tables.WebhookEndpoint.filter(
        Q(*scopes, join_type="OR"), enabled=True
    ).using_db(connection)
    wanted = [e for e in endpoints if kind.value in (e.event_types or [])]
    if not wanted:
        return 0
    now = datetime.now(UTC)
    payload = {**data}
    if model_id is not None:
        payload.setdefault("modelId", str(model_id))
    body = body_of(kind, payload, now)
    message_id = new_message_id()
    written = 0
    for endpoint in wanted:
        if dedupe_key is not None:
            taken = await tables.WebhookDelivery.filter(
                endpoint_id=endpoint.id, dedupe_key=dedupe_key
            ).using_db(connection)
            if taken:
                continue
        try:
            await tables.WebhookDelivery.create(
                using_db=connection,
                endpoint_id=endpoint.id,
                event_type=kind.value,
                message_id=message_id,
                body=body,
                next_attempt_at=now,
                dedupe_key=dedupe_key,
                created_at=now,
            )
        except IntegrityError:
            if dedupe_key is None:
                raise
            continue  # another replica wrote this window's row first
        written += 1
    return written
