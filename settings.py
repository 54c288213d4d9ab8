"""ModelServe settings: one typed class, read from ``MODELSERVE_*`` environment variables.

Every layer may import this module; it imports nothing of the project. ``get_settings()`` validates
once and caches; a bad value stops the process with a message naming the variable.
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "secret", "development", "dev", "please-change-me", "replace-me"}
)
MIN_SECRET_BYTES = 32


class Environment(StrEnum):
    """``development`` is open for a person at a desk; ``staging`` and ``production`` are
    locked down alike (a secret key required; GraphiQL, introspection and public metrics off by
    default); only ``production`` also refuses to start with any of those opened, or on SQLite,
    unless ``MODELSERVE_PRODUCTION_ALLOW`` names it."""

    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"


class Allowance(StrEnum):
    """What production refuses unless allowed by name (``MODELSERVE_PRODUCTION_ALLOW``)."""

    GRAPHIQL = "graphiql"
    INTROSPECTION = "introspection"
    SQLITE = "sqlite"
    PUBLIC_METRICS = "public-metrics"


class LogFormat(StrEnum):
    JSON = "json"
    TEXT = "text"


class Settings(BaseSettings):
    """Everything configurable, with the embedded default when a variable is unset."""

    model_config = SettingsConfigDict(
        env_prefix="MODELSERVE_", env_file=None, extra="ignore", validate_default=True
    )

    environment: Environment = Environment.DEVELOPMENT
    production_allow: Annotated[frozenset[Allowance], NoDecode] = Field(
        default=frozenset(),
        description="Comma-separated: graphiql, introspection, sqlite, public-metrics.",
    )
    data_dir: Path = Field(
        default=Path("var"), description="Where the embedded default keeps its files."
    )
    database_url: str = Field(
        default="", description="sqlite:///path or postgres://...; empty means var/modelserve.db."
    )
    database_pool_max: int = Field(default=10, ge=1, le=200)
    heap_trim_interval_s: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="How often freed heap memory is handed back to the OS (malloc_trim); 0 never.",
    )
    database_acquire_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=120,
        description="How long a request waits for a pooled PostgreSQL connection before "
        "UNAVAILABLE (503, Retry-After).",
    )
    redis_url: str | None = Field(default=None, description="Unset means in-process backends.")
    artifact_store_url: str = Field(default="", description="Empty means var/artifacts.")
    auto_migrate: bool | None = Field(
        default=None, description="Migrate at start; default: on for SQLite only."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="JWT signing key; generated under var/ in development."
    )

    access_token_ttl_s: int = Field(default=15 * 60, ge=60, le=60 * 60)
    refresh_token_ttl_s: int = Field(default=14 * 24 * 3600, ge=3600, le=90 * 24 * 3600)
    jwt_issuer: str = "modelserve"
    jwt_leeway_s: int = Field(default=10, ge=0, le=30)

    argon2_time_cost: int = Field(default=3, ge=2)
    argon2_memory_kib: int = Field(default=65536, ge=19456)
    argon2_parallelism: int = Field(default=1, ge=1, le=16)
    hash_concurrency: int = Field(default=2, ge=1, le=64)

    login_failures_per_account: int = Field(
        default=5, ge=1, description="Failures from one address against one account per window."
    )
    login_failure_window_s: int = Field(default=15 * 60, ge=1)
    login_max_delay_s: int = Field(
        default=30, ge=1, le=300, description="Longest wait between guesses at one account."
    )
    login_failures_per_account_per_day: int = Field(
        default=100, ge=1, description="Failures a day from failed addresses against an account."
    )
    login_attempts_per_ip_per_minute: int = Field(default=30, ge=1)
    register_per_ip_per_hour: int = Field(default=20, ge=1)
    prediction_units_per_minute: int = Field(
        default=600,
        ge=1,
        le=100_000,
        description="Prediction units one API key (or one user's sessions) may spend a minute.",
    )
    prediction_rows_per_unit: int = Field(
        default=100, ge=1, le=100_000, description="A prediction costs 1 + rows // this units."
    )
    explain_cost_multiplier: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="A prediction with explain costs this many times a plain one's units.",
    )
    uploads_per_hour: int = Field(
        default=30, ge=1, le=10_000, description="Uploads one API key (or user) may make an hour."
    )

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    graphiql: bool | None = Field(default=None, description="Default: on in development only.")
    introspection: bool | None = Field(default=None, description="Default: on in development.")
    ui_enabled: bool = Field(
        default=True,
        description="Serve the web dashboard at /ui (it uses only the public GraphQL API).",
    )
    max_query_depth: int = Field(default=10, ge=2, le=50)
    max_aliases: int = Field(default=15, ge=1, le=500)
    max_tokens: int = Field(default=2000, ge=100, le=100_000)
    max_query_chars: int = Field(default=15_000, ge=100)
    max_body_bytes: int = Field(
        default=0,
        ge=0,
        description="JSON request body cap; 0 derives it from the predictBatch row cap.",
    )
    max_upload_bytes: int = Field(default=200 << 20, ge=1024, description="Multipart body cap.")
    body_read_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="Seconds a client has to send a whole JSON or binary request body "
        "(/graphql, /v2, MLflow) before it is answered 408.",
    )
    upload_read_timeout_s: float = Field(
        default=600.0,
        gt=0,
        le=3600,
        description="Seconds a client has to send a whole multipart upload to /graphql.",
    )
    intake_timeout_s: float = Field(default=30.0, gt=0, le=600)
    intake_memory_mb: int = Field(default=2048, ge=256)
    queue_url: str = Field(
        default="",
        description="Where background tasks wait: memory:// (in this process) or redis://...; "
        "empty means MODELSERVE_REDIS_URL when set, else memory://.",
    )
    worker_in_process: bool | None = Field(
        default=None,
        description="`serve` also runs background work; default: only for memory://.",
    )
    queue_name: str = Field(
        default="modelserve", pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="Redis key prefix."
    )
    queue_lease_s: float = Field(
        default=300.0,
        gt=0,
        le=24 * 3600,
        description="A task a dead worker held runs again elsewhere after this (live ones renew).",
    )
    queue_max_deliveries: int = Field(
        default=5,
        ge=1,
        le=100,
        description="A task is dropped (logged and counted) once its workers died this often.",
    )
    worker_concurrency: int = Field(default=10, ge=1, le=1000, description="Tasks at once.")
    worker_grace_s: float = Field(
        default=30.0, ge=0, le=3600, description="On SIGTERM, how long running tasks may finish."
    )
    task_timeout_s: float = Field(
        default=3600.0, gt=0, description="A task running longer is stopped (and retried)."
    )
    background_modules: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="More modules declaring TASKS / SCHEDULE, comma-separated (tests use it).",
    )
    purge_interval_s: float = Field(default=300.0, gt=0)
    orphan_grace_s: float = Field(
        default=3600.0, ge=0, description="Age past which an artifact no version uses is swept."
    )
    inference_workers: int = Field(default=2, ge=1, le=64, description="Model threads.")
    predict_timeout_s: float = Field(default=10.0, gt=0, le=600)
    predict_max_rows: int = Field(default=1000, ge=1, le=100_000)
    predict_batch_max_rows: int = Field(default=10_000, ge=1, le=1_000_000)
    explain_max_rows: int = Field(
        default=1000, ge=1, le=100_000, description="Rows one explained prediction may take."
    )
    batch_max_rows: int = Field(default=256, ge=1, le=100_000, description="Micro-batch rows.")
    batch_max_wait_ms: float = Field(default=2.0, ge=0, le=1000)
    model_cache_max_bytes: int = Field(default=1 << 30, ge=1 << 20)
    model_cache_max_models: int = Field(default=32, ge=1, le=10_000)
    redis_deadline_s: float = Field(
        default=0.5, gt=0, le=30, description="What all Redis calls of one request may take."
    )
    redis_retry_s: float = Field(
        default=2.0, gt=0, le=300, description="How long Redis is skipped after it failed."
    )
    redis_artifact_max_bytes: int = Field(default=64 << 20, ge=0)
    redis_artifact_ttl_s: int = Field(default=24 * 3600, ge=60)
    warm_up_production: bool = Field(default=False, description="Load production aliases at start.")
    prediction_log_queue: int = Field(default=10_000, ge=10)
    prediction_log_batch: int = Field(default=500, ge=1, le=10_000)
    prediction_log_retention_days: int = Field(default=30, ge=1)
    shadow_queue: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="Shadow copies waiting to run; beyond it they are dropped and counted.",
    )
    drift_check_interval_s: float = Field(
        default=900.0, gt=0, description="How often the drift check runs (once per deployment)."
    )
    drift_check_window_s: float = Field(
        default=3600.0, gt=0, description="The window of logged inputs each check compares."
    )
    drift_profile_log_rows: int = Field(
        default=1000, ge=10, le=100_000, description="N: a profile from the log takes N rows."
    )
    drift_reference_max_bytes: int = Field(
        default=50 << 20, ge=1024, description="Cap on an uploaded reference CSV."
    )
    drift_sample_rows: int = Field(
        default=5000, ge=100, le=50_000, description="Reference rows a profile keeps (sampled)."
    )
    drift_bins: int = Field(default=10, ge=2, le=100, description="Quantile bins per feature.")
    drift_window_max_rows: int = Field(
        default=50_000, ge=100, le=1_000_000, description="Logged rows a report reads at most."
    )
    job_max_upload_bytes: int = Field(
        default=1 << 30, ge=1024, description="A batch job's file as sent (gzip or not)."
    )
    job_max_decompressed_bytes: int = Field(
        default=2 << 30, ge=1024, description="A gzip batch file's size once decompressed."
    )
    job_chunk_rows: int = Field(default=1000, ge=1, le=10_000, description="Rows per job chunk.")
    job_lease_s: float = Field(
        default=60.0, gt=0, le=3600, description="A job's lease; the worker renews it."
    )
    job_max_attempts: int = Field(default=3, ge=1, le=20)
    job_reap_interval_s: float = Field(default=15.0, gt=0)
    job_max_line_bytes: int = Field(default=1 << 20, ge=1024, description="Longest input line.")
    job_max_columns: int = Field(default=10_000, ge=1, le=1_000_000)
    job_max_row_errors: int = Field(default=100, ge=1, le=10_000, description="Rows reported.")
    job_link_ttl_s: int = Field(default=900, ge=10, le=7 * 86_400, description="Signed links.")
    max_subscriptions_per_socket: int = Field(default=10, ge=1, le=1000)
    ws_init_timeout_s: float = Field(default=10.0, gt=0, le=120)

    webhook_allow_loopback: bool = Field(
        default=False,
        description="Let webhooks reach 127.0.0.0/8 and ::1 (for tests; refused in production).",
    )
    webhook_timeout_s: float = Field(
        default=10.0, gt=0, le=30, description="What one delivery attempt may take in all."
    )
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_backoff_base_s: float = Field(
        default=5.0, gt=0, le=3600, description="Delay before the first retry; doubles after."
    )
    webhook_backoff_max_s: float = Field(default=6 * 3600.0, gt=0)
    webhook_disable_after_failures: int = Field(
        default=50, ge=1, description="Failed attempts in a row after which an endpoint is off."
    )
    webhook_drain_interval_s: float = Field(default=2.0, gt=0, le=3600)
    webhook_lease_s: float = Field(
        default=60.0, gt=0, description="How long a worker's claim on a delivery holds."
    )
    webhook_concurrency: int = Field(default=8, ge=1, le=256)
    webhook_max_response_bytes: int = Field(default=64 * 1024, ge=0, le=1 << 20)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    keep_alive_s: float = Field(
        default=75.0,
        gt=0,
        le=3600,
        description=(
            "How long an idle keep-alive connection stays open. Longer than the idle timeout of "
            "any proxy or client pool in front (load balancers use 60 s), so they close first "
            "and never send a request on a connection the server is closing."
        ),
    )
    log_level: str = "INFO"
    log_format: LogFormat = Field(
        default=LogFormat.JSON, description="`json`: one object per line; `text`: for people."
    )
    metrics_enabled: bool = Field(default=True, description="Serve /metrics (404 when off).")
    metrics_token: SecretStr | None = Field(
        default=None, description="When set, /metrics requires `Authorization: Bearer <it>`."
    )
    metrics_public: bool = Field(
        default=False,
        description="Serve /metrics without a token in production (development always does).",
    )
    sentry_dsn: SecretStr | None = Field(
        default=None, description="Report unexpected errors to Sentry; unset means off."
    )

    @field_validator("cors_origins", "production_allow", "background_modules", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("metrics_token", "sentry_dsn", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in {"sqlite", "postgres", "postgresql", "asyncpg"}:
            raise ValueError("must start with sqlite://, postgres:// or postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("queue_url")
    @classmethod
    def _check_queue_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in {"memory", "redis", "rediss", "unix"}:
            raise ValueError("must be memory:// or start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _fill_defaults_and_check_secret(self) -> Self:
        if not self.queue_url:
            self.queue_url = self.redis_url or "memory://"
        if self.worker_in_process is False and self.queue_in_memory:
            raise ValueError(
                "MODELSERVE_WORKER_IN_PROCESS=false needs a Redis queue (MODELSERVE_QUEUE_URL)"
            )
        if not self.max_body_bytes:
            self.max_body_bytes = body_cap_for(self.predict_batch_max_rows)
        if not self.database_url:
            self.database_url = f"sqlite://{(self.data_dir / 'modelserve.db').as_posix()}"
        if not self.artifact_store_url:
            self.artifact_store_url = (self.data_dir / "artifacts").as_posix()
        if self.secret_key is None:
            if self.is_locked_down:
                raise ValueError(f"MODELSERVE_SECRET_KEY is required in {self.environment}")
            self.secret_key = SecretStr(_development_secret(self.data_dir))
        _check_secret(self.secret_key.get_secret_value())
        if self.environment is Environment.PRODUCTION:
            self._refuse_what_production_does_not_allow()
        if self.webhook_lease_s <= self.webhook_timeout_s:
            raise ValueError("MODELSERVE_WEBHOOK_LEASE_S must exceed MODELSERVE_WEBHOOK_TIMEOUT_S")
        return self

    def _refuse_what_production_does_not_allow(self) -> None:
        opened = {
            Allowance.GRAPHIQL: (self.graphiql_enabled, "MODELSERVE_GRAPHIQL is on"),
            Allowance.INTROSPECTION: (
                self.introspection_enabled,
                "MODELSERVE_INTROSPECTION is on",
            ),
            Allowance.SQLITE: (self.is_sqlite, "MODELSERVE_DATABASE_URL is SQLite"),
            Allowance.PUBLIC_METRICS: (self.metrics_public, "MODELSERVE_METRICS_PUBLIC is on"),
        }
        refused = [
            f"{why} in production: set it off, or add '{allowance}' to "
            "MODELSERVE_PRODUCTION_ALLOW to allow it"
            for allowance, (on, why) in opened.items()
            if on and allowance not in self.production_allow
        ]
        if self.webhook_allow_loopback:
            refused.append("MODELSERVE_WEBHOOK_ALLOW_LOOPBACK is for tests, not production")
        if refused:
            raise ValueError("; ".join(refused))

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def is_locked_down(self) -> bool:
        """Staging and production: everything a development desk opens is closed."""
        return self.environment is not Environment.DEVELOPMENT

    @property
    def queue_in_memory(self) -> bool:
        return self.queue_url.startswith("memory:")

    @property
    def pubsub_url(self) -> str | None:
        """Where events travel: MODELSERVE_REDIS_URL, else the queue's Redis, since a worker
        in another process publishes the job progress that the API streams; else in-process."""
        if self.redis_url:
            return self.redis_url
        return None if self.queue_in_memory else self.queue_url

    @property
    def runs_worker_in_serve(self) -> bool:
        return self.queue_in_memory if self.worker_in_process is None else self.worker_in_process

    @property
    def graphiql_enabled(self) -> bool:
        return (not self.is_locked_down) if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return (not self.is_locked_down) if self.introspection is None else self.introspection

    @property
    def auto_migrate_enabled(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def jwt_secret(self) -> bytes:
        assert self.secret_key is not None
        return self.secret_key.get_secret_value().encode()


def _check_secret(secret: str) -> None:
    if secret.strip().lower() in PLACEHOLDER_SECRETS:
        raise ValueError("MODELSERVE_SECRET_KEY is a placeholder; set a random value")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"MODELSERVE_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes")


def _development_secret(data_dir: Path) -> str:
    """Read, or create once with mode 0600, the development signing key under ``data_dir``."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once agree on the first key written.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


# What one predictBatch call must be able to carry: its row cap, this many features wide, each
# value as long as JSON ever writes a float64 ("-2.2250738585072014e-308,": 25 bytes), plus
# room for the document and other variables.
BATCH_WIDTH_FEATURES = 32
JSON_BYTES_PER_VALUE = 25
BODY_OVERHEAD_BYTES = 64 * 1024


def body_cap_for(batch_rows: int) -> int:
    """The JSON body cap at which ``batch_rows`` rows of the widest batch fit."""
    return batch_rows * BATCH_WIDTH_FEATURES * JSON_BYTES_PER_VALUE + BODY_OVERHEAD_BYTES


class SettingsError(SystemExit):
    """Raised at start when the environment holds a bad value; the message names it."""


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (and explicit overrides), with a readable failure."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = ["Invalid ModelServe configuration:"]
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            variable = f"MODELSERVE_{where.upper()}" if error["loc"] else where
            lines.append(f"  {variable}: {error['msg']}")
        raise SettingsError("\n".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
