"""The results of a job over REST: ``GET /jobs/{id}/results`` as CSV or JSON Lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from domain.accounts import Scope
from domain.errors import DomainError, NotFound
from graph.context import Context
from graph.errors import parse_id
from graph.loaders import Loaders
from storage import tables

if TYPE_CHECKING:
    from domain.runtime import Services

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text, never runs (OWASP CSV injection): a leading
    formula character gets a quote, unless the cell is a plain number."""
    text = value if isinstance(value, str) else json.dumps(value) if value is not None else ""
    if text.startswith(FORMULA_PREFIXES):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


async def _as_csv(job: tables.Job, lines: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    columns = list(job.columns or [])
    classes = list(job.classes or [])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["line", *columns, "prediction", *(f"probability_{c}" for c in classes)]
    writer.writerow([csv_cell(c) for c in header])
    async for record in _records(lines):
        given = record["input"]
        cells = given if isinstance(given, list) else [given.get(c) for c in columns]
        row = [record["line"], *cells, record["prediction"], *record.get("probabilities", [])]
        writer.writerow([csv_cell(c) if not isinstance(c, int | float) else c for c in row])
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def _as_jsonl(job: tables.Job, lines: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    columns = list(job.columns or [])
    classes = list(job.classes or [])
    async for record in _records(lines):
        given = record["input"]
        if isinstance(given, list) and job.format is tables.JobFormat.CSV:
            record["input"] = dict(zip(columns, given, strict=False))
        if "probabilities" in record and classes:
            record["probabilities"] = dict(
                zip((str(c) for c in classes), record["probabilities"], strict=False)
            )
        yield json.dumps(record, separators=(",", ":")).encode() + b"\n"


async def _records(pieces: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    pending = b""
    async for piece in pieces:
        pending += piece
        *complete, pending = pending.split(b"\n")
        for line in complete:
            if line:
                yield json.loads(line)
    if pending.strip():
        yield json.loads(pending)


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


def results_endpoint(services: Services) -> Route:
    """``GET /jobs/{id}/results?format=csv|jsonl``: with ``Authorization: Bearer`` or
    ``X-API-Key`` (read scope, the job's owner with predict access), or a signed link's
    ``expires`` and ``signature``."""

    async def results(request: Request) -> Response:
        raw_format = request.query_params.get("format", "csv").lower()
        if raw_format not in {f.value for f in tables.JobFormat}:
            return _error(400, "BAD_USER_INPUT", "format must be csv or jsonl.")
        fmt = tables.JobFormat(raw_format)
        jobs = services.jobs
        try:
            job_id = parse_id(request.path_params["job_id"], "Job")
            signature = request.query_params.get("signature")
            if signature is not None:
                expires = request.query_params.get("expires", "")
                if not expires.isdigit():
                    raise NotFound("Job")
                job = await jobs.job_for_link(
                    job_id=job_id, fmt=fmt, expires=int(expires), signature=signature
                )
            else:
                context = Context(request, Response(), services, "", Loaders.build(services))
                caller = await context.require_caller()
                if not caller.has(Scope.READ):
                    return _error(403, "FORBIDDEN", "Downloading results needs the read scope.")
                job = await jobs.require_job(caller=caller, job_id=job_id)
        except DomainError as exc:
            status = {"UNAUTHENTICATED": 401, "NOT_FOUND": 404}.get(exc.code.value, 400)
            return _error(status, exc.code.value, exc.message)
        convert = _as_csv if fmt is tables.JobFormat.CSV else _as_jsonl
        media = "text/csv; charset=utf-8" if fmt is tables.JobFormat.CSV else "application/jsonl"
        name = f"job-{job.id}-results.{fmt.value}"
        return StreamingResponse(
            convert(job, jobs.output_lines(job)),
            media_type=media,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
                "X-Job-Status": str(job.status),
            },
        )

    return Route("/jobs/{job_id}/results", results, methods=["GET"])
