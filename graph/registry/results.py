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
    limit_bytes: float = strawberry.field(description="The limit the file exceeded, in bytes.")


@strawberry.type(description="You already have a model with that name.")
class ModelNameTakenError(Error):
    pass


@strawberry.type(description="Only a ready version can carry an alias.")
class VersionNotReadyError(Error):
    status: VersionStatus = strawberry.field(description="The version's status now.")


@strawberry.type(description="The idempotency key was already used for a different request.")
class IdempotencyKeyReusedError(Error):
    pass


@strawberry.type(description="You can see this model but not do this to it.")
class ForbiddenError(Error):
    pass


# -- results ------------------------------------------------------------------------------


@strawberry.type(description="The model, as it is now.")
class ModelSuccess:
    model: Model = strawberry.field(description="The created or updated model.")


@strawberry.type(description="The upload became a version (or matched an existing one).")
class UploadModelVersionSuccess:
    version: ModelVersion = strawberry.field(
        description="The version; `status` READY once intake passed."
    )
    deduplicated: bool = strawberry.field(
        description="True when these bytes (or this idempotency key) gave an existing version."
    )


@strawberry.type(description="The version, as it is now.")
class VersionSuccess:
    version: ModelVersion = strawberry.field(description="The archived or restored version.")


@strawberry.type(description="The alias moved.")
class SetAliasSuccess:
    alias: Alias = strawberry.field(description="The alias, pointing at its new version.")


@strawberry.type(description="The alias's traffic policy was replaced.")
class SetAliasTrafficSuccess:
    alias: Alias = strawberry.field(description="The alias, its `traffic` the new policy.")


@strawberry.type(description="The model is shared.")
class ShareSuccess:
    share: Share = strawberry.field(description="The share as it is now.")


@strawberry.type(description="The operation was applied (or had nothing to do).")
class DoneSuccess:
    changed: bool = strawberry.field(description="False when there was nothing to do.")


CreateModelResult = Annotated[
    ModelSuccess | ValidationError | ModelNameTakenError | NotFoundError | ForbiddenError,
    strawberry.union(
        "CreateModelResult", description="The created model, or why it was not created."
    ),
]
UpdateModelResult = Annotated[
    ModelSuccess | ValidationError | ModelNameTakenError | NotFoundError | ForbiddenError,
    strawberry.union("UpdateModelResult", description="The updated model, or why nothing changed."),
]
UploadModelVersionResult = Annotated[
    UploadModelVersionSuccess
    | ValidationError
    | ModelRejectedError
    | PayloadTooLargeError
    | IdempotencyKeyReusedError
    | NotFoundError
    | ForbiddenError,
    strawberry.union(
        "UploadModelVersionResult", description="The new version, or why the upload was refused."
    ),
]
VersionResult = Annotated[
    VersionSuccess | NotFoundError | ForbiddenError,
    strawberry.union("VersionResult", description="The changed version, or why nothing changed."),
]
SetAliasResult = Annotated[
    SetAliasSuccess | ValidationError | VersionNotReadyError | NotFoundError | ForbiddenError,
    strawberry.union("SetAliasResult", description="The moved alias, or why it did not move."),
]
SetAliasTrafficResult = Annotated[
    SetAliasTrafficSuccess | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union(
        "SetAliasTrafficResult",
        description="The alias with its new policy, or why nothing changed.",
    ),
]
ShareModelResult = Annotated[
    ShareSuccess | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union("ShareModelResult", description="The share, or why it was not made."),
]
DoneResult = Annotated[
    DoneSuccess | NotFoundError | ForbiddenError,
    strawberry.union("DoneResult", description="Whether something changed, or why nothing could."),
]


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
