"""Teams in the schema: create, invite, accept, roles, leave; a team owns models."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from domain.errors import Forbidden, NotFound
from domain.teams import LastAdmin, NameTaken, TeamNotEmpty
from graph.accounts import UserProfile
from graph.context import Info, IsAdmin, IsAuthenticated
from graph.errors import Error, Maps, NotFoundError, ValidationError
from storage import tables


@strawberry.enum(description="A member's role in a team; each includes the ones before it.")
class TeamRole(Enum):
    VIEWER = strawberry.enum_value(
        "viewer", description="Sees the team's models, versions and analytics."
    )
    PREDICTOR = strawberry.enum_value("predictor", description="And predicts with them.")
    MAINTAINER = strawberry.enum_value(
        "maintainer", description="And publishes: creates models, uploads, moves aliases."
    )
    ADMIN = strawberry.enum_value(
        "admin", description="And manages the team: members, roles, deleting models."
    )


@strawberry.type(description="A member of a team, or someone invited to be one.")
class TeamMember:
    user: UserProfile = strawberry.field(description="The member, or the invited user.")
    role: TeamRole = strawberry.field(
        description="Their role in the team (or the one the invitation offers)."
    )
    invited_at: datetime = strawberry.field(
        description="When they were invited (UTC); the creator's join time."
    )
    joined_at: datetime | None = strawberry.field(description="Null while the invitation waits.")

    @classmethod
    def from_table(cls, member: tables.TeamMember) -> TeamMember:
        return cls(
            user=UserProfile.from_table(member.user),
            role=TeamRole(member.role),
            invited_at=member.invited_at,
            joined_at=member.joined_at,
        )


@strawberry.type(description="A team: it owns models (`team/name`), its members hold roles.")
class Team:
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    name: str = strawberry.field(description="Shares one namespace with usernames.")
    description: str = strawberry.field(description="Free text; may be empty.")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")

    @strawberry.field(
        description="Members and open invitations, oldest first (for members and admins; "
        "others, such as someone a team model is shared with, see none)."
    )
    async def members(self, info: Info) -> list[TeamMember]:
        caller = await info.context.require_caller()
        teams = info.context.services.teams
        if (
            not caller.is_admin
            and await teams.role_of(user_id=caller.user_id, team_id=self._id) is None
        ):
            return []
        rows = await teams.members(team_id=self._id)
        return [TeamMember.from_table(m) for m in rows]

    @strawberry.field(description="Your role here; null if you are only invited (or an admin).")
    async def my_role(self, info: Info) -> TeamRole | None:
        caller = await info.context.require_caller()
        role = await info.context.services.teams.role_of(user_id=caller.user_id, team_id=self._id)
        return TeamRole(role.value) if role else None

    _id: strawberry.Private[object]

    @classmethod
    def from_table(cls, team: tables.Team) -> Team:
        return cls(
            id=strawberry.ID(str(team.id)),
            name=team.name,
            description=team.description,
            created_at=team.created_at,
            _id=team.id,
        )


@strawberry.type(description="An invitation to join a team.")
class TeamInvitation:
    team: Team = strawberry.field(description="The team that invites you.")
    role: TeamRole = strawberry.field(description="The role you get on accepting.")
    invited_at: datetime = strawberry.field(description="When you were invited (UTC).")


@strawberry.type(description="The name is taken by a user or a team.")
class NameTakenError(Error):
    pass


@strawberry.type(description="A team keeps at least one admin.")
class LastAdminError(Error):
    pass


@strawberry.type(description="The team still owns models.")
class TeamNotEmptyError(Error):
    pass


@strawberry.type(description="The team, as it is now.")
class TeamSuccess:
    team: Team = strawberry.field(description="The created team.")


@strawberry.type(description="The member, as they are now.")
class TeamMemberSuccess:
    member: TeamMember = strawberry.field(description="The member or invitation.")


@strawberry.type(description="The caller may not do this in the team (its role is too low).")
class TeamForbiddenError(Error):
    pass


HANDLERS: tuple[Maps[Any], ...] = (
    Maps(NameTaken, NameTakenError, lambda e: NameTakenError(message=e.message)),
    Maps(LastAdmin, LastAdminError, lambda e: LastAdminError(message=e.message)),
    Maps(TeamNotEmpty, TeamNotEmptyError, lambda e: TeamNotEmptyError(message=e.message)),
    Maps(Forbidden, TeamForbiddenError, lambda e: TeamForbiddenError(message=e.message)),
)

TeamResult = Annotated[
    TeamSuccess | NameTakenError | ValidationError,
    strawberry.union("TeamResult", description="The team, or why it was not created."),
]
InviteResult = Annotated[
    TeamMemberSuccess | TeamForbiddenError | NotFoundError | ValidationError,
    strawberry.union("InviteResult", description="The invitation, or why it was not sent."),
]
InvitationResult = Annotated[
    TeamMemberSuccess | NotFoundError,
    strawberry.union(
        "InvitationResult",
        description="Your membership, or NotFoundError when no invitation waits.",
    ),
]
TeamMemberResult = Annotated[
    TeamMemberSuccess | LastAdminError | TeamForbiddenError | NotFoundError,
    strawberry.union("TeamMemberResult", description="The changed member, or why nothing changed."),
]


@strawberry.type(description="The member (or invitation) is gone from the team.")
class TeamMemberRemoved:
    team: str = strawberry.field(description="The team's name.")
    username: str = strawberry.field(description="Who left or was removed.")


RemoveTeamMemberResult = Annotated[
    TeamMemberRemoved | LastAdminError | TeamForbiddenError | NotFoundError,
    strawberry.union("RemoveTeamMemberResult", description="Who is gone, or why nobody is."),
]
DeleteTeamResult = Annotated[
    TeamSuccess | TeamNotEmptyError | TeamForbiddenError | NotFoundError,
    strawberry.union("DeleteTeamResult", description="Whether the team is gone, or why it is not."),
]


@strawberry.input(description="A new team; you become its admin.")
class CreateTeamInput:
    name: str = strawberry.field(
        description="1-39 of a-z 0-9 - _ (not starting or ending with - or _); shares one "
        "namespace with usernames."
    )
    description: str = strawberry.field(
        default="", description="Free text, at most 2000 characters."
    )


@strawberry.input(description="A user and a role in a team.")
class TeamMemberInput:
    team: str = strawberry.field(description="The team's name.")
    username: str = strawberry.field(description="The user to invite, or the member to change.")
    role: TeamRole = strawberry.field(description="The role to give.")


@strawberry.input(description="Who leaves a team.")
class RemoveTeamMemberInput:
    team: str = strawberry.field(description="The team's name.")
    username: str = strawberry.field(description="Your own username to leave the team.")


def _role(role: TeamRole) -> tables.TeamRole:
    return tables.TeamRole(role.value)


@strawberry.type
class TeamsQuery:
    @strawberry.field(
        description="A team you belong to or are invited to (administrators: any team).",
        permission_classes=[IsAuthenticated],
    )
    async def team(
        self, info: Info, name: Annotated[str, strawberry.argument(description="The team's name.")]
    ) -> Team | None:
        caller = await info.context.require_caller()
        try:
            found = await info.context.services.teams.get(caller=caller, name=name)
        except NotFound:
            return None
        return Team.from_table(found)

    @strawberry.field(
        description="The teams you are a member of.", permission_classes=[IsAuthenticated]
    )
    async def my_teams(self, info: Info) -> list[Team]:
        caller = await info.context.require_caller()
        return [
            Team.from_table(t) for t in await info.context.services.teams.list_mine(caller=caller)
        ]

    @strawberry.field(
        description="Invitations waiting for your answer.", permission_classes=[IsAuthenticated]
    )
    async def team_invitations(self, info: Info) -> list[TeamInvitation]:
        caller = await info.context.require_caller()
        rows = await info.context.services.teams.invitations(caller=caller)
        return [
            TeamInvitation(
                team=Team.from_table(m.team), role=TeamRole(m.role), invited_at=m.invited_at
            )
            for m in rows
        ]

    @strawberry.field(description="Every team (administrators only).", permission_classes=[IsAdmin])
    async def all_teams(self, info: Info) -> list[Team]:
        caller = await info.context.require_caller()
        return [
            Team.from_table(t) for t in await info.context.services.teams.list_all(caller=caller)
        ]


@strawberry.type
class TeamsMutation:
    @strawberry.mutation(
        description="Create a team; you are its first admin.", permission_classes=[IsAuthenticated]
    )
    async def create_team(
        self,
        info: Info,
        input: Annotated[
            CreateTeamInput, strawberry.argument(description="The team's name and description.")
        ],
    ) -> TeamResult:
        team = await info.context.services.teams.create(
            caller=await info.context.require_caller(),
            name=input.name,
            description=input.description,
        )
        return TeamSuccess(team=Team.from_table(team))

    @strawberry.mutation(
        description="Invite a user to a team with a role (team admins).",
        permission_classes=[IsAuthenticated],
    )
    async def invite_to_team(
        self,
        info: Info,
        input: Annotated[
            TeamMemberInput,
            strawberry.argument(description="The team, the user and the role (team admins)."),
        ],
    ) -> InviteResult:
        caller = await info.context.require_caller()
        member = await info.context.services.teams.invite(
            caller=caller, team=input.team, username=input.username, role=_role(input.role)
        )
        return TeamMemberSuccess(member=TeamMember.from_table(member))

    @strawberry.mutation(
        description="Accept an invitation: you join with the role it names.",
        permission_classes=[IsAuthenticated],
    )
    async def accept_team_invitation(
        self,
        info: Info,
        team: Annotated[
            str, strawberry.argument(description="The name of the team that invited you.")
        ],
    ) -> InvitationResult:
        caller = await info.context.require_caller()
        member = await info.context.services.teams.accept(caller=caller, team=team)
        return TeamMemberSuccess(member=TeamMember.from_table(member))

    @strawberry.mutation(description="Decline an invitation.", permission_classes=[IsAuthenticated])
    async def decline_team_invitation(
        self,
        info: Info,
        team: Annotated[
            str, strawberry.argument(description="The name of the team that invited you.")
        ],
    ) -> bool:
        caller = await info.context.require_caller()
        await info.context.services.teams.decline(caller=caller, team=team)
        return True

    @strawberry.mutation(
        description="Change a member's role (team admins); takes effect at once.",
        permission_classes=[IsAuthenticated],
    )
    async def set_team_member_role(
        self,
        info: Info,
        input: Annotated[
            TeamMemberInput,
            strawberry.argument(description="The team, the member and the new role (team admins)."),
        ],
    ) -> TeamMemberResult:
        member = await info.context.services.teams.set_role(
            caller=await info.context.require_caller(),
            team=input.team,
            username=input.username,
            role=_role(input.role),
        )
        return TeamMemberSuccess(member=TeamMember.from_table(member))

    @strawberry.mutation(
        description="Remove a member or an invitation (team admins), or leave a team (your own "
        "username). Access ends at once.",
        permission_classes=[IsAuthenticated],
    )
    async def remove_team_member(
        self,
        info: Info,
        input: Annotated[
            RemoveTeamMemberInput,
            strawberry.argument(description="The team and the member (team admins, or yourself)."),
        ],
    ) -> RemoveTeamMemberResult:
        await info.context.services.teams.remove(
            caller=await info.context.require_caller(), team=input.team, username=input.username
        )
        return TeamMemberRemoved(team=input.team.strip().lower(), username=input.username)

    @strawberry.mutation(
        description="Delete a team that owns no models (team admins).",
        permission_classes=[IsAuthenticated],
    )
    async def delete_team(
        self,
        info: Info,
        team: Annotated[
            str,
            strawberry.argument(
                description="The team's name (team admins; it must own no models)."
            ),
        ],
    ) -> DeleteTeamResult:
        caller = await info.context.require_caller()
        found = await info.context.services.teams.get(caller=caller, name=team)
        await info.context.services.teams.delete(caller=caller, team=team)
        return TeamSuccess(team=Team.from_table(found))
