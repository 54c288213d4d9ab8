"""The registry's mutations: each is call, map, return (errors map through ``HANDLERS``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from domain.errors import FieldError, ValidationFailed
from domain.registry import access
from domain.registry.access import Access
from domain.registry.service import WeightedVersion
from graph.context import Info, IsAuthenticated
from graph.errors import parse_id
from graph.loaders import forget
from graph.registry.inputs import (
    CreateModelInput,
    RemoveAliasInput,
    SetAliasInput,
    SetAliasTrafficInput,
    ShareModelInput,
    UnshareModelInput,
    UpdateModelInput,
    UploadModelVersionInput,
)
from graph.registry.results import (
    CreateModelResult,
    DoneResult,
    DoneSuccess,
    ModelSuccess,
    SetAliasResult,
    SetAliasSuccess,
    SetAliasTrafficResult,
    SetAliasTrafficSuccess,
    ShareModelResult,
    ShareSuccess,
    UpdateModelResult,
    UploadModelVersionResult,
    UploadModelVersionSuccess,
    VersionResult,
    VersionSuccess,
)
from graph.registry.types import Alias, Model, ModelVersion, Share
from storage import tables


async def upload_chunks(upload: Upload) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1 << 20):
        yield chunk


@strawberry.type
class RegistryMutation:
    @strawberry.mutation(description="Create an empty model.", permission_classes=[IsAuthenticated])
    async def create_model(
        self,
        info: Info,
        input: Annotated[
            CreateModelInput,
            strawberry.argument(
                description="The model to create (for yourself, or a team you maintain)."
            ),
        ],
    ) -> CreateModelResult:
        model = await info.context.services.registry.create_model(
            caller=await info.context.require_caller(),
            name=input.name,
            description=input.description,
            tags=input.tags,
            team=input.team,
        )
        [level] = await access.access_levels(await info.context.require_caller(), [model])
        return ModelSuccess(model=Model.from_table(model, level or Access.VIEWER))

    @strawberry.mutation(
        description="Rename (owner only), describe or tag a model.",
        permission_classes=[IsAuthenticated],
    )
    async def update_model(
        self,
        info: Info,
        input: Annotated[
            UpdateModelInput,
            strawberry.argument(
                description="The model and what to change (maintainers; renaming, the owner)."
            ),
        ],
    ) -> UpdateModelResult:
        caller = await info.context.require_caller()
        model = await info.context.services.registry.update_model(
            caller=caller,
            model_id=parse_id(input.id, "Model"),
            name=input.name,
            description=input.description,
            tags=input.tags,
            log_policy=tables.LogPolicy(input.log_policy.value) if input.log_policy else None,
            prediction_cache_ttl_s=input.prediction_cache_ttl_s or None,
            clear_prediction_cache=input.prediction_cache_ttl_s == 0,
        )
        level = await access.access_to(caller, model)
        return ModelSuccess(model=Model.from_table(model, level or Access.VIEWER))

    @strawberry.mutation(
        description="Upload a new version (GraphQL multipart request). The file is checked "
        "without being executed, then loaded once in an isolated process to read its signature.",
        permission_classes=[IsAuthenticated],
    )
    async def upload_model_version(
        self,
        info: Info,
        input: Annotated[
            UploadModelVersionInput,
            strawberry.argument(description="The file and what to record with it (maintainers)."),
        ],
    ) -> UploadModelVersionResult:
        caller = await info.context.require_caller()
        await info.context.services.quotas.charge_upload(caller=caller)
        metrics = input.metrics if input.metrics is not None else {}
        if not isinstance(metrics, dict):
            raise ValidationFailed(
                [FieldError(("input", "metrics"), "Must be an object.", "invalid")]
            )
        example = input.input_example
        if input.input_example_records is not None:
            records = input.input_example_records
            if example is not None or not isinstance(records, list) or not records:
                message = "Give a non-empty list of records, and no `inputExample` with it."
                raise ValidationFailed(
                    [FieldError(("input", "inputExampleRecords"), message, "invalid")]
                )
            example = records
        outcome = await info.context.services.registry.upload_version(
            caller=caller,
            model_id=parse_id(input.model_id, "Model"),
            chunks=upload_chunks(input.file),
            filename=getattr(input.file, "filename", None),
            description=input.description,
            tags=input.tags,
            metrics=metrics,
            input_example=example,
            idempotency_key=idempotency_key_of(info, input.idempotency_key),
        )
        forget(info.context.loaders.versions_by_model_id, outcome.version.model_id)
        return UploadModelVersionSuccess(
            version=ModelVersion.from_table(outcome.version), deduplicated=outcome.deduplicated
        )

    @strawberry.mutation(
        description="Point an alias at a ready version: promote, or roll back.",
        permission_classes=[IsAuthenticated],
    )
    async def set_alias(
        self,
        info: Info,
        input: Annotated[
            SetAliasInput,
            strawberry.argument(description="The alias and its version (maintainers)."),
        ],
    ) -> SetAliasResult:
        alias = await info.context.services.registry.set_alias(
            caller=await info.context.require_caller(),
            model_id=parse_id(input.model_id, "Model"),
            alias=input.alias,
            version_id=parse_id(input.version_id, "Model version"),
            reason=input.reason,
        )
        forget(info.context.loaders.traffic_by_model_id, alias.model_id)
        return SetAliasSuccess(alias=Alias.from_table(alias))

    @strawberry.mutation(
        description="Set an alias's traffic policy: a weighted split between versions (a "
        "canary), sticky per caller, and shadow versions that get a copy of every call off "
        "the request path (maintainers). Audited in the alias history; applies on every "
        "replica at once. A plain setAlias move clears it.",
        permission_classes=[IsAuthenticated],
    )
    async def set_alias_traffic(
        self,
        info: Info,
        input: Annotated[
            SetAliasTrafficInput,
            strawberry.argument(description="The alias and its whole new policy (maintainers)."),
        ],
    ) -> SetAliasTrafficResult:
        alias = await info.context.services.registry.set_alias_traffic(
            caller=await info.context.require_caller(),
            model_id=parse_id(input.model_id, "Model"),
            alias=input.alias,
            split=[
                WeightedVersion(_version_id(share.version_id), share.weight)
                for share in input.split
            ],
            shadows=[_version_id(raw) for raw in input.shadows],
            reason=input.reason,
        )
        forget(info.context.loaders.traffic_by_model_id, alias.model_id)
        forget(info.context.loaders.alias_events_by_model_id, alias.model_id)
        return SetAliasTrafficSuccess(alias=Alias.from_table(alias))

    @strawberry.mutation(description="Remove an alias.", permission_classes=[IsAuthenticated])
    async def remove_alias(
        self,
        info: Info,
        input: Annotated[
            RemoveAliasInput, strawberry.argument(description="The alias to remove (maintainers).")
        ],
    ) -> DoneResult:
        changed = await info.context.services.registry.remove_alias(
            caller=await info.context.require_caller(),
            model_id=parse_id(input.model_id, "Model"),
            alias=input.alias,
            reason=input.reason,
        )
        return DoneSuccess(changed=changed)

    @strawberry.mutation(
        description="Archive a version: it keeps its number, loses its aliases, serves no more.",
        permission_classes=[IsAuthenticated],
    )
    async def archive_version(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The version to archive (maintainers).")
        ],
    ) -> VersionResult:
        version = await info.context.services.registry.archive_version(
            caller=await info.context.require_caller(), version_id=parse_id(id, "Model version")
        )
        return VersionSuccess(version=ModelVersion.from_table(version))

    @strawberry.mutation(
        description="Bring an archived version back to ready.",
        permission_classes=[IsAuthenticated],
    )
    async def restore_version(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The archived version to restore (maintainers)."),
        ],
    ) -> VersionResult:
        version = await info.context.services.registry.restore_version(
            caller=await info.context.require_caller(), version_id=parse_id(id, "Model version")
        )
        return VersionSuccess(version=ModelVersion.from_table(version))

    @strawberry.mutation(
        description="Delete a model (owner only). It disappears at once; its files are "
        "removed by a background cleanup.",
        permission_classes=[IsAuthenticated],
    )
    async def delete_model(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The model to delete (owner only).")
        ],
    ) -> DoneResult:
        await info.context.services.registry.delete_model(
            caller=await info.context.require_caller(), model_id=parse_id(id, "Model")
        )
        return DoneSuccess(changed=True)

    @strawberry.mutation(
        description="Give a user access to a model, or change their level.",
        permission_classes=[IsAuthenticated],
    )
    async def share_model(
        self,
        info: Info,
        input: Annotated[
            ShareModelInput,
            strawberry.argument(description="The model, the user and the level (maintainers)."),
        ],
    ) -> ShareModelResult:
        share = await info.context.services.registry.share_model(
            caller=await info.context.require_caller(),
            model_id=parse_id(input.model_id, "Model"),
            username=input.username,
            level=input.level,
        )
        forget(info.context.loaders.shares_by_model_id, share.model_id)
        return ShareSuccess(
            share=Share(
                level=tables.ShareLevel(share.level),
                created_at=share.created_at,
                user_id=share.user_id,
            )
        )

    @strawberry.mutation(
        description="Take a user's access away.", permission_classes=[IsAuthenticated]
    )
    async def unshare_model(
        self,
        info: Info,
        input: Annotated[
            UnshareModelInput,
            strawberry.argument(description="The model and the user (maintainers)."),
        ],
    ) -> DoneResult:
        changed = await info.context.services.registry.unshare_model(
            caller=await info.context.require_caller(),
            model_id=parse_id(input.model_id, "Model"),
            username=input.username,
        )
        return DoneSuccess(changed=changed)


def _version_id(raw: str) -> uuid.UUID:
    """A version id of the policy; one that is not a UUID becomes the nil UUID, which names no
    version, so the domain reports it at its place in the input like any unknown version."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        return uuid.UUID(int=0)


def idempotency_key_of(info: Info, argument: str | None) -> str | None:
    """The ``idempotencyKey`` argument, or the ``Idempotency-Key`` header of an HTTP request;
    both may be given only when they agree."""
    context = info.context
    header = (
        None
        if context.connection_params is not None
        else context.request.headers.get("idempotency-key")
    )
    if header is None:
        return argument
    if argument is not None and argument != header:
        raise ValidationFailed(
            [
                FieldError(
                    ("input", "idempotencyKey"),
                    "Differs from the Idempotency-Key header; give one or make them agree.",
                    "conflict",
                )
            ]
        )
    return header
