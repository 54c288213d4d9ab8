"""The registry's query fields: one model, a page of models, one version."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.errors import FieldError, ValidationFailed
from domain.registry import access
from domain.registry.service import ModelFilter
from graph.context import Info, IsAuthenticated
from graph.errors import parse_id
from graph.pagination import Connection, Edge, PageInfo, decode_cursor, encode_cursor, page_size
from graph.registry.inputs import ModelsFilter
from graph.registry.types import Model, ModelVersion


@strawberry.type
class RegistryQuery:
    @strawberry.field(
        description="A model by id, or by owner username and name.",
        permission_classes=[IsAuthenticated],
    )
    async def model(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The model's id; or give `owner` and `name`."),
        ] = None,
        owner: Annotated[
            str | None,
            strawberry.argument(
                description="The namespace: a username or a team name (with `name`)."
            ),
        ] = None,
        name: Annotated[
            str | None,
            strawberry.argument(description="The model's name in that namespace (with `owner`)."),
        ] = None,
    ) -> Model | None:
        caller = await info.context.require_caller()
        if id is not None:
            found = await access.find_model(caller, model_id=parse_id(id, "Model"))
        elif owner is not None and name is not None:
            found = await access.find_model(caller, owner=owner, name=name)
        else:
            raise ValidationFailed(
                [FieldError(("id",), "Give `id`, or `owner` and `name`.", "required")]
            )
        return Model.from_table(found.model, found.access) if found else None

    @strawberry.field(
        description="Models you own or that are shared with you, newest first.",
        permission_classes=[IsAuthenticated],
    )
    async def models(
        self,
        info: Info,
        filter: Annotated[
            ModelsFilter | None, strawberry.argument(description="Only models matching it.")
        ] = None,
        first: Annotated[int | None, strawberry.argument(description="1..100, default 20.")] = None,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="The `endCursor` of the previous page; omit it for the first page."
            ),
        ] = None,
    ) -> Connection[Model]:
        caller = await info.context.require_caller()
        registry = info.context.services.registry
        size = page_size(first)
        rows = await registry.list_models(
            caller=caller,
            filter=ModelFilter(
                name_contains=filter.name_contains if filter else None,
                owner=filter.owner if filter else None,
            ),
            limit=size + 1,
            after=decode_cursor(after),
        )
        page = rows[:size]
        levels = await access.access_levels(caller, page)
        edges = [
            Edge(cursor=encode_cursor(m.created_at, m.id), node=Model.from_table(m, level))
            for m, level in zip(page, levels, strict=True)
            if level is not None
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > size,
                end_cursor=encode_cursor(page[-1].created_at, page[-1].id) if page else None,
            ),
        )

    @strawberry.field(description="A model version by id.", permission_classes=[IsAuthenticated])
    async def model_version(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The version's id.")],
    ) -> ModelVersion | None:
        version = await info.context.services.registry.get_version(
            caller=await info.context.require_caller(), version_id=parse_id(id, "Version")
        )
        return ModelVersion.from_table(version) if version else None
