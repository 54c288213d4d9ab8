"""Typed errors: one class per error code the server answers.

    ModelServeError(code, message)           exit 1
    ├── ConnectionFailed                     exit 10  (no answer from the server)
    ├── Unauthenticated                      exit 3   UNAUTHENTICATED, InvalidCredentialsError
    ├── Forbidden                            exit 4   FORBIDDEN, ForbiddenError, ForbiddenKeyError
    ├── NotFound                             exit 5   NOT_FOUND, NotFoundError
    ├── ValidationFailed(fields)             exit 6   BAD_USER_INPUT, ValidationError
    ├── Conflict                             exit 7   CONFLICT, ModelNameTakenError, ...
    ├── RateLimited(retry_after)             exit 8   RATE_LIMITED
    ├── Rejected(reason)                     exit 9   MODEL_REJECTED, ModelRejectedError, ...
    ├── PayloadTooLarge(limit_bytes)         exit 9   PAYLOAD_TOO_LARGE, PayloadTooLargeError
    ├── PredictionFailed                     exit 11  PREDICTION_FAILED, PREDICTION_TIMEOUT, ...
    ├── Unavailable(retry_after)             exit 12  UNAVAILABLE, STORAGE_FULL, ...
    ├── JobFailed(job)                       exit 13  a batch job that ended FAILED or CANCELLED
    └── UnsafeConfig                         exit 14  the credentials' directory or file is not
                                                      the user's alone (UNSAFE_CONFIG)

The exit codes are the command line's (``modelserve_client.cli``); 2 is a usage error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem with one input field (``path`` as the server names it)."""

    path: tuple[str, ...]
    message: str
    code: str


class ModelServeError(Exception):
    """Base of every error the client raises; ``code`` is the server's code."""

    exit_code = 1

    def __init__(self, code: str, message: str, *, extensions: dict[str, Any] | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.extensions = extensions or {}


class ConnectionFailed(ModelServeError):
    exit_code = 10


class Unauthenticated(ModelServeError):
    exit_code = 3


class Forbidden(ModelServeError):
    exit_code = 4


class NotFound(ModelServeError):
    exit_code = 5


class ValidationFailed(ModelServeError):
    exit_code = 6

    def __init__(self, code: str, message: str, *, extensions: dict[str, Any] | None = None):
        super().__init__(code, message, extensions=extensions)
        self.fields = [
            FieldProblem(tuple(str(p) for p in f.get("path", ())), f["message"], f.get("code", ""))
            for f in (extensions or {}).get("fields") or ()
        ]


class Conflict(ModelServeError):
    exit_code = 7


class RateLimited(ModelServeError):
    exit_code = 8

    def __init__(self, code: str, message: str, *, extensions: dict[str, Any] | None = None):
        super().__init__(code, message, extensions=extensions)
        self.retry_after: float | None = (extensions or {}).get("retryAfter")


class Rejected(ModelServeError):
    exit_code = 9

    def __init__(self, code: str, message: str, *, extensions: dict[str, Any] | None = None):
        super().__init__(code, message, extensions=extensions)
        self.reason: str | None = (extensions or {}).get("reason")


class PayloadTooLarge(ModelServeError):
    exit_code = 9

    def __init__(self, code: str, message: str, *, extensions: dict[str, Any] | None = None):
        super().__init__(code, message, extensions=extensions)
        self.limit_bytes: float | None = (extensions or {}).get("limitBytes")


class PredictionFailed(ModelServeError):
    exit_code = 11


class Unavailable(ModelServeError):
    exit_code = 12

    def __init__(self, code: str, message: str, *, extensions: dict[str, Any] | None = None):
        super().__init__(code, message, extensions=extensions)
        self.retry_after: float | None = (extensions or {}).get("retryAfter")


class JobFailed(ModelServeError):
    exit_code = 13

    def __init__(self, job: Any) -> None:
        super().__init__(job.status, job.error or f"The job ended {job.status}.")
        self.job = job


BY_CODE: dict[str, type[ModelServeError]] = {
    "UNAUTHENTICATED": Unauthenticated,
    "FORBIDDEN": Forbidden,
    "NOT_FOUND": NotFound,
    "BAD_USER_INPUT": ValidationFailed,
    "GRAPHQL_VALIDATION_FAILED": ValidationFailed,
    "BAD_REQUEST": ValidationFailed,
    "CONFLICT": Conflict,
    "IDEMPOTENCY_KEY_REUSED": Conflict,
    "RATE_LIMITED": RateLimited,
    "PAYLOAD_TOO_LARGE": PayloadTooLarge,
    "MODEL_REJECTED": Rejected,
    "PREDICTION_FAILED": PredictionFailed,
    "PREDICTION_TIMEOUT": PredictionFailed,
    "EXPLANATION_UNSUPPORTED": PredictionFailed,
    "UNAVAILABLE": Unavailable,
    "STORAGE_FULL": Unavailable,
    "STORAGE_READ_ONLY": Unavailable,
}

# The typed errors of mutation results (``__typename`` of a union member).
BY_TYPENAME: dict[str, tuple[type[ModelServeError], str]] = {
    "ValidationError": (ValidationFailed, "BAD_USER_INPUT"),
    "InvalidCredentialsError": (Unauthenticated, "UNAUTHENTICATED"),
    "NotFoundError": (NotFound, "NOT_FOUND"),
    "ForbiddenError": (Forbidden, "FORBIDDEN"),
    "ForbiddenKeyError": (Forbidden, "FORBIDDEN"),
    "ModelNameTakenError": (Conflict, "CONFLICT"),
    "IdempotencyKeyReusedError": (Conflict, "IDEMPOTENCY_KEY_REUSED"),
    "VersionNotReadyError": (Conflict, "CONFLICT"),
    "ModelRejectedError": (Rejected, "MODEL_REJECTED"),
    "ReferenceRejectedError": (Rejected, "MODEL_REJECTED"),
    "PayloadTooLargeError": (PayloadTooLarge, "PAYLOAD_TOO_LARGE"),
    "DecompressedTooLargeError": (PayloadTooLarge, "PAYLOAD_TOO_LARGE"),
}


def from_graphql_error(error: dict[str, Any]) -> ModelServeError:
    """The typed exception for one entry of a response's top-level ``errors``."""
    extensions = error.get("extensions") or {}
    code = str(extensions.get("code") or "INTERNAL")
    return BY_CODE.get(code, ModelServeError)(
        code, error.get("message", "Unknown error."), extensions=extensions
    )


def from_payload(payload: dict[str, Any]) -> ModelServeError:
    """The typed exception for a union member that is an error (it has ``__typename``)."""
    typename = payload.get("__typename", "Error")
    cls, code = BY_TYPENAME.get(typename, (ModelServeError, typename))
    extensions = {k: v for k, v in payload.items() if k not in {"__typename", "message"}}
    return cls(code, payload.get("message", typename), extensions=extensions)


class UnsafeConfig(ModelServeError):
    """The command line's credentials live in a directory or file others could write or swap:
    nothing is read from it or written to it until its owner fixes it."""

    exit_code = 14
