"""Logging: one JSON object per line (or plain text), each carrying the request id when known.

``RequestIdMiddleware`` (graph/http.py) puts the request's id into ``request_id_var``
for the whole request (or websocket), so every line logged meanwhile, in any layer, carries it.
``modelserve serve`` hands ``logging_config`` to uvicorn (workers included); an app built by
the factory elsewhere configures logging the same way unless something already did.
"""

from __future__ import annotations

import hashlib
import json
import logging
import logging.config
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import websockets

from settings import LogFormat

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "color_message",  # uvicorn's ANSI copy of the message
    "taskName",
}
# Defence in depth: an extra named like a secret is never written, whatever it holds.
_SECRET_NAME = re.compile(r"password|passwd|secret|token|authori[sz]ation|cookie|api_?key", re.I)
REDACTED = "[redacted]"

# Uvicorn hands its "uvicorn.error" logger to the websockets library, whose DEBUG traces print
# each frame's text: connection_init tokens, documents and their variables.
_WEBSOCKETS_SOURCE = str(Path(websockets.__file__).parent)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def document_digest(query: str) -> dict[str, Any]:
    """What a log may say of a client's document: its size and a hash, never its text."""
    raw = query.encode("utf-8", "replace")
    return {"document_bytes": len(raw), "document_sha256": hashlib.sha256(raw).hexdigest()[:16]}


def current_request_id(record: logging.LogRecord | None = None) -> str | None:
    """The request id of ``record`` (an explicit ``extra``), else of the running request."""
    given = getattr(record, "request_id", None) if record is not None else None
    return given or request_id_var.get()


class JsonFormatter(logging.Formatter):
    """timestamp, level, logger, message, request_id (when known), extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id(record)
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = REDACTED if _SECRET_NAME.search(key) else value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``TEXT_FORMAT``, with ``-`` for a line logged outside any request."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = current_request_id(record) or "-"
        return super().format(record)


def logging_config(*, level: str, fmt: LogFormat) -> dict[str, Any]:
    """A ``dictConfig`` for the root logger and uvicorn's, to stderr in ``fmt``.

    Uvicorn's access log is off: it would print query strings (GET /graphql?variables=...),
    and the schema writes one access line per operation instead.
    """
    formatter = JsonFormatter if fmt is LogFormat.JSON else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
            # taskiq says "Executing task ..." for every run (a drain every two seconds); our
            # own lines say what matters: failures, outages, leases run out.
            "taskiq": {"handlers": [], "propagate": True, "level": "WARNING"},
        },
    }


class NoFrameTraces(logging.Filter):
    """Drops the websockets library's DEBUG records, which trace every frame's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG or not record.pathname.startswith(_WEBSOCKETS_SOURCE)


def configure_logging(*, level: str, fmt: LogFormat) -> None:
    """Apply ``logging_config``; like ``basicConfig``, only if the root logger has no handler.

    Frame traces are dropped either way: a logger's filter stops a record before any handler,
    whoever configured them.
    """
    uvicorn_error = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, NoFrameTraces) for f in uvicorn_error.filters):
        uvicorn_error.addFilter(NoFrameTraces())
    if not logging.getLogger().handlers:
        logging.config.dictConfig(logging_config(level=level, fmt=fmt))
