"""Relay-style connections with opaque keyset cursors; ``first`` is capped at 100."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Generic, TypeVar

import strawberry

from domain.errors import FieldError, ValidationFailed

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

T = TypeVar("T")


# The `after` argument of every paginated field.
AFTER = "The `endCursor` of the previous page; omit it for the first page."


@strawberry.type(description="Where a page ends, and whether there is more.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether another page follows this one.")
    end_cursor: str | None = strawberry.field(
        description="Pass it as `after` for the next page; null on an empty page."
    )


@strawberry.type(description="One item of a page and the cursor that points just past it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque; pass it as `after` to resume here.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="One page of items (at most 100), newest first unless told.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Whether there is a next page, and where.")


def page_size(first: int | None) -> int:
    """Validate ``first``: 1..100, default 20."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            [FieldError(("first",), f"Must be between 1 and {MAX_PAGE_SIZE}.", "out_of_range")]
        )
    return first


def encode_cursor(created_at: datetime, id_: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{id_}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, _, id_ = base64.urlsafe_b64decode(padded).decode().partition("|")
        return datetime.fromisoformat(created), uuid.UUID(id_)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(
            [FieldError(("after",), "Not a cursor from this API.", "invalid_cursor")]
        ) from None
