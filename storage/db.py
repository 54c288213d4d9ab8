"""The Tortoise/aerich configuration, built from a database URL; import-light on purpose."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MODEL_MODULES = [
    "storage.tables.accounts",
    "storage.tables.registry",
    "storage.tables.teams",
    "storage.tables.predictions",
    "storage.tables.audit",
    "storage.tables.quotas",
    "storage.tables.traffic",
    "storage.tables.drift",
    "storage.tables.webhooks",
    "storage.tables.jobs",
]
MIGRATIONS_ROOT = Path(__file__).resolve().parent.parent / "migrations"


def dialect_of(url: str) -> str:
    """``sqlite`` or ``postgres``: the name of the migration history that serves ``url``."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return "sqlite"
    if scheme in {"postgres", "postgresql", "asyncpg"}:
        return "postgres"
    raise ValueError(f"unsupported database URL scheme {scheme!r}")


def normalise_url(url: str, *, pool_max: int = 10) -> str:
    """Tortoise spells PostgreSQL ``postgres://``; also pin the pool size and timeouts."""
    parts = urlsplit(url)
    if parts.scheme in {"postgresql", "asyncpg"}:
        url = "postgres://" + url.split("://", 1)[1]
    if dialect_of(url) == "postgres" and "maxsize=" not in url:
        sep = "&" if parts.query else "?"
        url = f"{url}{sep}minsize=1&maxsize={pool_max}"
    if dialect_of(url) == "sqlite":
        path = url.split("://", 1)[1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return url


def connection_config(
    url: str, *, pool_max: int = 10, acquire_timeout_s: float = 5.0
) -> dict[str, Any]:
    """Tortoise's clients with transactions safe to cancel (:mod:`storage.sqlite_client`); for
    PostgreSQL with an acquire deadline as well (:mod:`storage.pg_client`), so that no request
    waits on an exhausted pool unbounded."""
    from tortoise.backends.base.config_generator import expand_db_url

    normalised = normalise_url(url, pool_max=pool_max)
    config = expand_db_url(normalised)
    if dialect_of(normalised) == "sqlite":
        config["engine"] = "storage.sqlite_client"
        return config
    config["engine"] = "storage.pg_client"
    config["credentials"]["acquire_timeout"] = acquire_timeout_s
    return config


def tortoise_config(
    url: str, *, pool_max: int = 10, acquire_timeout_s: float = 5.0
) -> dict[str, Any]:
    """The config dict for ``Tortoise.init`` and aerich: our models plus aerich's own table."""
    return {
        "connections": {
            "default": connection_config(
                url, pool_max=pool_max, acquire_timeout_s=acquire_timeout_s
            )
        },
        "apps": {
            "models": {
                "models": [*MODEL_MODULES, "aerich.models"],
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def migrations_location(url: str) -> Path:
    return MIGRATIONS_ROOT / dialect_of(url)
