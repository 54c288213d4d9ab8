"""The ``modelserve`` command: serve, worker, migrate, create-admin, backup, restore,
export-schema; the client's commands (``modelserve_client.cli``) for everything else."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import logging.config
import os
import signal
import sys
from pathlib import Path
from typing import Any

from settings import Settings, SettingsError, get_settings

WS_MAX_BYTES = 1 << 20
GRACEFUL_SHUTDOWN_S = 30


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from graph.logs import logging_config

    settings = get_settings()
    _empty_metrics_dir()
    host, port = args.host or settings.host, args.port or settings.port
    log_config = logging_config(level=settings.log_level, fmt=settings.log_format)
    if settings.graphiql_enabled:
        # Said here, where the address is known; the app only sees it per request.
        logging.config.dictConfig(log_config)
        where = f"[{host}]" if ":" in host else host
        logging.getLogger("modelserve").info("GraphiQL at http://%s:%d/graphql", where, port)
    # After a graceful shutdown uvicorn re-raises the signal that stopped it; answering that
    # with SystemExit(0) makes a SIGTERM stop exit 0, as process managers expect.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    uvicorn.run(
        "graph.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        ws="websockets-sansio",
        ws_max_size=WS_MAX_BYTES,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        timeout_keep_alive=settings.keep_alive_s,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        log_level=settings.log_level.lower(),
        log_config=log_config,
        access_log=False,  # one access line per GraphQL operation instead, without query strings
        server_header=False,
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    settings = get_settings()
    if settings.queue_in_memory:
        print(
            "modelserve worker: the queue is in process (memory://), so `serve` runs the work; "
            "set MODELSERVE_QUEUE_URL (or MODELSERVE_REDIS_URL) to run separate workers",
            file=sys.stderr,
        )
        return 2
    asyncio.run(
        _run_worker(settings, metrics_port=args.metrics_port, metrics_host=args.metrics_host)
    )
    return 0


async def _run_worker(settings: Settings, *, metrics_port: int | None, metrics_host: str) -> None:
    """The worker role: the services without the HTTP app, running tasks until SIGTERM."""
    from tortoise import Tortoise

    from domain.runtime import Role, Services
    from graph import metrics
    from graph.logs import configure_logging
    from storage import migrate
    from storage.db import tortoise_config

    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if settings.auto_migrate_enabled:
        await migrate.upgrade(settings.database_url)
    await Tortoise.init(
        config=tortoise_config(
            settings.database_url,
            pool_max=settings.database_pool_max,
            acquire_timeout_s=settings.database_acquire_timeout_s,
        )
    )
    services = Services.build(
        settings, on_task=metrics.observe_task if settings.metrics_enabled else None
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    sampler = None
    if settings.metrics_enabled and metrics_port:
        sampler = metrics.WorkerMetrics(services, host=metrics_host, port=metrics_port)
    try:
        services.start(role=Role.WORKER)
        logging.getLogger("modelserve").info("worker ready (queue %s)", settings.queue_name)
        await services.work(stop)
    finally:
        if sampler is not None:
            await sampler.close()
        await services.close()
        await Tortoise.close_connections()


def _empty_metrics_dir() -> None:
    """Multi-process metrics start from an empty ``PROMETHEUS_MULTIPROC_DIR`` (graph/metrics.py)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def _migrate(args: argparse.Namespace) -> int:
    from storage import migrate

    applied = asyncio.run(migrate.upgrade(get_settings().database_url))
    print("applied: " + (", ".join(applied) if applied else "nothing, already at head"))
    return 0


async def _create_admin(email: str, password: str) -> str:
    from tortoise import Tortoise

    from domain.errors import ValidationFailed
    from domain.runtime import Services
    from storage import migrate
    from storage.db import tortoise_config

    settings = get_settings()
    if settings.auto_migrate_enabled:
        await migrate.upgrade(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    services = Services.build(settings)
    try:
        user = await services.accounts.create_admin(email=email, password=password)
        return f"admin ready: {user.email} ({user.id})"
    except ValidationFailed as exc:
        problems = "; ".join(f"{'.'.join(e.path)}: {e.message}" for e in exc.errors)
        raise SystemExit(f"create-admin: {problems}") from None
    finally:
        await services.close()
        await Tortoise.close_connections()


def _create_admin_cmd(args: argparse.Namespace) -> int:
    password = os.environ.get("MODELSERVE_ADMIN_PASSWORD")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        password = getpass.getpass("Password for the admin: ")
    print(asyncio.run(_create_admin(args.email, password)))
    return 0


def _backup(args: argparse.Namespace) -> int:
    from storage.backup import backup

    settings = get_settings()
    work = backup(settings.database_url, settings.artifact_store_url, Path(args.directory))
    return _report("backup", work, f"backed up {{}} to {args.directory}")


def _restore(args: argparse.Namespace) -> int:
    from storage.backup import restore

    settings = get_settings()
    work = restore(Path(args.directory), settings.database_url, settings.artifact_store_url)
    return _report("restore", work, "restored and checked {}")


def _report(command: str, work: Any, done: str) -> int:
    """Run a backup or restore; its summary on success, its reason (no traceback) on failure."""
    from storage.backup import BackupError

    try:
        report = asyncio.run(work)
    except (BackupError, FileExistsError) as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 1
    print(done.format(report.summary()))
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from graph.schema import export_sdl

    sdl = export_sdl()
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelserve", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=None)
    serve.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-For")
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    serve.set_defaults(func=_serve)

    worker = sub.add_parser("worker", help="run background tasks and scheduled work")
    worker.add_argument(
        "--metrics-port", type=int, default=None, help="serve Prometheus metrics on this port"
    )
    worker.add_argument("--metrics-host", default="127.0.0.1", help="and this address")
    worker.set_defaults(func=_worker)

    migrate = sub.add_parser("migrate", help="bring the database up to date")
    migrate.set_defaults(func=_migrate)

    admin = sub.add_parser("create-admin", help="create (or promote) an administrator")
    admin.add_argument("email")
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    admin.set_defaults(func=_create_admin_cmd)

    saved = sub.add_parser("backup", help="copy the database and the artifact store to a folder")
    saved.add_argument("directory", help="a new folder to write the backup into")
    saved.set_defaults(func=_backup)

    restored = sub.add_parser(
        "restore", help="load a backup into an empty database and store, then check the counts"
    )
    restored.add_argument("directory", help="a folder written by `modelserve backup`")
    restored.set_defaults(func=_restore)

    export = sub.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    export.set_defaults(func=_export_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        from modelserve_client.commands import SERVER_COMMANDS
        from modelserve_client.commands import main as client_main
    except ImportError:
        pass  # the client is not installed: the server's commands alone
    else:
        # Every command but the server's (login, models, upload, predict, jobs, ...).
        if not argv or argv[0] not in SERVER_COMMANDS:
            return client_main(argv)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
