"""Which exceptions mean "the database cannot be reached right now" (retry later), not a bug."""

from __future__ import annotations

import errno

from tortoise.exceptions import DBConnectionError

try:
    import asyncpg
except ImportError:  # an SQLite-only install
    asyncpg = None

_CONNECTION_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)
_OUTAGES: tuple[type[BaseException], ...] = (ConnectionError, DBConnectionError)
if asyncpg is not None:
    _OUTAGES += (
        asyncpg.PostgresConnectionError,  # the connection broke, or was never made
        asyncpg.CannotConnectNowError,  # starting up, shutting down, in recovery
        asyncpg.AdminShutdownError,
        asyncpg.CrashShutdownError,
        asyncpg.TooManyConnectionsError,
    )


def _is_outage(exc: BaseException) -> bool:
    if isinstance(exc, _OUTAGES):
        return True
    if isinstance(exc, OSError):
        # asyncpg reports a refused connection as a bare OSError ("Multiple exceptions: ...").
        return exc.errno in _CONNECTION_ERRNOS or "Connect call failed" in str(exc)
    if asyncpg is not None and isinstance(exc, asyncpg.InterfaceError):
        return "connection is closed" in str(exc) or "pool is closing" in str(exc)
    return False


def database_outage(exc: BaseException) -> bool:
    """Whether ``exc``, or an exception it was raised from, says the database is unreachable."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        if _is_outage(link):
            return True
        seen.add(id(link))
        link = link.__cause__
    return False


def refused_nul(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) is PostgreSQL refusing a NUL character."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        text = str(link).lower()
        # PostgreSQL refuses NUL in text and in JSON values (SQLite stores it).
        if ("invalid byte sequence" in text and "0x00" in text) or (
            "unsupported unicode escape sequence" in text
        ):
            return True
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return False
