"""The ``modelserve`` command line: publish, promote, predict and follow jobs from a shell.

Human tables by default, ``--json`` for scripts. Exit codes (``modelserve_client.errors``):
0 success, 1 other server error, 2 usage, 3 unauthenticated, 4 forbidden, 5 not found,
6 invalid input, 7 conflict, 8 rate limited, 9 rejected or too large, 10 no connection,
11 prediction failed, 12 unavailable, 13 job failed, 130 interrupted.

The server's own commands (serve, worker, migrate, ...) are handed to ``graph.cli`` when the
server is installed, so either ``modelserve`` script pip wrote behaves the same.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table
from rich.text import Text

from modelserve_client import config
from modelserve_client.client import Client
from modelserve_client.commands import SERVER_COMMANDS, server_main
from modelserve_client.errors import JobFailed, ModelServeError, NotFound
from modelserve_client.types import Session

app = typer.Typer(
    help="ModelServe: publish, promote and predict with machine-learning models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="The models you can see.", no_args_is_help=True)
jobs_app = typer.Typer(help="Batch jobs: predict a whole file in the background.")
keys_app = typer.Typer(help="API keys for programs.", no_args_is_help=True)
logs_app = typer.Typer(help="The prediction log.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(jobs_app, name="jobs", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(logs_app, name="logs")

# Control characters (ESC and the rest of C0 and C1, DEL) and bidirectional overrides: in text
# from the server (a shared model's description, say) they would move the cursor, recolour or
# hyperlink the terminal, or reorder what it shows.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(value: Any) -> Text:
    """A value as the terminal shows it: as Text, so Rich reads no markup in it, and without
    characters that would drive the terminal (each becomes U+FFFD)."""
    return Text(_UNPRINTABLE.sub("\ufffd", str(value)))


class _Terminal(Console):
    """A console printing every string through :func:`shown`."""

    def print(self, *objects: Any, **options: Any) -> None:
        super().print(*(shown(o) if isinstance(o, str) else o for o in objects), **options)


out = _Terminal()
err = _Terminal(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def client() -> Client:
    stored = config.load()

    def keep(session: Session) -> None:
        # The old refresh token stopped working: only the rotated pair signs in next time.
        config.save(
            dataclasses.replace(
                stored,
                token=session.access_token,
                refresh_token=session.refresh_token,
                username=session.username,
            )
        )

    return Client(
        stored.url,
        token=stored.token,
        refresh_token=stored.refresh_token,
        api_key=stored.api_key,
        on_refresh=keep,
        # Stored tokens are shared by every modelserve process of the user: one refresh at a
        # time, and a process that waited carries the pair the other stored.
        refresh_guard=config.refreshing if stored.refresh_token else None,
    )


def plain(value: Any) -> Any:
    """Dataclasses (and lists of them) as JSON-ready values, without the client they hold."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "client"
        }
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(plain(value)) + "\n")


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    grid = Table(title=shown(title) if title else None)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(shown("" if v is None else v) for v in row))
    out.print(grid)


# -- accounts ----------------------------------------------------------------------------------


@app.command()
def login(
    url: Annotated[str | None, typer.Option(help="The server, e.g. http://127.0.0.1:8000.")] = None,
    email: Annotated[str | None, typer.Option(help="Your account's email.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="Store an API key (msk_...) instead.")
    ] = None,
) -> None:
    """Sign in and keep the tokens (or the key) in your config dir, mode 0600."""
    server = url or config.load().url
    if api_key:
        path = config.save(config.Credentials(url=server, api_key=api_key))
        out.print(f"API key stored in {path}")
        return
    email = email or typer.prompt("Email")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True)
    with Client(server) as session:
        signed = session.login(email, password)
    path = config.save(
        config.Credentials(
            url=server,
            token=signed.access_token,
            refresh_token=signed.refresh_token,
            username=signed.username,
        )
    )
    out.print(f"Signed in to {server} as {signed.username}; tokens stored in {path}")


@app.command()
def logout() -> None:
    """End the session on the server and forget the stored token or key."""
    stored = config.load()
    if stored.token:
        # An expired session is as good as ended.
        with (
            Client(stored.url, token=stored.token, refresh_token=stored.refresh_token) as session,
            contextlib.suppress(ModelServeError),
        ):
            session.logout()
    # The server's address stays; the secrets go.
    config.save(config.Credentials(url=config.load().url))
    out.print("Signed out.")


# -- the registry ------------------------------------------------------------------------------


@models_app.command("list")
def models_list(
    search: Annotated[str | None, typer.Option(help="Only names containing this.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The models you can see, with their versions and aliases."""
    with client() as session:
        found = session.models(search)
    if as_json:
        emit_json(found)
        return
    rows = [
        [
            m.full_name,
            len(m.versions),
            m.latest.number if m.latest else "",
            ", ".join(f"{a}→{n}" for a, n in sorted(m.aliases.items())),
            m.description,
        ]
        for m in found
    ]
    table(None, ["model", "versions", "latest", "aliases", "description"], rows)


@models_app.command("show")
def models_show(name: str, as_json: JsonFlag = False) -> None:
    """One model: its versions, their signatures and the aliases pointing at them."""
    with client() as session:
        found = session.model(name)
    if found is None:
        raise NotFound("NOT_FOUND", f"No model {name!r}.")
    if as_json:
        emit_json(found)
        return
    by_version: dict[int, list[str]] = {}
    for alias, number in found.aliases.items():
        by_version.setdefault(number, []).append(alias)
    rows = [
        [
            v.number,
            v.status,
            v.estimator_class,
            f"{v.source_format}→{v.serving_format}",
            ", ".join(sorted(by_version.get(v.number, []))),
            v.created_at[:19],
        ]
        for v in sorted(found.versions, key=lambda v: v.number)
    ]
    title = f"{found.full_name}" + (f" - {found.description}" if found.description else "")
    table(title, ["version", "status", "estimator", "format", "aliases", "created"], rows)


@app.command()
def upload(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A model file.")],
    name: Annotated[str, typer.Option(help="The model (created when it does not exist).")],
    description: Annotated[str, typer.Option(help="What this version is.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Publish a model file (skops, ONNX, joblib or pickle) as a new version."""
    with client() as session:
        version = session.upload(path, name=name, description=description)
    if as_json:
        emit_json(version)
        return
    again = " (the same file as before)" if version.deduplicated else ""
    out.print(
        f"{name} version {version.number}: {version.estimator_class}, {version.status}{again}"
    )


@app.command()
def promote(
    name: str,
    version: int,
    alias: Annotated[str, typer.Option(help="The alias to move.")] = "production",
    reason: Annotated[str, typer.Option(help="Kept in the alias history.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Point an alias (production by default) at a version."""
    with client() as session:
        moved = session.promote(name, version, alias, reason=reason)
    if as_json:
        emit_json(moved)
        return
    out.print(f"{name}@{moved.name} → version {moved.version_number}")


# -- predictions -------------------------------------------------------------------------------


def read_rows(source: Path | None) -> Any:
    """Rows or records from a JSON document, or JSON Lines (one row or record a line)."""
    try:
        text = sys.stdin.read() if source is None or str(source) == "-" else source.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"Cannot read the rows: {exc}") from None
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError:
        raise typer.BadParameter("Rows must be JSON, or JSON Lines.") from None


@app.command()
def predict(
    ref: Annotated[str, typer.Argument(help="name, owner/name, name:3 or name@alias.")],
    json_file: Annotated[
        Path | None,
        typer.Option(
            "--json",
            help="A JSON file of a row, a record or a list of them (- or none: standard input).",
        ),
    ] = None,
    batch: Annotated[bool, typer.Option(help="Use predictBatch (many rows).")] = False,
    output: Annotated[str, typer.Option("--output", "-o", help="table or json.")] = "table",
) -> None:
    """Predict rows given as JSON (a file with --json, or standard input)."""
    rows = read_rows(json_file)
    with client() as session:
        answer = session.predict_batch(ref, rows) if batch else session.predict(ref, rows)
    if output == "json":
        emit_json(answer)
        return
    values = answer.predictions if batch else answer.values
    title = f"{ref} (version {answer.version_number}, {answer.latency_ms:.1f} ms)"
    table(title, ["row", "prediction"], [[i, v] for i, v in enumerate(values)])


# -- batch jobs --------------------------------------------------------------------------------


def show_job(job: Any, as_json: bool) -> None:
    if as_json:
        emit_json(job)
        return
    table(
        f"job {job.id}",
        ["status", "rows done", "rows failed", "file", "error"],
        [[job.status, job.rows_done, job.rows_failed, job.filename, job.error]],
    )
    if job.row_errors:
        table(
            "rows refused",
            ["line", "code", "message"],
            [[e.line, e.code, e.message] for e in job.row_errors],
        )


@jobs_app.command("submit")
def jobs_submit(
    ref: str,
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON Lines.")],
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Return once it is queued.")] = False,
    max_failed_rows: Annotated[int | None, typer.Option(help="Fail past this many.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Predict a file in the background, following it with a progress bar."""
    with client() as session:
        job = session.submit_job(ref, path, max_failed_rows=max_failed_rows)
        if no_wait:
            show_job(job, as_json)
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]} rows"),
        )
        with Progress(*columns, console=err, disable=as_json) as bar:
            task = bar.add_task(f"job {job.id[:8]}", total=1.0, rows=0)
            for step in job.progress():
                bar.update(
                    task,
                    completed=step.progress,
                    rows=step.rows_done,
                    description=f"job {job.id[:8]} {step.status.lower()}",
                )
        ended = session.job(job.id)
    show_job(ended, as_json)
    if ended.status != "SUCCEEDED":
        raise JobFailed(ended)


@jobs_app.command("show")
def jobs_show(job_id: str, as_json: JsonFlag = False) -> None:
    """A job's status, counters and refused rows."""
    with client() as session:
        job = session.job(job_id)
    if job is None:
        raise NotFound("NOT_FOUND", f"No job {job_id}.")
    show_job(job, as_json)


@jobs_app.command("download")
def jobs_download(
    job_id: str,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
    format: Annotated[str, typer.Option(help="csv or jsonl.")] = "csv",
) -> None:
    """A job's results (standard output unless -o names a file)."""
    with client() as session:
        written = session.download_job(job_id, output, format=format)
    if output is None:
        sys.stdout.buffer.write(written)
    else:
        err.print(f"results written to {written}")


# -- keys --------------------------------------------------------------------------------------


@keys_app.command("create")
def keys_create(
    scope: Annotated[list[str], typer.Option(help="READ, PREDICT, PUBLISH or ADMIN; repeat.")],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """A new API key; its secret is shown this once."""
    with client() as session:
        created = session.create_key(name, scope)
    if as_json:
        emit_json(created)
        return
    out.print(f"key {created.key.prefix} ({', '.join(created.key.scopes)}), id {created.key.id}")
    out.print("secret (shown once):")
    out.print(created.secret, soft_wrap=True)


@keys_app.command("list")
def keys_list(
    include_revoked: Annotated[bool, typer.Option(help="Show revoked keys too.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Your API keys."""
    with client() as session:
        found = session.keys(include_revoked=include_revoked)
    if as_json:
        emit_json(found)
        return
    rows = [
        [k.id, k.name, k.prefix, ",".join(k.scopes), k.last_used_at, "yes" if k.is_active else "no"]
        for k in found
    ]
    table(None, ["id", "name", "prefix", "scopes", "last used", "active"], rows)


@keys_app.command("revoke")
def keys_revoke(key_id: str, as_json: JsonFlag = False) -> None:
    """Revoke a key: its next request is refused."""
    with client() as session:
        revoked = session.revoke_key(key_id)
    if as_json:
        emit_json(revoked)
        return
    out.print(f"key {revoked.prefix} revoked")


# -- the prediction log ------------------------------------------------------------------------


@logs_app.command("tail")
def logs_tail(
    ref: str,
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="Stop after N.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Follow a model's predictions as they are logged (Ctrl-C to stop)."""
    with client() as session:
        for count, event in enumerate(session.subscribe_predictions(ref), start=1):
            if as_json:
                emit_json(event)
                sys.stdout.flush()
            else:
                out.print(
                    f"{event.at[:23]} v{event.version_number} {event.status:<6} "
                    f"{event.rows} rows {event.latency_ms:.1f} ms  {json.dumps(event.outputs)}"
                )
            if limit is not None and count >= limit:
                return


# -- the server's commands ---------------------------------------------------------------------


def _server_command(name: str) -> None:
    passthrough = {"allow_extra_args": True, "ignore_unknown_options": True}

    @app.command(
        name,
        context_settings=passthrough,
        add_help_option=False,
        help=f"The server's `{name}` (modelserve {name} --help).",
        rich_help_panel="Server",
    )
    def run(ctx: typer.Context) -> None:
        raise typer.Exit(server_main([name, *ctx.args]))


for _name in sorted(SERVER_COMMANDS):
    _server_command(_name)


def run(args: list[str]) -> int:
    """Run the command line; the exit code (see the module docstring)."""
    try:
        result = app(args=args, prog_name="modelserve", standalone_mode=False)
    except ModelServeError as exc:
        err.print(Text.assemble(("error", "red"), " ", shown(f"{exc.code}: {exc.message}")))
        for problem in getattr(exc, "fields", ()):
            err.print(f"  {'.'.join(problem.path)}: {problem.message}", highlight=False)
        if getattr(exc, "retry_after", None):
            err.print(f"  retry after {exc.retry_after} s")
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err.print("aborted")
        return 130
    except KeyboardInterrupt:
        return 130
    except typer.TyperException as exc:  # usage errors: a missing argument, a bad option
        exc.show()
        return getattr(exc, "exit_code", 2)
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    from modelserve_client.commands import main

    sys.exit(main())
