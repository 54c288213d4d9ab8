"""API keys in the schema: create (shown once), list, revoke; admins revoke a user's keys."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from domain.accounts import Scope
from domain.errors import Forbidden
from domain.registry import access
from graph.context import Info, IsAdmin, IsAuthenticated
from graph.errors import Error, Maps, NotFoundError, ValidationError, parse_id
from storage import tables


@strawberry.enum(description="What an API key may be used for.")
class ApiKeyScope(Enum):
    READ = strawberry.enum_value(
        "read", description="Queries: models, versions, analytics, logs, usage; event streams."
    )
    PREDICT = strawberry.enum_value("predict", description="Predictions.")
    PUBLISH = strawberry.enum_value(
        "publish", description="Create models, upload versions, move aliases, share, delete."
    )
    ADMIN = strawberry.enum_value(
        "admin",
        description="Administrator operations, and creating keys (administrators' keys only).",
    )


@strawberry.type(description="An API key. Its secret was shown once, when it was created.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="Opaque id; revoke with it.")
    name: str = strawberry.field(description="Given at creation, to recognise the key by.")
    prefix: str = strawberry.field(
        description="`msk_<public id>`: how the key begins, to tell keys apart."
    )
    scopes: list[ApiKeyScope] = strawberry.field(description="What it may be used for.")
    model_ids: list[strawberry.ID] | None = strawberry.field(
        description="The models the key is restricted to; null for every model you may reach."
    )
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    expires_at: datetime | None = strawberry.field(
        description="When it stops working (UTC); null when it does not expire."
    )
    last_used_at: datetime | None = strawberry.field(
        description="The last request made with it (UTC); null when never used."
    )
    last_used_address: str | None = strawberry.field(
        description="The client address of that request."
    )
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked (UTC); null while not revoked."
    )

    @strawberry.field(description="Neither revoked nor expired.")
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > datetime.now(self.expires_at.tzinfo)
        )

    @classmethod
    def from_table(cls, key: tables.ApiKey) -> ApiKey:
        return cls(
            id=strawberry.ID(str(key.id)),
            name=key.name,
            prefix=f"msk_{key.public_id}",
            scopes=[ApiKeyScope(s) for s in key.scopes],
            model_ids=(
                [strawberry.ID(m) for m in key.model_ids] if key.model_ids is not None else None
            ),
            created_at=key.created_at,
            expires_at=key.expires_at,
            last_used_at=key.last_used_at,
            last_used_address=key.last_used_ip,
            revoked_at=key.revoked_at,
        )


@strawberry.type(description="The new key. Keep `secret`: it is not shown again.")
class CreateApiKeySuccess:
    key: ApiKey = strawberry.field(description="The key's record (no secret).")
    secret: str = strawberry.field(
        description="The whole key, `msk_<public id>_<secret>`: send it as "
        "`Authorization: Bearer <key>` or `X-API-Key: <key>`."
    )


@strawberry.type(description="The caller may not do this (for example, a key creating a key).")
class ForbiddenKeyError(Error):
    pass


@strawberry.type(description="The key is revoked.")
class RevokeApiKeySuccess:
    key: ApiKey = strawberry.field(description="The key, its `revokedAt` set.")


@strawberry.type(description="Every active key of the user is revoked.")
class RevokeUserApiKeysSuccess:
    revoked: int = strawberry.field(
        description="How many keys were revoked (0 when none was active)."
    )


HANDLERS: tuple[Maps[Any], ...] = (
    Maps(Forbidden, ForbiddenKeyError, lambda e: ForbiddenKeyError(message=e.message)),
)

CreateApiKeyResult = Annotated[
    CreateApiKeySuccess | ValidationError | ForbiddenKeyError | NotFoundError,
    strawberry.union(
        "CreateApiKeyResult", description="The key and its secret, or why none was created."
    ),
]
RevokeApiKeyResult = Annotated[
    RevokeApiKeySuccess | NotFoundError,
    strawberry.union(
        "RevokeApiKeyResult",
        description="The revoked key, or NotFoundError for a key that is not yours.",
    ),
]
RevokeUserApiKeysResult = Annotated[
    RevokeUserApiKeysSuccess | NotFoundError,
    strawberry.union(
        "RevokeUserApiKeysResult",
        description="How many keys were revoked, or NotFoundError for an unknown user.",
    ),
]


@strawberry.input(description="A new API key for your account.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="1-64 characters, to recognise the key by.")
    scopes: list[ApiKeyScope] = strawberry.field(
        description="At least one; a key cannot do more than its user."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="At most a year ahead; null for a key that does not expire."
    )
    models: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Restrict the key to these models (ids); every other model is invisible "
        "to it. Null for every model you may reach.",
    )


@strawberry.type
class KeysQuery:
    @strawberry.field(
        description="Your API keys, newest first (an administrator may name another user).",
        permission_classes=[IsAuthenticated],
    )
    async def api_keys(
        self,
        info: Info,
        include_revoked: Annotated[
            bool,
            strawberry.argument(
                description="Also list revoked keys (expired ones are always listed)."
            ),
        ] = False,
        user_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Administrators only.")
        ] = None,
    ) -> list[ApiKey]:
        keys = await info.context.services.accounts.list_api_keys(
            caller=await info.context.require_caller(),
            user_id=parse_id(user_id, "User") if user_id is not None else None,
            include_revoked=include_revoked,
        )
        return [ApiKey.from_table(k) for k in keys]


@strawberry.type
class KeysMutation:
    @strawberry.mutation(
        description="Create an API key for your account. Needs a signed-in session (or a key "
        "with the admin scope). The secret is in the answer, once.",
        permission_classes=[IsAuthenticated],
    )
    async def create_api_key(
        self,
        info: Info,
        input: Annotated[
            CreateApiKeyInput,
            strawberry.argument(description="The key's name, scopes, expiry and models."),
        ],
    ) -> CreateApiKeyResult:
        context = info.context
        caller = await context.require_caller()
        model_ids = None
        if input.models is not None:
            # A key may name only models its user can see; others are as missing.
            model_ids = [parse_id(m, "Model") for m in input.models]
            for model_id in model_ids:
                await access.require_model(caller, model_id)
        created = await context.services.accounts.create_api_key(
            caller=caller,
            name=input.name,
            scopes=[Scope(s.value) for s in input.scopes],
            expires_at=input.expires_at,
            model_ids=model_ids,
        )
        return CreateApiKeySuccess(key=ApiKey.from_table(created.key), secret=created.plaintext)

    @strawberry.mutation(
        description="Revoke one of your API keys: the next request with it is refused and "
        "its open streams close.",
        permission_classes=[IsAuthenticated],
    )
    async def revoke_api_key(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The key's id.")],
    ) -> RevokeApiKeyResult:
        key = await info.context.services.accounts.revoke_api_key(
            caller=await info.context.require_caller(), key_id=parse_id(id, "API key")
        )
        return RevokeApiKeySuccess(key=ApiKey.from_table(key))

    @strawberry.mutation(
        description="Revoke every API key of a user (administrators only).",
        permission_classes=[IsAdmin],
    )
    async def revoke_user_api_keys(
        self,
        info: Info,
        user_id: Annotated[
            strawberry.ID, strawberry.argument(description="The user whose keys to revoke.")
        ],
    ) -> RevokeUserApiKeysResult:
        revoked = await info.context.services.accounts.revoke_user_api_keys(
            caller=await info.context.require_caller(), user_id=parse_id(user_id, "User")
        )
        return RevokeUserApiKeysSuccess(revoked=revoked)
