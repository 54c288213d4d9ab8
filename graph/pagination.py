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


@strawberry.type(description="Where a page ends, and whether there is more.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


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
