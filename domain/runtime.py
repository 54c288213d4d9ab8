"""The process-wide services, built once from settings and shared by every request."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from domain.accounts import Accounts, LoginRates, PasswordHashing, TokenCodec
from domain.ratelimit import Rate, RateLimiter
from domain.registry.service import IntakeLimits, Registry
from settings import Settings
from storage.artifacts import ArtifactStore, artifact_store_from_url
from storage.pubsub import PubSub, pubsub_from_url

log = logging.getLogger("modelserve")


@dataclass
class Services:
    settings: Settings
    pubsub: PubSub
    limiter: RateLimiter
    hashing: PasswordHashing
    accounts: Accounts
    store: ArtifactStore
    registry: Registry

    @classmethod
    def build(cls, settings: Settings) -> Services:
        pubsub = pubsub_from_url(settings.redis_url)
        limiter = RateLimiter(settings.redis_url)
        hashing = PasswordHashing(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            concurrency=settings.hash_concurrency,
        )
        tokens = TokenCodec(
            secret=settings.jwt_secret,
            issuer=settings.jwt_issuer,
            access_ttl=timedelta(seconds=settings.access_token_ttl_s),
            refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_s),
            leeway_s=settings.jwt_leeway_s,
        )
        rates = LoginRates(
            per_account=Rate(settings.login_failures_per_account, settings.login_failure_window_s),
            per_ip=Rate(settings.login_attempts_per_ip_per_minute, 60),
            register_per_ip=Rate(settings.register_per_ip_per_hour, 3600),
        )
        accounts = Accounts(
            hashing=hashing, tokens=tokens, limiter=limiter, rates=rates, publish=pubsub.publish
        )
        store = artifact_store_from_url(settings.artifact_store_url)
        registry = Registry(
            store=store,
            spool_dir=settings.data_dir / "spool",
            limits=IntakeLimits(
                timeout_s=settings.intake_timeout_s,
                memory_limit_mb=settings.intake_memory_mb,
                max_upload_bytes=settings.max_upload_bytes,
            ),
            publish=pubsub.publish,
        )
        return cls(settings, pubsub, limiter, hashing, accounts, store, registry)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.pubsub.close()
        with contextlib.suppress(Exception):
            await self.store.close()
        self.hashing.close()
