"""Administrator operations that are not another area's own (users' roles are in accounts)."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from domain.errors import NotFound
from graph.context import Info, IsAdmin
from graph.errors import NotFoundError


@strawberry.type(description="The user's sessions are over; their live streams are closed.")
class RevokeUserSessionsSuccess:
    revoked_sessions: int = strawberry.field(description="How many sessions were still live.")


RevokeUserSessionsResult = Annotated[
    RevokeUserSessionsSuccess | NotFoundError,
    strawberry.union(
        "RevokeUserSessionsResult", description="How many sessions ended, or NotFoundError."
    ),
]


@strawberry.type
class AdminMutation:
    @strawberry.mutation(
        description="Sign a user out everywhere: every session ends at once, and its live "
        "streams close (administrators only).",
        permission_classes=[IsAdmin],
    )
    async def revoke_user_sessions(
        self,
        info: Info,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The user to sign out.")],
    ) -> RevokeUserSessionsResult:
        try:
            revoked = await info.context.services.accounts.revoke_user_sessions(
                caller=await info.context.require_caller(), user_id=_user_id(user_id)
            )
        except NotFound as exc:
            return NotFoundError(message=exc.message)
        return RevokeUserSessionsSuccess(revoked_sessions=revoked)


def _user_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("User") from None
