"""Error types of the schema, and how domain errors become GraphQL errors.

Expected failures of a mutation come back as members of its result union (``ValidationError``,
``InvalidCredentialsError``): each graph area lists the ``Maps`` handlers that build its union
members from domain errors, and Strawberry's ``exception_handlers`` apply them wherever a
field's union holds the member, so a resolver is call, map, return. Domain errors with no member
in the field's union, and failures about the whole request (bad token, rate limit, permission),
are top-level errors with ``extensions.code`` (``format_error``). Everything else is masked as
``INTERNAL`` with the request id, and logged with its stack.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from domain.background import BackgroundUnavailable
from domain.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    FieldError,
    NotFound,
    RateLimited,
    StorageFull,
    StorageReadOnly,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from domain.inference import PredictionFailed, PredictionTimeout
from domain.inference.explain import ExplanationUnsupported
from domain.inference.outputs import UnservableOutput
from storage.faults import database_outage, refused_nul

if TYPE_CHECKING:
    from graph.context import Context

log = logging.getLogger("modelserve.graphql")

# Reasons for requests refused before execution, in `extensions.reason`.
_PRE_EXECUTION_REASONS = (
    ("exceeds maximum operation depth", "QUERY_TOO_DEEP"),
    ("aliases found", "TOO_MANY_ALIASES"),
    ("tokens. Parsing aborted", "TOO_MANY_TOKENS"),
    ("Syntax Error", "PARSE_FAILED"),
    ("introspection has been disabled", "INTROSPECTION_DISABLED"),
    ("must be the only field", "SENSITIVE_BATCHING"),
)

HTTP_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNAVAILABLE: 503,
}


@strawberry.interface(description="Something the client can act on went wrong.")
class Error:
    message: str = strawberry.field(description="A human-readable explanation.")


@strawberry.type(description="One problem with one input field.")
class InputFieldError:
    path: list[str] = strawberry.field(description='Where, e.g. ["input", "password"].')
    message: str = strawberry.field(description="A human-readable explanation of this problem.")
    code: str = strawberry.field(description="A stable machine-readable code.")

    @classmethod
    def from_domain(cls, error: FieldError) -> InputFieldError:
        return cls(path=list(error.path), message=error.message, code=error.code)


@strawberry.type(description="The input was invalid; every problem is listed at once.")
class ValidationError(Error):
    fields: list[InputFieldError] = strawberry.field(
        description="Every problem found, each with its path and code."
    )

    @classmethod
    def from_errors(
        cls, errors: list[FieldError], message: str = "Invalid input."
    ) -> ValidationError:
        return cls(message=message, fields=[InputFieldError.from_domain(e) for e in errors])


@strawberry.type(description="The object does not exist or is not visible to you.")
class NotFoundError(Error):
    pass


def parse_id(raw: str, what: str) -> uuid.UUID:
    """An id argument; one that is not a UUID names nothing, so it is ``NotFound(what)``."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(what) from None


X = TypeVar("X", bound=DomainError)


@dataclass(frozen=True, slots=True)
class Maps(Generic[X]):
    """A Strawberry exception handler: ``exception_type`` becomes ``build(exception)``, a member
    of ``error_type``, in every field whose result union holds ``error_type``."""

    exception_type: type[X]
    error_type: type
    build: Callable[[X], Any]

    def handle(self, exception: X, *, field: Any, info: Any) -> Any:
        return self.build(exception)


HANDLERS: tuple[Maps[Any], ...] = (
    Maps(ValidationFailed, ValidationError, lambda e: ValidationError.from_errors(e.errors)),
    Maps(NotFound, NotFoundError, lambda e: NotFoundError(message=e.message)),
)

# Domain errors no union holds: always top-level errors with their ``extensions.code``. A
# domain error neither here nor handled by an area's ``Maps`` fails tests/graph/test_errors.py.
TOP_LEVEL: frozenset[type[DomainError]] = frozenset(
    {
        Unauthenticated,
        Conflict,
        RateLimited,
        StorageFull,
        StorageReadOnly,
        Unavailable,
        BackgroundUnavailable,
        PredictionTimeout,
        PredictionFailed,
        UnservableOutput,
        ExplanationUnsupported,
    }
)


def _coded(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def format_error(error: GraphQLError, request_id: str) -> GraphQLError:
    """Give ``error`` a stable code; mask anything that was not expected."""
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if isinstance(original, Exception) and database_outage(original):
        # Not a bug: the client should retry once the database is back (503, Retry-After).
        log.warning("database unavailable: %r", original, extra={"request_id": request_id})
        original = Unavailable("The database")
    elif isinstance(original, Exception) and refused_nul(original):
        original = ValidationFailed(
            [FieldError((), "Text may not contain NUL (\\u0000) characters.", "nul_character")],
            "Text may not contain NUL (\\u0000) characters.",
        )
    if isinstance(original, DomainError):
        extensions: dict[str, Any] = {"code": original.code.value}
        if isinstance(original, RateLimited | Unavailable):
            extensions["retryAfter"] = original.retry_after
        if isinstance(original, RateLimited) and original.limit is not None:
            extensions["rateLimit"] = {
                "limit": original.limit,
                "remaining": original.remaining,
                "limitedBy": original.limited_by,
            }
        fields = getattr(original, "errors", None)
        if fields:
            extensions["fields"] = [
                {"path": list(f.path), "message": f.message, "code": f.code} for f in fields
            ]
        return _coded(error, original.message, extensions)
    if original is None or isinstance(original, GraphQLError | StrawberryInputCoercionError):
        # graphql-core's own parse/validation/coercion errors: the client's doing.
        if error.extensions and "code" in error.extensions:
            return error
        extensions = {"code": ErrorCode.BAD_USER_INPUT.value}
        for needle, reason in _PRE_EXECUTION_REASONS:
            if needle in error.message:
                extensions["reason"] = reason
                break
        return _coded(error, error.message, extensions)
    log.error(
        "unexpected error in %s",
        ".".join(str(p) for p in error.path or ()) or "operation",
        exc_info=original,
        extra={"request_id": request_id},
    )
    return _coded(
        error, "Unexpected error.", {"code": ErrorCode.INTERNAL.value, "requestId": request_id}
    )


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestions(error: GraphQLError) -> GraphQLError:
    """``error`` without graphql-core's "Did you mean ...?" hints (any kind of name)."""
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return _coded(error, message, dict(error.extensions or {}))


class OperationGuard(SchemaExtension):
    """Limits an operation before it runs, and maps what went wrong after.

    Before: the character cap, the parser's token cap and the extra validation rules (depth,
    aliases, sensitive mutations, introspection) — one extension rather than four, as each
    extension costs every request a context manager. After: syntax errors get their code, and
    the HTTP status follows the error when the whole operation failed (``data`` is null), so
    partial results keep their 200. Errors themselves are formatted in ``Schema``.
    """

    def __init__(
        self,
        *,
        max_query_chars: int,
        max_tokens: int | None = None,
        rules: tuple[type[ASTValidationRule], ...] = (),
    ) -> None:
        self.max_query_chars = max_query_chars
        self.max_tokens = max_tokens
        self.rules = rules

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        context: Context | None = execution.context
        query = execution.query or ""
        if len(query) > self.max_query_chars:
            if context is not None:
                context.set_status(400)
            raise GraphQLError(
                f"Query document exceeds {self.max_query_chars} characters.",
                extensions={"code": "BAD_USER_INPUT", "reason": "QUERY_TOO_LARGE"},
            )
        if self.max_tokens is not None:
            execution.parse_options["max_tokens"] = self.max_tokens
        if self.rules:
            execution.validation_rules = execution.validation_rules + self.rules
        try:
            yield
        except GraphQLError as error:
            # The parser cache parses in its own hook, so a syntax error (the token limit's
            # too) leaves the operation as an exception rather than as a result.
            raise format_error(error, getattr(context, "request_id", "-")) from None
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        if context is not None and result.data is None:
            context.set_status_from_errors(result.errors)


class Schema(strawberry.Schema):
    """Strawberry's schema, with every error passed through ``format_error``.

    ``process_errors`` sees the errors of queries, mutations and each subscription event before
    they are sent, so codes and masking hold on websockets too. It replaces Strawberry's
    default, which logs every client mistake at ERROR with the whole query; ``format_error``
    logs only the unexpected errors, with their stack and the request id.
    """

    #: Where introspection is off, validation messages drop their "Did you mean ...?" hints,
    #: which would spell out field, argument, enum, input-field and type names one by one.
    mask_suggestions: bool = False

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        request_id = getattr(getattr(execution_context, "context", None), "request_id", "-")
        errors[:] = [format_error(error, request_id) for error in errors]
        if self.mask_suggestions:
            errors[:] = [without_suggestions(error) for error in errors]

    async def execute(
        self,
        query: str | None,
        *args: Any,
        allowed_operation_types: Iterable[OperationType] | None = None,
        **kwargs: Any,
    ) -> ExecutionResult:
        """Strawberry's ``execute``, refusing subscriptions: they stream, over the websocket."""
        # Executed once, a subscription's field resolves to a generator no response can hold
        # (an INTERNAL error); refused here, it is the view's 400.
        given = OperationType if allowed_operation_types is None else allowed_operation_types
        allowed = set(given) - {OperationType.SUBSCRIPTION}
        return await super().execute(query, *args, allowed_operation_types=allowed, **kwargs)
