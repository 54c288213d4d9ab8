"""The domain's error vocabulary.

Every expected failure is a ``DomainError`` with a stable ``code``; the GraphQL layer maps codes to
``extensions.code`` (or to a typed error in a mutation's result union) in one place.

    DomainError
    ├── ValidationFailed          BAD_USER_INPUT  field errors (path, message, code)
    ├── Unauthenticated           UNAUTHENTICATED no, bad, expired or revoked credentials
    ├── InvalidCredentials        UNAUTHENTICATED login failed (unknown email, wrong password)
    ├── Forbidden                 FORBIDDEN       authenticated, but not allowed
    ├── NotFound                  NOT_FOUND       missing, or not visible to the caller
    ├── Conflict                  CONFLICT        uniqueness or state conflict
    │   └── IdempotencyKeyReused  IDEMPOTENCY_KEY_REUSED  same key, different request
    ├── RateLimited               RATE_LIMITED    carries retry_after (seconds)
    ├── PayloadTooLarge           PAYLOAD_TOO_LARGE
    │   └── DecompressedTooLarge  PAYLOAD_TOO_LARGE   a gzip file inflates past its cap
    ├── ModelRejected             MODEL_REJECTED  an upload failed intake (carries reason)
    ├── StorageFull               STORAGE_FULL
    ├── StorageReadOnly           STORAGE_READ_ONLY   the artifact store refuses writes
    ├── Unavailable               UNAVAILABLE     a backing service is down
    ├── PredictionTimeout         PREDICTION_TIMEOUT  the model did not answer in time
    ├── PredictionFailed          PREDICTION_FAILED   the model raised
    └── ExplanationUnsupported    EXPLANATION_UNSUPPORTED  no exact explainer for this model
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    RATE_LIMITED = "RATE_LIMITED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    MODEL_REJECTED = "MODEL_REJECTED"
    STORAGE_FULL = "STORAGE_FULL"
    STORAGE_READ_ONLY = "STORAGE_READ_ONLY"
    UNAVAILABLE = "UNAVAILABLE"
    PREDICTION_TIMEOUT = "PREDICTION_TIMEOUT"
    PREDICTION_FAILED = "PREDICTION_FAILED"
    EXPLANATION_UNSUPPORTED = "EXPLANATION_UNSUPPORTED"
    INTERNAL = "INTERNAL"


class DomainError(Exception):
    """Base of every expected failure."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field; ``path`` names it, e.g. ``("input", "password")``."""

    path: tuple[str, ...]
    message: str
    code: str = "invalid"


class ValidationFailed(DomainError):
    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, errors: list[FieldError], message: str = "Invalid input.") -> None:
        super().__init__(message)
        self.errors = errors


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED

    def __init__(self, message: str = "Authentication required.") -> None:
        super().__init__(message)


class InvalidCredentials(DomainError):
    code = ErrorCode.UNAUTHENTICATED

    def __init__(self) -> None:
        super().__init__("Invalid email or password.")


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN

    def __init__(self, message: str = "You are not allowed to do this.") -> None:
        super().__init__(message)


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND

    def __init__(self, what: str = "Object") -> None:
        super().__init__(f"{what} not found.")
        self.what = what


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class IdempotencyKeyReused(Conflict):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED

    def __init__(self) -> None:
        super().__init__("This idempotency key was used for a different request.")


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED

    def __init__(
        self,
        retry_after: int,
        message: str = "Too many requests.",
        *,
        limit: int | None = None,
        remaining: int | None = None,
        limited_by: str | None = None,
    ) -> None:
        super().__init__(f"{message} Retry after {max(1, int(retry_after))} s.")
        self.retry_after = max(1, int(retry_after))
        # The window's figures, when the limit is the caller's to know (not for login guessing).
        self.limit = limit
        self.remaining = remaining
        self.limited_by = limited_by


class PayloadTooLarge(DomainError):
    code = ErrorCode.PAYLOAD_TOO_LARGE

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"Payload exceeds the limit of {limit_bytes} bytes.")
        self.limit_bytes = limit_bytes


class DecompressedTooLarge(PayloadTooLarge):
    """A compressed upload that inflates past ``limit_bytes`` (a decompression bomb)."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(limit_bytes)
        self.message = f"Decompressed, the file exceeds the limit of {limit_bytes} bytes."
        self.args = (self.message,)


class ModelRejected(DomainError):
    """An uploaded artifact failed intake; ``reason`` is a short machine-friendly word."""

    code = ErrorCode.MODEL_REJECTED

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class StorageFull(DomainError):
    code = ErrorCode.STORAGE_FULL

    def __init__(self, message: str = "The artifact store is out of space.") -> None:
        super().__init__(message)


class StorageReadOnly(DomainError):
    code = ErrorCode.STORAGE_READ_ONLY

    def __init__(self, message: str = "The artifact store is read-only.") -> None:
        super().__init__(message)


class Unavailable(DomainError):
    code = ErrorCode.UNAVAILABLE

    def __init__(self, service: str, retry_after: int = 5) -> None:
        super().__init__(f"{service} is unavailable; try again shortly.")
        self.service = service
        self.retry_after = retry_after
