"""The process-wide services, built once from settings and shared by every request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any

from domain.accounts import Accounts, LoginRates, PasswordHashing, TokenCodec
from domain.accounts.throttle import ThrottlePolicy
from domain.audit.log import AuditLog
from domain.background import Background, catalogue
from domain.drift import Drift, DriftLimits
from domain.events import Emitter, ModelEvent, SessionsChanged
from domain.inference.cache import ModelCache
from domain.inference.compile import NotCompiled, compile_version
from domain.inference.prediction_cache import PredictionCache
from domain.inference.service import Inference, InferenceConfig, Target
from domain.jobs import Jobs, JobsConfig
from domain.predictions.log import PredictionLogWriter
from domain.quotas import QuotaPolicy, Quotas
from domain.ratelimit import Rate, RateLimiter
from domain.registry.intake import IntakeResult, load_serving_model
from domain.registry.service import IntakeLimits, Registry
from domain.teams import Teams
from domain.webhooks.service import Webhooks
from settings import Settings
from storage.artifacts import ArtifactStore, artifact_store_from_url
from storage.pubsub import PubSub, pubsub_from_url
from storage.queue import QueueConfig, TaskQueue
from storage.redis_guard import GuardedRedis, RedisCircuit

log = logging.getLogger("modelserve")


class Role(StrEnum):
    """What a process is for: ``serve`` answers the API, ``worker`` runs background work."""

    API = "api"
    WORKER = "worker"


COMPILE_TIMEOUT_S = 120.0


@dataclass
class Services:
    settings: Settings
    pubsub: PubSub
    emitter: Emitter
    limiter: RateLimiter
    hashing: PasswordHashing
    accounts: Accounts
    store: ArtifactStore
    registry: Registry
    inference: Inference
    redis: Any | None
    redis_circuit: RedisCircuit
    quotas: Quotas
    teams: Teams
    queue: Background
    jobs: Jobs
    _started: bool = False
    _nudging: bool = False
    _warm_up: asyncio.Task[int] | None = None
    _worker: asyncio.Task[None] | None = None
    _stop_work: asyncio.Event | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        on_prediction: Callable[[Target, str, int, float], None] | None = None,
        on_batch: Callable[[int, int], None] | None = None,
        on_task: Callable[[str, str], None] | None = None,
    ) -> Services:
        """Everything wired from ``settings``; the hooks observe predictions, micro-batches and
        background work (name, ``ok`` or ``failed``)."""
        circuit = RedisCircuit(timeout_s=settings.redis_deadline_s, retry_s=settings.redis_retry_s)
        pubsub = pubsub_from_url(settings.pubsub_url, circuit=circuit)
        limiter = RateLimiter(settings.redis_url, circuit=circuit)
        redis = None
        if settings.redis_url:
            import redis.asyncio as redis_asyncio

            redis = GuardedRedis(
                redis_asyncio.Redis.from_url(
                    settings.redis_url, socket_connect_timeout=1.0, socket_timeout=1.0
                ),
                circuit,
            )
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
            guessing=ThrottlePolicy(
                per_address=Rate(settings.login_attempts_per_ip_per_minute, 60),
                per_account_address=Rate(
                    settings.login_failures_per_account, settings.login_failure_window_s
                ),
                slow_after=settings.login_failures_per_account,
                max_delay_s=settings.login_max_delay_s,
                daily_failures=settings.login_failures_per_account_per_day,
            ),
            register_per_ip=Rate(settings.register_per_ip_per_hour, 3600),
        )
        emitter = Emitter(pubsub)
        accounts = Accounts(
            hashing=hashing, tokens=tokens, limiter=limiter, rates=rates, emitter=emitter
        )
        store = artifact_store_from_url(settings.artifact_store_url)
        compile_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compile")

        async def compile_hook(
            serving_bytes: bytes, result: IntakeResult, example: list[list[float]] | None
        ) -> tuple[bytes, float] | str:
            loop = asyncio.get_running_loop()
            try:
                compiled = await asyncio.wait_for(
                    loop.run_in_executor(
                        compile_pool,
                        lambda: compile_version(
                            serving_bytes=serving_bytes,
                            n_features=result.signature.n_features_in,
                            example=example,
                        ),
                    ),
                    COMPILE_TIMEOUT_S,
                )
            except NotCompiled as exc:
                return str(exc)
            except TimeoutError:
                return "conversion took too long"
            except Exception as exc:
                log.warning("compiling a version failed", exc_info=True)
                return f"conversion failed ({type(exc).__name__})"
            return compiled.onnx_bytes, compiled.max_abs_diff

        registry = Registry(
            store=store,
            spool_dir=settings.data_dir / "spool",
            limits=IntakeLimits(
                timeout_s=settings.intake_timeout_s,
                memory_limit_mb=settings.intake_memory_mb,
                max_upload_bytes=settings.max_upload_bytes,
            ),
            emitter=emitter,
            compile=compile_hook,
        )
        quotas = Quotas(
            limiter=limiter,
            policy=QuotaPolicy(
                prediction_units_per_minute=settings.prediction_units_per_minute,
                prediction_rows_per_unit=settings.prediction_rows_per_unit,
                uploads_per_hour=settings.uploads_per_hour,
                explain_cost_multiplier=settings.explain_cost_multiplier,
            ),
        )
        cache = ModelCache(
            store=store,
            load=lambda data, fmt: load_serving_model(data=data, serving_format=fmt),
            executor=ThreadPoolExecutor(max_workers=2, thread_name_prefix="model-load"),
            max_bytes=settings.model_cache_max_bytes,
            max_models=settings.model_cache_max_models,
            redis=redis,
            redis_max_bytes=settings.redis_artifact_max_bytes,
            redis_ttl_s=settings.redis_artifact_ttl_s,
        )
        inference = Inference(
            config=InferenceConfig(
                workers=settings.inference_workers,
                timeout_s=settings.predict_timeout_s,
                batch_max_rows=settings.batch_max_rows,
                batch_max_wait_ms=settings.batch_max_wait_ms,
                explain_max_rows=settings.explain_max_rows,
            ),
            cache=cache,
            log_writer=PredictionLogWriter(
                max_queue=settings.prediction_log_queue,
                batch_size=settings.prediction_log_batch,
                publish=pubsub.publish,
            ),
            prediction_cache=PredictionCache(redis=redis),
            on_prediction=on_prediction,
            on_batch=on_batch,
            quotas=quotas,
            shadow_queue=settings.shadow_queue,
        )
        # Local handlers first, for changes made here and (over pub/sub) on other replicas.
        emitter.on(ModelEvent, inference.forget_model)
        emitter.on(SessionsChanged, accounts.forget)
        emitter.on_gap(inference.forget_resolutions)
        emitter.on_gap(accounts.clear_cache)
        queue = Background(_task_queue(settings, on_task))
        jobs = Jobs(
            store=store,
            emitter=emitter,
            inference=inference,
            quotas=quotas,
            queue=queue,
            config=JobsConfig.from_settings(settings),
            spool_dir=settings.data_dir / "spool",
            secret=settings.jwt_secret,
        )
        return cls(
            settings,
            pubsub,
            emitter,
            limiter,
            hashing,
            accounts,
            store,
            registry,
            inference,
            redis,
            circuit,
            quotas,
            Teams(emitter=emitter),
            queue,
            jobs,
        )

    @cached_property
    def drift(self) -> Drift:
        """Reference profiles, drift reports and the scheduled drift check."""
        settings = self.settings
        return Drift(
            inference=self.inference,
            emitter=self.emitter,
            spool_dir=settings.data_dir / "spool",
            limits=DriftLimits(
                bins=settings.drift_bins,
                sample_rows=settings.drift_sample_rows,
                reference_max_bytes=settings.drift_reference_max_bytes,
                profile_log_rows=settings.drift_profile_log_rows,
                window_max_rows=settings.drift_window_max_rows,
                check_window_s=settings.drift_check_window_s,
                timeout_s=settings.intake_timeout_s,
                memory_limit_mb=settings.intake_memory_mb,
            ),
        )

    @cached_property
    def audit(self) -> AuditLog:
        """Reading the audit log (entries are written by the services that make the changes)."""
        return AuditLog()

    @cached_property
    def webhooks(self) -> Webhooks:
        """Webhook endpoints and this process's outbox dispatcher."""
        return Webhooks(settings=self.settings, emitter=self.emitter, queue=self.queue)

    def start(self, role: Role = Role.API) -> None:
        """Start this role's background work; call inside the event loop, after the database.

        Every role may enqueue; the worker role (and ``serve`` when the settings say it runs
        work in process) also runs tasks and scheduled work, through :meth:`work`.
        """
        self.emitter.start()
        self.inference.start()
        if not self._nudging:
            # After a change commits (its event goes out then), deliver its webhooks soon.
            self._nudging = True
            self.emitter.on(ModelEvent, self.webhooks.nudge, remote=False)
        if role is Role.API and self.settings.warm_up_production:
            self._warm_up = asyncio.create_task(self.inference.warm_up(), name="warm-up")
        if not self._started and (role is Role.WORKER or self.settings.runs_worker_in_serve):
            self._started = True
            self.queue.queue.attach(self)
            if role is Role.API:
                self._stop_work = asyncio.Event()
                self._worker = asyncio.create_task(self.work(self._stop_work), name="worker")
                self._worker.add_done_callback(_report_stopped_worker)

    async def work(self, stop: asyncio.Event) -> None:
        """Run tasks until ``stop`` is set, then give running ones the grace period."""
        await self.queue.queue.work(stop)

    async def close(self) -> None:
        """Flush the prediction log and release connections; call before the database closes."""
        if self._warm_up is not None:
            self._warm_up.cancel()
            with contextlib.suppress(BaseException):
                await self._warm_up
        if self._worker is not None and self._stop_work is not None:
            self._stop_work.set()
            with contextlib.suppress(BaseException):
                await self._worker
        with contextlib.suppress(Exception):
            await self.queue.close()
        with contextlib.suppress(Exception):
            await self.emitter.close()
        with contextlib.suppress(Exception):
            await self.inference.close()
        with contextlib.suppress(Exception):
            await self.pubsub.close()
        with contextlib.suppress(Exception):
            await self.store.close()
        if self.redis is not None:
            with contextlib.suppress(Exception):
                await self.redis.aclose()
        self.hashing.close()


def _report_stopped_worker(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background work stopped in this process", exc_info=task.exception())


def _task_queue(settings: Settings, observe: Callable[[str, str], None] | None) -> TaskQueue:
    tasks, schedule = catalogue(settings.background_modules)
    config = QueueConfig(
        url=settings.queue_url,
        name=settings.queue_name,
        lease_s=settings.queue_lease_s,
        max_deliveries=settings.queue_max_deliveries,
        concurrency=settings.worker_concurrency,
        grace_s=settings.worker_grace_s,
        default_timeout_s=settings.task_timeout_s,
    )
    return TaskQueue(config, tasks=tasks, schedule=schedule, settings=settings, observe=observe)
