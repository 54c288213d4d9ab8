"""Live streams over websockets: predictions of a model, and what happens to a model."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from domain import events
from domain.accounts import Caller
from domain.predictions import predictions_channel
from domain.registry import access
from domain.registry.access import Access
from graph.context import Info, IsAuthenticated
from graph.live import Check, guarded
from graph.registry import parse_id


async def _model_for(info: Info, model: str, needed: Access) -> uuid.UUID:
    """The model's id when the caller has ``needed`` access; NOT_FOUND otherwise."""
    caller = await info.context.require_caller()
    if "/" in model:
        owner, _, name = model.partition("/")
        found = await access.find_model(caller, owner=owner, name=name)
    else:
        found = await access.find_model(caller, model_id=parse_id(model, "Model"))
    access.check(found.access if found else None, needed)
    assert found is not None
    return found.model.id


def _access_check(model_id: uuid.UUID, needed: Access) -> Check:
    async def check(caller: Caller) -> bool:
        found = await access.find_model(caller, model_id=model_id)
        return found is not None and found.access >= needed

    return check


@strawberry.type(description="One prediction, as it happened (inputs per the model's log policy).")
class PredictionEvent:
    id: strawberry.ID = strawberry.field(description="Opaque id of the log record.")
    request_id: str = strawberry.field(description="The request's id (`X-Request-ID`).")
    status: str = strawberry.field(description="ok or error.")
    error_code: str | None = strawberry.field(
        description="The error's code (e.g. INVALID_INPUT) when status is error."
    )
    rows: int = strawberry.field(description="Rows in the call.")
    latency_ms: float = strawberry.field(description="Server time for the call, in milliseconds.")
    version_id: strawberry.ID | None = strawberry.field(
        description="The version that answered; null when none was resolved."
    )
    version_number: int | None = strawberry.field(description="Its number.")
    caller_id: strawberry.ID | None = strawberry.field(
        description="The user who called (for an API key, its owner)."
    )
    inputs: JSON | None = strawberry.field(description="Null unless the log policy is full.")
    inputs_hash: str | None = strawberry.field(description="For the hash log policy.")
    outputs: JSON | None = strawberry.field(
        description="The predictions; null under the none log policy."
    )
    shadow: bool = strawberry.field(
        description="A shadow version's copy of a call, answered to no one (same requestId)."
    )
    at: datetime = strawberry.field(description="When it was made (UTC).")

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> PredictionEvent:
        return cls(
            id=strawberry.ID(event["id"]),
            request_id=event["requestId"],
            status=event["status"],
            error_code=event.get("errorCode"),
            rows=event["nRows"],
            latency_ms=event["latencyMs"],
            version_id=event.get("versionId"),
            version_number=event.get("versionNumber"),
            caller_id=event.get("callerId"),
            inputs=event.get("inputs"),
            inputs_hash=event.get("inputsHash"),
            outputs=event.get("outputs"),
            shadow=bool(event.get("shadow")),
            at=datetime.fromisoformat(event["at"]),
        )


@strawberry.enum(description="What happened to a model.")
class ModelEventKind(Enum):
    """The kinds subscribers see: who a model is shared with is for its maintainers only."""

    VERSION_CREATED = strawberry.enum_value(
        "VERSION_CREATED", description="A version was uploaded."
    )
    VERSION_ARCHIVED = strawberry.enum_value(
        "VERSION_ARCHIVED", description="A version was archived."
    )
    VERSION_RESTORED = strawberry.enum_value(
        "VERSION_RESTORED", description="An archived version was restored."
    )
    VERSION_RUNTIME_CHANGED = strawberry.enum_value(
        "VERSION_RUNTIME_CHANGED", description="A version's runtime or micro-batching changed."
    )
    ALIAS_MOVED = strawberry.enum_value(
        "ALIAS_MOVED", description="An alias was set, moved or removed."
    )
    ALIAS_TRAFFIC_CHANGED = strawberry.enum_value(
        "ALIAS_TRAFFIC_CHANGED", description="An alias's traffic policy changed."
    )
    MODEL_UPDATED = strawberry.enum_value(
        "MODEL_UPDATED", description="The model's name, description, tags or policies changed."
    )
    MODEL_DELETED = strawberry.enum_value(
        "MODEL_DELETED", description="The model was deleted; the stream ends."
    )
    DRIFT_DETECTED = strawberry.enum_value(
        "DRIFT_DETECTED", description="The scheduled drift check found drift."
    )


_SHOWN = {kind.value for kind in ModelEventKind}


@strawberry.type(
    description="A change to a model: a new version, an alias move, an archival; or drift."
)
class ModelEvent:
    kind: ModelEventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When (UTC).")
    model_id: strawberry.ID = strawberry.field(description="The model.")
    version_id: strawberry.ID | None = strawberry.field(
        default=None, description="The version concerned, if any."
    )
    version_number: int | None = strawberry.field(default=None, description="Its number.")
    alias: str | None = strawberry.field(
        default=None, description="For alias events: the alias's name."
    )
    from_version_id: strawberry.ID | None = strawberry.field(
        default=None, description="For ALIAS_MOVED: where it pointed before (null if new)."
    )
    to_version_id: strawberry.ID | None = strawberry.field(
        default=None, description="For ALIAS_MOVED: where it points now (null if removed)."
    )
    drifted_features: list[str] | None = strawberry.field(
        default=None,
        description="For DRIFT_DETECTED: what drifted (`prediction` for the predictions).",
    )

    @classmethod
    def from_domain(cls, event: events.ModelEvent) -> ModelEvent:
        return cls(
            kind=ModelEventKind(event.kind.value),
            at=event.at,
            model_id=strawberry.ID(str(event.model_id)),
            version_id=_gid(event.version_id),
            version_number=event.number,
            alias=event.alias,
            from_version_id=_gid(event.from_version_id),
            to_version_id=_gid(event.to_version_id),
        )

    @classmethod
    def from_drift(cls, event: events.DriftEvent) -> ModelEvent:
        return cls(
            kind=ModelEventKind.DRIFT_DETECTED,
            at=event.at,
            model_id=strawberry.ID(str(event.model_id)),
            version_id=_gid(event.version_id),
            version_number=event.number,
            drifted_features=list(event.features),
        )


def _gid(value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None


_MODEL_ARG = strawberry.argument(description="A model id or `owner/name`.")


@strawberry.type
class StreamsSubscription:
    @strawberry.subscription(
        description="Every prediction of a model as it is made, by anyone, on any replica "
        "(owners and maintainers).",
        permission_classes=[IsAuthenticated],
    )
    async def predictions(
        self, info: Info, model: Annotated[str, _MODEL_ARG]
    ) -> AsyncGenerator[PredictionEvent, None]:
        model_id = await _model_for(info, model, Access.MAINTAINER)
        async for event in guarded(
            info,
            predictions_channel(model_id),
            _access_check(model_id, Access.MAINTAINER),
        ):
            yield PredictionEvent.from_event(event)

    @strawberry.subscription(
        description="New versions, alias moves, archival and deletion of a model, and drift "
        "the scheduled check found (anyone who can see it).",
        permission_classes=[IsAuthenticated],
    )
    async def model_events(
        self, info: Info, model: Annotated[str, _MODEL_ARG]
    ) -> AsyncGenerator[ModelEvent, None]:
        model_id = await _model_for(info, model, Access.VIEWER)
        async for message in guarded(
            info, events.model_channel(model_id), _access_check(model_id, Access.VIEWER)
        ):
            change = events.model_message(message)
            if isinstance(change, events.DriftEvent):
                yield ModelEvent.from_drift(change)
                continue
            if change.kind.value in _SHOWN:
                yield ModelEvent.from_domain(change)
            if change.kind is events.ModelEventKind.MODEL_DELETED:
                return
