"""Teams: a team owns models, and its members' roles say what each may do with them.

Team names share one namespace with usernames, so ``acme/churn`` names one model whether
``acme`` is a person or a team. Joining is by invitation (a team admin names a username and a
role; the invitee accepts). A team always keeps an admin: the last one can neither leave nor be
demoted or removed. A change of membership emits an event for each of the team's models, so
every replica drops what it remembers of who may reach them: a removal takes effect at once.
Every change is in the audit log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.accounts import Caller
from domain.accounts.service import USERNAME_RE
from domain.audit import AuditAction, AuditTarget, AuditTrail
from domain.audit.trail import TargetType
from domain.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from domain.events import Emitter, ModelEvent, ModelEventKind
from storage import tables
from storage.tables.teams import TeamRole

MAX_DESCRIPTION = 2_000
ROLE_ORDER = list(TeamRole)


def at_least(role: TeamRole | None, needed: TeamRole) -> bool:
    return role is not None and ROLE_ORDER.index(role) >= ROLE_ORDER.index(needed)


async def role_in_team(*, user_id: uuid.UUID, team_id: uuid.UUID) -> TeamRole | None:
    """The user's role in the team; None for a stranger or someone only invited."""
    member = await tables.TeamMember.get_or_none(
        team_id=team_id, user_id=user_id, joined_at__not_isnull=True
    )
    return TeamRole(member.role) if member else None


class NameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"The name {name!r} is taken by a user or a team.")


class LastAdmin(Conflict):
    def __init__(self) -> None:
        super().__init__("A team keeps at least one admin: make someone else admin first.")


class TeamNotEmpty(Conflict):
    def __init__(self, models: int) -> None:
        super().__init__(f"The team still owns {models} model(s); delete or move them first.")


def _target(team: tables.Team) -> AuditTarget:
    return AuditTarget(TargetType.TEAM, str(team.id), team.name)


def _now() -> datetime:
    return datetime.now(UTC)


def _name(raw: str) -> str:
    return raw.strip().lower()


class Teams:
    def __init__(self, *, emitter: Emitter) -> None:
        self._emitter = emitter

    async def _changed(self, caller: Caller, team_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Every replica forgets ``user_id``'s grants on the team's models, and their open
        streams re-check access."""
        for model_id in await tables.Model.filter(team_id=team_id, deleted_at=None).values_list(
            "id", flat=True
        ):
            await self._emitter.emit(
                ModelEvent(
                    ModelEventKind.TEAM_ACCESS_CHANGED, model_id, caller.user_id, user_id=user_id
                )
            )

    # -- reading ----------------------------------------------------------------------------

    async def role_of(self, *, user_id: uuid.UUID, team_id: uuid.UUID) -> TeamRole | None:
        return await role_in_team(user_id=user_id, team_id=team_id)

    async def get(self, *, caller: Caller, name: str) -> tables.Team:
        """The team when the caller belongs to it, is invited to it, or is an administrator;
        NotFound otherwise, exactly as for a team that does not exist."""
        team = await tables.Team.get_or_none(name=_name(name))
        if team is None:
            raise NotFound("Team")
        if caller.is_admin:
            return team
        if not await tables.TeamMember.exists(team_id=team.id, user_id=caller.user_id):
            raise NotFound("Team")
        return team

    async def list_mine(self, *, caller: Caller) -> list[tables.Team]:
        return await tables.Team.filter(
            members__user_id=caller.user_id, members__joined_at__not_isnull=True
        ).order_by("name")

    async def list_all(self, *, caller: Caller) -> list[tables.Team]:
        if not caller.is_admin:
            raise Forbidden("Administrators only.")
        return await tables.Team.all().order_by("name")

    async def invitations(self, *, caller: Caller) -> list[tables.TeamMember]:
        return (
            await tables.TeamMember.filter(user_id=caller.user_id, joined_at=None)
            .select_related("team")
            .order_by("-invited_at")
        )

    async def members(self, *, team_id: uuid.UUID) -> list[tables.TeamMember]:
        return (
            await tables.TeamMember.filter(team_id=team_id)
            .select_related("user")
            .order_by("invited_at", "id")
        )

    async def _require(self, caller: Caller, name: str, needed: TeamRole) -> tables.Team:
        team = await self.get(caller=caller, name=name)
        if caller.is_admin:
            return team
        role = await self.role_of(user_id=caller.user_id, team_id=team.id)
        if role is None:
            # Invited, not yet a member: the team exists for them, its powers do not.
            raise Forbidden("Accept the invitation first.")
        if not at_least(role, needed):
            raise Forbidden(f"You need the {needed.value} role in this team.")
        return team

    # -- changes ----------------------------------------------------------------------------

    async def create(self, *, caller: Caller, name: str, description: str) -> tables.Team:
        name = _name(name)
        errors: list[FieldError] = []
        if not USERNAME_RE.match(name):
            errors.append(
                FieldError(
                    ("input", "name"),
                    "Use 1-39 lower-case letters, digits, '-' or '_', starting and ending with "
                    "a letter or digit.",
                    "invalid_name",
                )
            )
        if len(description) > MAX_DESCRIPTION:
            errors.append(
                FieldError(
                    ("input", "description"), f"At most {MAX_DESCRIPTION} characters.", "too_long"
                )
            )
        if errors:
            raise ValidationFailed(errors)
        if await tables.User.exists(username=name):
            raise NameTaken(name)
        try:
            async with in_transaction():
                team = await tables.Team.create(
                    name=name, description=description, created_by_id=caller.user_id
                )
                await tables.TeamMember.create(
                    team_id=team.id,
                    user_id=caller.user_id,
                    role=TeamRole.ADMIN,
                    invited_by_id=caller.user_id,
                    joined_at=_now(),
                )
                await AuditTrail.record(
                    AuditAction.TEAM_CREATED, actor=caller, target=_target(team)
                )
        except IntegrityError:
            raise NameTaken(name) from None
        return team

    async def invite(
        self, *, caller: Caller, team: str, username: str, role: TeamRole
    ) -> tables.TeamMember:
        found = await self._require(caller, team, TeamRole.ADMIN)
        user = await tables.User.get_or_none(username=_name(username), is_active=True)
        if user is None:
            raise NotFound("User")
        existing = await tables.TeamMember.get_or_none(team_id=found.id, user_id=user.id)
        if existing is not None:
            raise ValidationFailed(
                [
                    FieldError(
                        ("input", "username"),
                        "Already a member." if existing.joined_at else "Already invited.",
                        "member",
                    )
                ]
            )
        try:
            async with in_transaction():
                member = await self._invite(caller, found, user, role)
        except IntegrityError:
            # Another invitation of the same user won the race.
            raise ValidationFailed(
                [FieldError(("input", "username"), "Already invited.", "member")]
            ) from None
        member.user = user
        return member

    async def _invite(
        self, caller: Caller, found: tables.Team, user: tables.User, role: TeamRole
    ) -> tables.TeamMember:
        member = await tables.TeamMember.create(
            team_id=found.id, user_id=user.id, role=role, invited_by_id=caller.user_id
        )
        await AuditTrail.record(
            AuditAction.TEAM_MEMBER_ADDED,
            actor=caller,
            target=_target(found),
            detail={"user": user.username, "role": role.value, "invited": True},
        )
        return member

    async def accept(self, *, caller: Caller, team: str) -> tables.TeamMember:
        member = await self._invitation(caller, team)
        async with in_transaction():
            member.joined_at = _now()
            await member.save(update_fields=["joined_at"])
            await AuditTrail.record(
                AuditAction.TEAM_MEMBER_ADDED,
                actor=caller,
                target=_target(member.team),
                detail={"user": member.user.username, "role": member.role, "joined": True},
            )
        await self._changed(caller, member.team_id, member.user_id)
        return member

    async def decline(self, *, caller: Caller, team: str) -> None:
        member = await self._invitation(caller, team)
        await member.delete()

    async def _invitation(self, caller: Caller, team: str) -> tables.TeamMember:
        member = (
            await tables.TeamMember.filter(
                team__name=_name(team), user_id=caller.user_id, joined_at=None
            )
            .select_related("team", "user")
            .first()
        )
        if member is None:
            raise NotFound("Invitation")
        return member

    async def set_role(
        self, *, caller: Caller, team: str, username: str, role: TeamRole
    ) -> tables.TeamMember:
        found = await self._require(caller, team, TeamRole.ADMIN)
        async with in_transaction():
            member = await self._member(found, username)
            if member.role == TeamRole.ADMIN and role != TeamRole.ADMIN:
                await self._keep_an_admin(found, member)
            before = member.role
            member.role = role
            await member.save(update_fields=["role"])
            await AuditTrail.record(
                AuditAction.TEAM_ROLE_CHANGED,
                actor=caller,
                target=_target(found),
                detail={"user": member.user.username, "from": before, "to": role.value},
            )
        await self._changed(caller, found.id, member.user_id)
        return member

    async def remove(self, *, caller: Caller, team: str, username: str) -> None:
        """Remove a member or an invitation (team admins), or leave (anyone, for themselves)."""
        if _name(username) == (await self._username(caller)):
            found = await self.get(caller=caller, name=team)
        else:
            found = await self._require(caller, team, TeamRole.ADMIN)
        async with in_transaction():
            member = await self._member(found, username)
            if member.role == TeamRole.ADMIN and member.joined_at is not None:
                await self._keep_an_admin(found, member)
            await member.delete()
            # Shares of the team's models go with the membership: leaving is leaving.
            await tables.Share.filter(user_id=member.user_id, model__team_id=found.id).delete()
            await AuditTrail.record(
                AuditAction.TEAM_MEMBER_REMOVED,
                actor=caller,
                target=_target(found),
                detail={"user": member.user.username, "role": member.role},
            )
        await self._changed(caller, found.id, member.user_id)

    async def delete(self, *, caller: Caller, team: str) -> None:
        found = await self._require(caller, team, TeamRole.ADMIN)
        models = await tables.Model.filter(team_id=found.id, deleted_at=None).count()
        if models:
            raise TeamNotEmpty(models)
        async with in_transaction():
            await AuditTrail.record(AuditAction.TEAM_DELETED, actor=caller, target=_target(found))
            await found.delete()

    async def _member(self, team: tables.Team, username: str) -> tables.TeamMember:
        member = (
            await tables.TeamMember.filter(team_id=team.id, user__username=_name(username))
            .select_related("user")
            .first()
        )
        if member is None:
            raise NotFound("Member")
        return member

    async def _keep_an_admin(self, team: tables.Team, leaving: tables.TeamMember) -> None:
        # The team's row is locked (PostgreSQL) so two admins demoting each other at once
        # cannot both succeed; SQLite runs one writing transaction at a time anyway.
        await tables.Team.select_for_update().get(id=team.id)
        admins = await tables.TeamMember.filter(
            team_id=team.id, role=TeamRole.ADMIN, joined_at__not_isnull=True
        ).exclude(id=leaving.id)
        if not admins:
            raise LastAdmin()

    @staticmethod
    async def _username(caller: Caller) -> str:
        user = await tables.User.get(id=caller.user_id)
        return user.username
