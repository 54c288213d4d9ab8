"""The registry's mutation results: successes, named errors, their unions and handlers."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from domain.errors import Forbidden, IdempotencyKeyReused, ModelRejected, PayloadTooLarge
from domain.registry.rules import ModelNameTaken, VersionNotReady
from graph.errors import Error, Maps, NotFoundError, ValidationError
from graph.registry.types import Alias, Model, ModelVersion, Share, VersionStatus

# -- errors -------------------------------------------------------------------------------


@strawberry.type(description="The artifact failed intake and was not stored.")
class ModelRejectedError(Error):
    reason: str = strawberry.field(
        description="unknown_format, empty, truncated, forbidden_global, untrusted_type, "
        "external_data, no_predict, load_timeout, load_memory, load_failed, "
        "decompression_bomb or not_a_model."
    )


@strawberry.type(description="The file is larger than the upload limit.")
class PayloadTooLargeError(Error):
    limit_bytes: float


@strawberry.type(description="You already have a model with that name.")
class ModelNameTakenError(Error):
    pass


@strawberry.type(description="Only a ready version can carry an alias.")
class VersionNotReadyError(Error):
    status: VersionStatus


@strawberry.type(description="The idempotency key was already used for a different request.")
class IdempotencyKeyReusedError(Error):
    pass


@strawberry.type(description="You can see this model but not do this to it.")
class ForbiddenError(Error):
    pass


# -- results ------------------------------------------------------------------------------


@strawberry.type
class ModelSuccess:
    model: Model


@strawberry.type
class UploadModelVersionSuccess:
    version: ModelVersion
    deduplicated: bool = strawberry.field(
        description="True when these bytes (or this idempotency key) gave an existing version."
    )


@strawberry.type
class VersionSuccess:
    version: ModelVersion


@strawberry.type
class SetAliasSuccess:
    alias: Alias


@strawberry.type
class SetAliasTrafficSuccess:
    alias: Alias = strawberry.field(description="The alias, its `traffic` the new policy.")


@strawberry.type
class ShareSuccess:
    share: Share


@strawberry.type
class DoneSuccess:
    changed: bool = strawberry.field(description="False when there was nothing to do.")


CreateModelResult = Annotated[
    ModelSuccess | ValidationError | ModelNameTakenError | NotFoundError | ForbiddenError,
    strawberry.union("CreateModelResult"),
]
UpdateModelResult = Annotated[
    ModelSuccess | ValidationError | ModelNameTakenError | NotFoundError | ForbiddenError,
    strawberry.union("UpdateModelResult"),
]
UploadModelVersionResult = Annotated[
    UploadModelVersionSuccess
    | ValidationError
    | ModelRejectedError
    | PayloadTooLargeError
    | IdempotencyKeyReusedError
    | NotFoundError
    | ForbiddenError,
    strawberry.union("UploadModelVersionResult"),
]
VersionResult = Annotated[
    VersionSuccess | NotFoundError | ForbiddenError, strawberry.union("VersionResult")
]
SetAliasResult = Annotated[
    SetAliasSuccess | ValidationError | VersionNotReadyError | NotFoundError | ForbiddenError,
    strawberry.union("SetAliasResult"),
]
SetAliasTrafficResult = Annotated[
    SetAliasTrafficSuccess | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union("SetAliasTrafficResult"),
]
ShareModelResult = Annotated[
    ShareSuccess | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union("ShareModelResult"),
]
DoneResult = Annotated[DoneSuccess | NotFoundError | ForbiddenError, strawberry.union("DoneResult")]


HANDLERS: tuple[Maps[Any], ...] = (
    Maps(Forbidden, ForbiddenError, lambda e: ForbiddenError(message=e.message)),
    Maps(ModelNameTaken, ModelNameTakenError, lambda e: ModelNameTakenError(message=e.message)),
    Maps(
        VersionNotReady,
        VersionNotReadyError,
        lambda e: VersionNotReadyError(message=e.message, status=VersionStatus(e.status)),
    ),
    Maps(
        ModelRejected,
        ModelRejectedError,
        lambda e: ModelRejectedError(message=e.message, reason=e.reason),
    ),
    Maps(
        PayloadTooLarge,
        PayloadTooLargeError,
        lambda e: PayloadTooLargeError(message=e.message, limit_bytes=e.limit_bytes),
    ),
    Maps(
        IdempotencyKeyReused,
        IdempotencyKeyReusedError,
        lambda e: IdempotencyKeyReusedError(message=e.message),
    ),
)
