"""Accounts in the schema: register, login, tokens, the caller, and admin user management."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from domain import events
from domain.accounts import TokenPair
from domain.errors import InvalidCredentials, NotFound
from graph.context import Info, IsAdmin, IsAuthenticated
from graph.enums import described_enum
from graph.errors import Error, Maps, NotFoundError, ValidationError, parse_id
from graph.live import guarded
from graph.pagination import Connection, Edge, PageInfo, decode_cursor, encode_cursor, page_size
from storage import tables


@strawberry.enum(description="What a user may do across the platform.")
class Role(Enum):
    USER = strawberry.enum_value(
        "user", description="Publishes and predicts with their own models and those shared."
    )
    ADMIN = strawberry.enum_value(
        "admin", description="Also manages users, their keys, sessions and limits."
    )


@strawberry.type(description="A ModelServe account.")
class User:
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    email: str = strawberry.field(
        description="Normalised (trimmed, lower-case); seen only by its owner and administrators."
    )
    username: str = strawberry.field(description="Public handle; models are `username/name`.")
    role: Role = strawberry.field(description="What the user may do across the platform.")
    is_active: bool = strawberry.field(description="Deactivated users cannot log in.")
    created_at: datetime = strawberry.field(description="When the account was registered (UTC).")
    last_login_at: datetime | None = strawberry.field(
        description="The last successful login (UTC); null before the first."
    )

    @classmethod
    def from_table(cls, user: tables.User) -> User:
        return cls(
            id=strawberry.ID(str(user.id)),
            email=user.email,
            username=user.username,
            role=Role(user.role),
            is_active=user.is_active,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


@strawberry.type(
    description="Another user as others see them: the public handle only (emails stay private)."
)
class UserProfile:
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    username: str = strawberry.field(description="Public handle; models are `username/name`.")

    @classmethod
    def from_table(cls, user: tables.User) -> UserProfile:
        return cls(id=strawberry.ID(str(user.id)), username=user.username)


@strawberry.type(description="A fresh access token and the refresh token that replaces it.")
class AuthPayload:
    access_token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    access_token_expires_at: datetime = strawberry.field(
        description="When the access token stops working (UTC; 15 minutes by default)."
    )
    refresh_token: str = strawberry.field(
        description="Single use: `refreshToken` returns a new one and this one stops working."
    )
    refresh_token_expires_at: datetime = strawberry.field(
        description="When the refresh token stops working (UTC; 14 days by default)."
    )
    token_type: str = strawberry.field(description="Always `Bearer`.")
    user: User = strawberry.field(description="The signed-in user.")

    @classmethod
    def from_pair(cls, pair: TokenPair) -> AuthPayload:
        return cls(
            access_token=pair.access_token,
            access_token_expires_at=pair.access_expires_at,
            refresh_token=pair.refresh_token,
            refresh_token_expires_at=pair.refresh_expires_at,
            token_type="Bearer",  # noqa: S106 # nosec B106 - the OAuth token type, not a secret
            user=User.from_table(pair.user),
        )


@strawberry.type(description="Registration accepted; log in with the same email and password.")
class RegisterSuccess:
    email: str = strawberry.field(description="The email, normalised (trimmed, lower-case).")
    message: str = strawberry.field(description="A sentence to show the user.")


@strawberry.type(description="The email or password is wrong, or the account is deactivated.")
class InvalidCredentialsError(Error):
    pass


@strawberry.type(description="Password changed; every other session was signed out.")
class ChangePasswordSuccess:
    revoked_sessions: int = strawberry.field(description="How many other sessions were signed out.")


@strawberry.type(description="The session is over; its refresh tokens no longer work.")
class LogoutSuccess:
    ok: bool = strawberry.field(description="Always true.")


@strawberry.type(description="The user, as changed.")
class UpdateUserSuccess:
    user: User = strawberry.field(description="The changed user.")


HANDLERS: tuple[Maps[Any], ...] = (
    Maps(
        InvalidCredentials,
        InvalidCredentialsError,
        lambda e: InvalidCredentialsError(message=e.message),
    ),
)

RegisterResult = Annotated[
    RegisterSuccess | ValidationError,
    strawberry.union(
        "RegisterResult", description="Registration accepted, or the field errors of the input."
    ),
]
LoginResult = Annotated[
    AuthPayload | InvalidCredentialsError | ValidationError,
    strawberry.union("LoginResult", description="Tokens, or why they were refused."),
]
ChangePasswordResult = Annotated[
    ChangePasswordSuccess | ValidationError,
    strawberry.union(
        "ChangePasswordResult",
        description="How many sessions ended, or the field errors of the input.",
    ),
]
UpdateUserResult = Annotated[
    UpdateUserSuccess | ValidationError | NotFoundError,
    strawberry.union("UpdateUserResult", description="The changed user, or why nothing changed."),
]


@strawberry.input(description="A new account.")
class RegisterInput:
    email: str = strawberry.field(description="At most 320 characters.")
    password: str = strawberry.field(description="10 to 1024 characters.")
    username: str | None = strawberry.field(
        default=None,
        description="Public handle, 1-39 of a-z 0-9 - _; default: from the email's local part.",
    )


@strawberry.input(description="The credentials of an account.")
class LoginInput:
    email: str = strawberry.field(description="The account's email, any case.")
    password: str = strawberry.field(description="The account's password.")


@strawberry.input(description="The current password and the new one.")
class ChangePasswordInput:
    current_password: str = strawberry.field(
        description="Proves it is you; a wrong one is a ValidationError."
    )
    new_password: str = strawberry.field(description="10 to 1024 characters.")


@strawberry.input(description="What to change on a user (administrators); omitted fields stay.")
class UpdateUserInput:
    id: strawberry.ID = strawberry.field(description="The user's id.")
    role: Role | None = strawberry.field(default=None, description="The new role.")
    is_active: bool | None = strawberry.field(
        default=None, description="False signs the user out everywhere."
    )


described_enum(
    events.AccountEventKind,
    description="Something that happened to your account.",
    values={
        "LOGIN": "A successful login.",
        "SESSION_REVOKED": "A session ended; `reason` says why.",
        "PASSWORD_CHANGED": "The password changed; other sessions ended.",  # nosec B105 - a description
        "API_KEY_CREATED": "An API key was created.",
        "API_KEY_REVOKED": "An API key was revoked.",
        "WEBHOOK_DISABLED": "A webhook endpoint you registered failed too long and was disabled.",
    },
)


@strawberry.type(description="A security-relevant event on your account.")
class AccountEvent:
    kind: events.AccountEventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When (UTC).")
    ip: str | None = strawberry.field(
        default=None, description="The client address it came from, when known."
    )
    user_agent: str | None = strawberry.field(
        default=None, description="The client's User-Agent, when known."
    )
    reason: str | None = strawberry.field(
        default=None, description="For SESSION_REVOKED: logout, refresh_reuse, password_changed…"
    )


@strawberry.type
class AccountsQuery:
    @strawberry.field(description="The caller.", permission_classes=[IsAuthenticated])
    async def me(self, info: Info) -> User:
        caller = await info.context.require_caller()
        user = await info.context.loaders.user_by_id.load(caller.user_id)
        if user is None:
            raise NotFound("User")
        return User.from_table(user)

    @strawberry.field(
        description="A user by id (administrators only).", permission_classes=[IsAdmin]
    )
    async def user(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The user's id.")],
    ) -> User | None:
        user = await info.context.loaders.user_by_id.load(parse_id(id, "User"))
        return User.from_table(user) if user else None

    @strawberry.field(
        description="All users, newest first (administrators only).", permission_classes=[IsAdmin]
    )
    async def users(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="1..100, default 20.")] = None,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="The `endCursor` of the previous page; omit it for the first page."
            ),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Part of the email or username, any case (at most 320 characters)."
            ),
        ] = None,
    ) -> Connection[User]:
        size = page_size(first)
        rows = await info.context.services.accounts.list_users(
            caller=await info.context.require_caller(),
            limit=size + 1,
            after=decode_cursor(after),
            search=search,
        )
        edges = [
            Edge(cursor=encode_cursor(u.created_at, u.id), node=User.from_table(u))
            for u in rows[:size]
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > size,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.type
class AccountsMutation:
    @strawberry.mutation(
        description="Create an account. The answer does not reveal whether the "
        "email was already registered."
    )
    async def register(
        self,
        info: Info,
        input: Annotated[
            RegisterInput,
            strawberry.argument(description="The email, password and optional username."),
        ],
    ) -> RegisterResult:
        email = await info.context.services.accounts.register(
            email=input.email,
            password=input.password,
            username=input.username,
            ip=info.context.client_ip,
        )
        return RegisterSuccess(email=email, message="Registration received; you can now log in.")

    @strawberry.mutation(description="Exchange email and password for tokens.")
    async def login(
        self,
        info: Info,
        input: Annotated[
            LoginInput,
            strawberry.argument(
                description="Email and password. After 5 failures from one address (15 minutes) "
                "each guess waits, up to 30 s; 30 attempts a minute per address."
            ),
        ],
    ) -> LoginResult:
        pair = await info.context.services.accounts.login(
            email=input.email,
            password=input.password,
            ip=info.context.client_ip,
            user_agent=info.context.user_agent,
        )
        return AuthPayload.from_pair(pair)

    @strawberry.mutation(
        description="Trade a refresh token for a new pair. The old token stops working; "
        "presenting it again ends the whole session."
    )
    async def refresh_token(
        self,
        info: Info,
        refresh_token: Annotated[
            str,
            strawberry.argument(
                description="The refresh token of the last pair (from login or refreshToken)."
            ),
        ],
    ) -> AuthPayload:
        pair = await info.context.services.accounts.refresh(refresh_token=refresh_token)
        return AuthPayload.from_pair(pair)

    @strawberry.mutation(
        description="End the caller's session: its refresh tokens and access tokens stop working.",
        permission_classes=[IsAuthenticated],
    )
    async def logout(self, info: Info) -> LogoutSuccess:
        await info.context.services.accounts.logout(caller=await info.context.require_caller())
        return LogoutSuccess(ok=True)

    @strawberry.mutation(
        description="Change the caller's password; other sessions are signed out.",
        permission_classes=[IsAuthenticated],
    )
    async def change_password(
        self,
        info: Info,
        input: Annotated[
            ChangePasswordInput,
            strawberry.argument(description="The current and the new password."),
        ],
    ) -> ChangePasswordResult:
        revoked = await info.context.services.accounts.change_password(
            caller=await info.context.require_caller(),
            current_password=input.current_password,
            new_password=input.new_password,
            ip=info.context.client_ip,
        )
        return ChangePasswordSuccess(revoked_sessions=revoked)

    @strawberry.mutation(
        description="Change a user's role or activation (administrators only).",
        permission_classes=[IsAdmin],
    )
    async def update_user(
        self,
        info: Info,
        input: Annotated[
            UpdateUserInput,
            strawberry.argument(description="The user and the new role or activation."),
        ],
    ) -> UpdateUserResult:
        user = await info.context.services.accounts.update_user(
            caller=await info.context.require_caller(),
            user_id=parse_id(input.id, "User"),
            role=tables.Role(input.role.value) if input.role else None,
            is_active=input.is_active,
        )
        info.context.loaders.user_by_id.prime(user.id, user, force=True)
        return UpdateUserSuccess(user=User.from_table(user))


@strawberry.type
class AccountsSubscription:
    @strawberry.subscription(
        description="Security events on your account as they happen. The stream ends when your "
        "session ends or its access token expires.",
        permission_classes=[IsAuthenticated],
    )
    async def account_events(self, info: Info) -> AsyncGenerator[AccountEvent, None]:
        caller = await info.context.require_caller()
        async for message in guarded(info, events.account_channel(caller.user_id)):
            event = events.AccountEvent.from_message(message)
            yield AccountEvent(
                kind=event.kind,
                at=event.at,
                ip=event.ip,
                user_agent=event.user_agent,
                reason=event.reason,
            )
