"""Accounts: registration, login, token rotation, logout, password changes, admin actions."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain.accounts.caller import Caller, Scope
from domain.accounts.keys import ApiKeys, CreatedKey, looks_like_key
from domain.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PasswordHashing
from domain.accounts.throttle import GuessThrottle, ThrottlePolicy
from domain.accounts.tokens import TokenClaims, TokenCodec
from domain.audit.trail import Actor, AuditAction, AuditTarget, AuditTrail, TargetType
from domain.errors import (
    FieldError,
    Forbidden,
    InvalidCredentials,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)
from domain.events import AccountEvent, AccountEventKind, Emitter, SessionsChanged
from domain.ratelimit import Rate, RateLimiter
from domain.singleflight import SingleFlight
from storage import tables

log = logging.getLogger("modelserve.accounts")
security_log = logging.getLogger("modelserve.security")

USERNAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,37}[a-z0-9])?$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_EMAIL_LENGTH = 320

CALLER_TTL_S = 1.0
MAX_CACHED_CALLERS = 100_000


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    user: tables.User


@dataclass(frozen=True, slots=True)
class LoginRates:
    guessing: ThrottlePolicy
    register_per_ip: Rate


def normalise_email(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().lower()


def check_email(email: str, path: tuple[str, ...]) -> list[FieldError]:
    # Control and invisible format characters (NUL, zero-width spaces, bidirectional
    # overrides) would make look-alike accounts of one address.
    if (
        len(email) > MAX_EMAIL_LENGTH
        or not EMAIL_RE.match(email)
        or any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in email)
    ):
        return [FieldError(path, "Enter a valid email address.", "invalid_email")]
    return []


def check_username(username: str, path: tuple[str, ...]) -> list[FieldError]:
    if not USERNAME_RE.match(username):
        message = (
            "Use 1-39 lower-case letters, digits, '-' or '_', starting and ending alphanumeric."
        )
        return [FieldError(path, message, "invalid_username")]
    return []


def username_from_email(email: str) -> str:
    """A handle derived from the email's local part (``ada.lovelace@x`` → ``ada-lovelace``)."""
    local = re.sub(r"[^a-z0-9_-]+", "-", email.split("@", 1)[0].lower()).strip("-_")
    return (local or "user")[:30].rstrip("-_") or "user"


def check_password(password: str, path: tuple[str, ...]) -> list[FieldError]:
    if len(password) < MIN_PASSWORD_LENGTH:
        message = f"Use at least {MIN_PASSWORD_LENGTH} characters."
        return [FieldError(path, message, "password_too_short")]
    if len(password) > MAX_PASSWORD_LENGTH:
        message = f"Use at most {MAX_PASSWORD_LENGTH} characters."
        return [FieldError(path, message, "password_too_long")]
    return []


def _key_target(key: tables.ApiKey) -> AuditTarget:
    return AuditTarget(TargetType.API_KEY, str(key.id), f"{key.name} (msk_{key.public_id})")


async def _name_taken(name: str) -> bool:
    return await tables.User.exists(username=name) or await tables.Team.exists(name=name)


def _now() -> datetime:
    return datetime.now(UTC)


class Accounts:
    """The accounts service; one per process, holding the hasher, token codec and limiter."""

    def __init__(
        self,
        *,
        hashing: PasswordHashing,
        tokens: TokenCodec,
        limiter: RateLimiter,
        rates: LoginRates,
        emitter: Emitter,
    ) -> None:
        self.hashing = hashing
        self.tokens = tokens
        self.limiter = limiter
        self.rates = rates
        # Logins are keyed on the email as typed; password changes on the account.
        self.login_throttle = GuessThrottle(limiter, rates.guessing, "login")
        self.password_throttle = GuessThrottle(limiter, rates.guessing, "password")
        self._emitter = emitter
        self.keys = ApiKeys(secret=tokens.secret)
        self._callers: dict[str, tuple[Caller, float]] = {}
        self._generation = 0  # bumped by every revocation that drops cached callers
        self._flights = SingleFlight()

    async def register(
        self, *, email: str, password: str, username: str | None, ip: str | None
    ) -> str:
        """Create an account; returns the normalised email.

        The answer for an email that is already taken is the same as for a new one (and costs
        the same hash), so registration cannot be used to find out who has an account. A
        username, unlike an email, is public (it names models), so a taken one is reported.
        """
        email = normalise_email(email)
        errors = check_email(email, ("input", "email")) + check_password(
            password, ("input", "password")
        )
        if username is not None:
            username = username.strip().lower()
            errors += check_username(username, ("input", "username"))
        if errors:
            raise ValidationFailed(errors)
        await self.limiter.hit(self.rates.register_per_ip, "register", ip or "-")
        if username is not None and await _name_taken(username):
            raise ValidationFailed(
                [FieldError(("input", "username"), "That username is taken.", "username_taken")]
            )
        password_hash = await self.hashing.hash(password)
        if await tables.User.exists(email=email):
            security_log.info("registration for an existing email", extra={"ip": ip})
            return email
        handle = username or await self._free_username(username_from_email(email))
        try:
            await tables.User.create(email=email, username=handle, password_hash=password_hash)
        except IntegrityError:
            # Lost a race for the email (same answer as above) or for the handle.
            if username is not None and await tables.User.exists(username=username):
                raise ValidationFailed(
                    [FieldError(("input", "username"), "That username is taken.", "username_taken")]
                ) from None
        return email

    async def _free_username(self, base: str) -> str:
        # Usernames and team names share one namespace: `name/model` names one model.
        taken = set(
            await tables.User.filter(username__startswith=base).values_list("username", flat=True)
        ) | set(await tables.Team.filter(name__startswith=base).values_list("name", flat=True))
        if base not in taken:
            return base
        for n in range(2, len(taken) + 3):
            candidate = f"{base}-{n}"
            if candidate not in taken:
                return candidate
        raise AssertionError("unreachable: some suffix is always free")

    async def login(
        self, *, email: str, password: str, ip: str | None, user_agent: str | None
    ) -> TokenPair:
        email = normalise_email(email)
        if len(password) > MAX_PASSWORD_LENGTH or len(email) > MAX_EMAIL_LENGTH or "\x00" in email:
            raise InvalidCredentials()
        # Reserved before hashing, whether or not such an account exists (see throttle.py).
        attempt = await self.login_throttle.reserve(account=email, address=ip)
        user = await tables.User.get_or_none(email=email)
        if user is None:
            await self.hashing.burn_time(password)
            ok = False
        else:
            ok = await self.hashing.verify(user.password_hash, password)
        if not ok or user is None or not user.is_active:
            await self.login_throttle.failed(attempt)
            security_log.info("login failed", extra={"ip": ip})
            await self._audit_failed_login(email, user, password_ok=ok)
            raise InvalidCredentials()
        await self.login_throttle.succeeded(attempt)
        if self.hashing.needs_rehash(user.password_hash):
            user.password_hash = await self.hashing.hash(password)
            await user.save(update_fields=["password_hash"])
        user.last_login_at = _now()
        await user.save(update_fields=["last_login_at"])
        pair = await self._start_session(user, ip=ip, user_agent=user_agent)
        await self._emitter.emit(
            AccountEvent(AccountEventKind.LOGIN, user.id, user.id, ip=ip, user_agent=user_agent)
        )
        return pair

    async def _audit_failed_login(
        self, email: str, user: tables.User | None, *, password_ok: bool
    ) -> None:
        """The account when it exists; else a keyed hash of the email as typed (never the
        email itself, nor anything of the password)."""
        if user is None:
            digest = hmac.new(self.tokens.secret, email.encode(), hashlib.sha256).hexdigest()
            target = AuditTarget(TargetType.USER)
            detail = {"reason": "unknown_account", "emailHmac": digest}
        else:
            target = AuditTarget.user(user)
            detail = {"reason": "deactivated" if password_ok else "wrong_password"}
        await AuditTrail.record(AuditAction.LOGIN_FAILED, actor=None, target=target, detail=detail)

    async def _start_session(
        self, user: tables.User, *, ip: str | None, user_agent: str | None
    ) -> TokenPair:
        session_id = uuid.uuid4()
        token_id = uuid.uuid4()
        refresh, refresh_exp = self.tokens.issue_refresh(
            user_id=user.id, session_id=session_id, token_id=token_id
        )
        access, access_exp = self.tokens.issue_access(user_id=user.id, session_id=session_id)
        async with in_transaction():
            await tables.Session.create(
                id=session_id,
                user=user,
                expires_at=refresh_exp,
                ip=(ip or None) and ip[:64],
                user_agent=(user_agent or None) and user_agent[:256],
            )
            await tables.RefreshToken.create(
                id=token_id, session_id=session_id, expires_at=refresh_exp
            )
            await AuditTrail.record(
                AuditAction.LOGIN_SUCCEEDED,
                actor=Actor.session_of(user, session_id),
                target=AuditTarget.user(user),
            )
        return TokenPair(access, access_exp, refresh, refresh_exp, user)

    async def refresh(self, *, refresh_token: str) -> TokenPair:
        """Rotate a refresh token. Reusing a spent one revokes its whole session (family)."""
        claims = self.tokens.decode_refresh(refresh_token)
        now = _now()
        spent = await tables.RefreshToken.filter(
            id=claims.token_id, session_id=claims.session_id, used_at=None
        ).update(used_at=now)
        session = await tables.Session.get_or_none(id=claims.session_id).select_related("user")
        if session is None or session.user_id != claims.subject:
            raise Unauthenticated("Invalid token.")
        if spent == 0:
            if await tables.RefreshToken.exists(id=claims.token_id):
                await self._revoke_sessions(
                    session.user_id, [session.id], "refresh_reuse", actor_id=None
                )
                await AuditTrail.record(
                    AuditAction.SESSIONS_REVOKED,
                    actor=None,
                    target=AuditTarget.user(session.user),
                    detail={"reason": "refresh_reuse", "sessionId": str(session.id)},
                )
                security_log.warning(
                    "refresh token reuse detected; session revoked",
                    extra={"user_id": str(session.user_id), "session_id": str(session.id)},
                )
            raise Unauthenticated("Invalid token.")
        user = session.user
        if session.revoked_at is not None or session.expires_at <= now or not user.is_active:
            raise Unauthenticated("Session ended.")
        token_id = uuid.uuid4()
        refresh, refresh_exp = self.tokens.issue_refresh(
            user_id=user.id, session_id=session.id, token_id=token_id
        )
        access, access_exp = self.tokens.issue_access(user_id=user.id, session_id=session.id)
        async with in_transaction():
            await tables.RefreshToken.create(
                id=token_id, session_id=session.id, expires_at=refresh_exp
            )
            await tables.Session.filter(id=session.id).update(expires_at=refresh_exp)
        return TokenPair(access, access_exp, refresh, refresh_exp, user)

    async def authenticate(self, credential: str, *, ip: str | None = None) -> Caller:
        """The caller an access token or an API key (``msk_...``) stands for.

        A verified credential's caller is remembered for ``CALLER_TTL_S`` (never past its own
        expiry), so a busy client costs neither a signature check nor a query per request.
        Revoking a session or a key forgets it at once in this process and, through the
        ``sessions`` channel, in every other replica; the TTL bounds staleness should that
        channel be down.
        """
        cached = self._callers.get(credential)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        # A check in flight when a revocation arrives may have read the row before it: no
        # later request joins it, and its answer is not kept (the generation moved on).
        generation = self._generation
        return await self._flights.do(
            (credential, generation), lambda: self._verify(credential, ip, generation)
        )

    async def _verify(self, credential: str, ip: str | None, generation: int) -> Caller:
        now = time.monotonic()
        if looks_like_key(credential):
            caller = await self.keys.verify(credential, ip=ip)
        else:
            caller = await self._load_caller(self.tokens.decode_access(credential))
        if len(self._callers) >= MAX_CACHED_CALLERS:
            self._callers.clear()
        ttl = CALLER_TTL_S
        if caller.expires_at is not None:
            ttl = min(ttl, (caller.expires_at - datetime.now(UTC)).total_seconds())
        if generation == self._generation:
            self._callers[credential] = (caller, now + ttl)
        return caller

    async def _load_caller(self, claims: TokenClaims) -> Caller:
        session = (
            await tables.Session.filter(
                id=claims.session_id,
                user_id=claims.subject,
                revoked_at=None,
                user__is_active=True,
            )
            .select_related("user")
            .first()
        )
        if session is None:
            raise Unauthenticated("Session ended.")
        user = session.user
        return Caller.for_session(
            user_id=user.id,
            email=user.email,
            role=tables.Role(user.role),
            session_id=session.id,
            expires_at=claims.expires_at,
        )

    async def is_live(self, caller: Caller) -> bool:
        """Whether the caller's session or key still stands (for long-lived streams)."""
        if caller.key_id is not None:
            return await self.keys.is_live(caller.key_id)
        return await tables.Session.exists(
            id=caller.session_id, revoked_at=None, user__is_active=True, expires_at__gt=_now()
        )

    async def logout(self, *, caller: Caller) -> None:
        await self._revoke_sessions(
            caller.user_id, [caller.session_id], "logout", actor_id=caller.user_id
        )
        await AuditTrail.record(
            AuditAction.LOGOUT, actor=caller, target=AuditTarget.user_id(caller.user_id)
        )

    async def revoke_user_sessions(self, *, caller: Caller, user_id: uuid.UUID) -> int:
        """End every session of a user (administrators only); returns how many were live.

        Their tokens stop working at once and their live streams close, as at logout.
        """
        if not caller.is_admin:
            raise Forbidden()
        user = await tables.User.get_or_none(id=user_id)
        if user is None:
            raise NotFound("User")
        revoked = await self._revoke_sessions(
            user.id, None, "revoked_by_admin", actor_id=caller.user_id
        )
        await AuditTrail.record(
            AuditAction.SESSIONS_REVOKED,
            actor=caller,
            target=AuditTarget.user(user),
            detail={"reason": "revoked_by_admin", "sessions": revoked},
        )
        return revoked

    async def _revoke_sessions(
        self,
        user_id: uuid.UUID,
        session_ids: list[uuid.UUID] | None,
        reason: str,
        *,
        actor_id: uuid.UUID | None,
    ) -> int:
        query = tables.Session.filter(user_id=user_id, revoked_at=None)
        if session_ids is not None:
            query = query.filter(id__in=session_ids)
        revoked = tuple(await query.values_list("id", flat=True))
        if revoked:
            await tables.Session.filter(id__in=revoked).update(
                revoked_at=_now(), revoked_reason=reason
            )
            await self._emitter.emit(
                AccountEvent(
                    AccountEventKind.SESSION_REVOKED,
                    user_id,
                    actor_id,
                    reason=reason,
                    session_ids=revoked,
                )
            )
            # Cached callers go here (the emitter's handler) and in every other replica.
            await self._emitter.emit(SessionsChanged(session_ids=revoked, actor_id=actor_id))
        return len(revoked)

    def forget(self, event: SessionsChanged) -> None:
        """Drop cached callers of ``event``'s sessions and user (the emitter's handler)."""
        if event.session_ids:
            self.forget_sessions(event.session_ids)
        if event.key_ids:
            self.forget_keys(event.key_ids)
        if event.user_id is not None:
            self.forget_user(event.user_id)

    def forget_sessions(self, session_ids: tuple[uuid.UUID, ...]) -> None:
        self._generation += 1
        gone = set(session_ids)
        for key in [k for k, (c, _) in self._callers.items() if c.session_id in gone]:
            del self._callers[key]

    def forget_keys(self, key_ids: tuple[uuid.UUID, ...]) -> None:
        self._generation += 1
        gone = set(key_ids)
        for key in [k for k, (c, _) in self._callers.items() if c.key_id in gone]:
            del self._callers[key]

    def clear_cache(self) -> None:
        self._generation += 1
        self._callers.clear()

    def forget_user(self, user_id: uuid.UUID) -> None:
        self._generation += 1
        for key in [k for k, (p, _) in self._callers.items() if p.user_id == user_id]:
            del self._callers[key]

    async def change_password(
        self,
        *,
        caller: Caller,
        current_password: str,
        new_password: str,
        ip: str | None,
    ) -> int:
        """Change the caller's password; every other session is revoked. Returns their count.

        The current-password check is throttled as logins are, so a stolen access token
        cannot be used to guess the password it does not carry.
        """
        errors = check_password(new_password, ("input", "newPassword"))
        if errors:
            raise ValidationFailed(errors)
        attempt = await self.password_throttle.reserve(account=str(caller.user_id), address=ip)
        user = await tables.User.get(id=caller.user_id)
        if len(current_password) > MAX_PASSWORD_LENGTH or not await self.hashing.verify(
            user.password_hash, current_password
        ):
            await self.password_throttle.failed(attempt)
            raise ValidationFailed(
                [FieldError(("input", "currentPassword"), "Incorrect password.", "incorrect")]
            )
        await self.password_throttle.succeeded(attempt)
        user.password_hash = await self.hashing.hash(new_password)
        user.password_changed_at = _now()
        async with in_transaction():
            await user.save(update_fields=["password_hash", "password_changed_at"])
            await AuditTrail.record(
                AuditAction.PASSWORD_CHANGED, actor=caller, target=AuditTarget.user(user)
            )
        others = (
            await tables.Session.filter(user_id=user.id, revoked_at=None)
            .exclude(id=caller.session_id)
            .values_list("id", flat=True)
        )
        revoked = await self._revoke_sessions(
            user.id, list(others), "password_changed", actor_id=caller.user_id
        )
        await self._emitter.emit(
            AccountEvent(AccountEventKind.PASSWORD_CHANGED, user.id, caller.user_id)
        )
        return revoked

    # -- API keys ---------------------------------------------------------------------------

    async def create_api_key(
        self,
        *,
        caller: Caller,
        name: str,
        scopes: list[Scope],
        expires_at: datetime | None,
        model_ids: list[uuid.UUID] | None,
    ) -> CreatedKey:
        async with in_transaction():
            created = await self.keys.create(
                caller=caller, name=name, scopes=scopes, expires_at=expires_at, model_ids=model_ids
            )
            await AuditTrail.record(
                AuditAction.KEY_CREATED,
                actor=caller,
                target=_key_target(created.key),
                detail={
                    "scopes": created.key.scopes,
                    "models": created.key.model_ids,
                    "expiresAt": created.key.expires_at,
                },
            )
        await self._emitter.emit(
            AccountEvent(AccountEventKind.API_KEY_CREATED, caller.user_id, caller.user_id)
        )
        return created

    async def list_api_keys(
        self, *, caller: Caller, user_id: uuid.UUID | None, include_revoked: bool
    ) -> list[tables.ApiKey]:
        """The caller's keys; an administrator may list anyone's."""
        if user_id is not None and user_id != caller.user_id and not caller.is_admin:
            raise NotFound("User")
        return await self.keys.list(
            user_id=user_id or caller.user_id, include_revoked=include_revoked
        )

    async def revoke_api_key(self, *, caller: Caller, key_id: uuid.UUID) -> tables.ApiKey:
        """Revoke one of the caller's keys (an administrator: anyone's); effective at once."""
        key = await self.keys.get(caller=caller, key_id=key_id)
        async with in_transaction():
            revoked = await self.keys.revoke(key=key)
            if revoked:
                await AuditTrail.record(
                    AuditAction.KEY_REVOKED, actor=caller, target=_key_target(key)
                )
        if revoked:
            await self._key_revoked(key.user_id, [key.id])
            await key.refresh_from_db(fields=["revoked_at"])
        return key

    async def revoke_user_api_keys(self, *, caller: Caller, user_id: uuid.UUID) -> int:
        if not caller.is_admin:
            raise Forbidden()
        if not await tables.User.exists(id=user_id):
            raise NotFound("User")
        async with in_transaction():
            revoked = await self.keys.revoke_all(user_id=user_id)
            if revoked:
                await AuditTrail.record(
                    AuditAction.KEY_REVOKED,
                    actor=caller,
                    target=AuditTarget.user_id(user_id),
                    detail={"keys": [str(k) for k in revoked]},
                )
        if revoked:
            await self._key_revoked(user_id, revoked)
        return len(revoked)

    async def _key_revoked(self, user_id: uuid.UUID, key_ids: list[uuid.UUID]) -> None:
        await self._emitter.emit(AccountEvent(AccountEventKind.API_KEY_REVOKED, user_id, None))
        # Cached callers go here (the emitter's handler) and in every other replica, and
        # open streams of these keys close.
        await self._emitter.emit(SessionsChanged(key_ids=tuple(key_ids)))

    async def get_user(self, *, user_id: uuid.UUID) -> tables.User | None:
        return await tables.User.get_or_none(id=user_id)

    async def get_user_by_username(self, *, username: str) -> tables.User | None:
        return await tables.User.get_or_none(username=username.strip().lower())

    async def get_users_by_ids(self, *, ids: list[uuid.UUID]) -> list[tables.User | None]:
        found = {u.id: u for u in await tables.User.filter(id__in=ids)}
        return [found.get(i) for i in ids]

    async def list_users(
        self,
        *,
        caller: Caller,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
        search: str | None = None,
    ) -> list[tables.User]:
        """Users newest first, keyset-paginated; admins only.

        ``search`` matches part of the email or username, case-insensitively (as a plain
        string: ``%`` and ``_`` match only themselves).
        """
        if not caller.is_admin:
            raise Forbidden()
        query = tables.User.all().order_by("-created_at", "-id")
        if search is not None and (search := search.strip().lower()):
            if len(search) > MAX_EMAIL_LENGTH:
                message = f"At most {MAX_EMAIL_LENGTH} characters."
                raise ValidationFailed([FieldError(("search",), message, "too_long")])
            query = query.filter(Q(email__icontains=search) | Q(username__icontains=search))
        if after is not None:
            created, last_id = after
            query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
        return await query.limit(limit)

    async def update_user(
        self,
        *,
        caller: Caller,
        user_id: uuid.UUID,
        role: tables.Role | None = None,
        is_active: bool | None = None,
    ) -> tables.User:
        """Change a user's role or activation (admins only); deactivation ends every session."""
        if not caller.is_admin:
            raise Forbidden()
        user = await tables.User.get_or_none(id=user_id)
        if user is None:
            raise NotFound("User")
        if user.id == caller.user_id and (is_active is False or role is tables.Role.USER):
            raise ValidationFailed(
                [FieldError(("input",), "You cannot demote or deactivate yourself.", "self")]
            )
        changes: list[tuple[AuditAction, dict[str, Any]]] = []
        if role is not None and role != tables.Role(user.role):
            changes.append(
                (AuditAction.ROLE_CHANGED, {"from": tables.Role(user.role).value, "to": role.value})
            )
            user.role = role
        if is_active is not None and is_active != user.is_active:
            action = AuditAction.USER_REACTIVATED if is_active else AuditAction.USER_DEACTIVATED
            changes.append((action, {}))
            user.is_active = is_active
        async with in_transaction():
            await user.save(update_fields=["role", "is_active", "updated_at"])
            for action, detail in changes:
                await AuditTrail.record(
                    action, actor=caller, target=AuditTarget.user(user), detail=detail
                )
        if is_active is False:
            await self._revoke_sessions(user.id, None, "deactivated", actor_id=caller.user_id)
            # Keys too, so reactivating an account does not bring its old keys back.
            revoked = await self.keys.revoke_all(user_id=user.id)
            if revoked:
                await AuditTrail.record(
                    AuditAction.KEY_REVOKED,
                    actor=caller,
                    target=AuditTarget.user(user),
                    detail={"keys": [str(k) for k in revoked], "reason": "deactivated"},
                )
                await self._key_revoked(user.id, revoked)
        await self._emitter.emit(SessionsChanged(user_id=user.id, actor_id=caller.user_id))
        return user

    async def create_admin(self, *, email: str, password: str) -> tables.User:
        """Create an admin, or promote and re-password an existing account (the CLI's job)."""
        email = normalise_email(email)
        errors = check_email(email, ("email",)) + check_password(password, ("password",))
        if errors:
            raise ValidationFailed(errors)
        password_hash = await self.hashing.hash(password)
        user = await tables.User.get_or_none(email=email)
        if user is None:
            return await tables.User.create(
                email=email,
                username=await self._free_username(username_from_email(email)),
                password_hash=password_hash,
                role=tables.Role.ADMIN,
            )
        before = (tables.Role(user.role), user.is_active)
        user.role = tables.Role.ADMIN
        user.password_hash = password_hash
        user.is_active = True
        async with in_transaction():
            await user.save()
            # From the command line: no actor; the detail says how.
            if before[0] is not tables.Role.ADMIN:
                detail = {"from": before[0].value, "to": "admin", "via": "cli"}
                await AuditTrail.record(
                    AuditAction.ROLE_CHANGED,
                    actor=None,
                    target=AuditTarget.user(user),
                    detail=detail,
                )
            if not before[1]:
                await AuditTrail.record(
                    AuditAction.USER_REACTIVATED,
                    actor=None,
                    target=AuditTarget.user(user),
                    detail={"via": "cli"},
                )
        return user
