"""Model references: a version id, ``owner/name``, ``owner/name:3`` or ``owner/name@alias``."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from domain.errors import FieldError, ValidationFailed

_REF_RE = re.compile(
    r"^(?P<owner>[a-z0-9](?:[a-z0-9_-]{0,37}[a-z0-9])?)/(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,63})"
    r"(?::(?P<number>[1-9][0-9]{0,8})|@(?P<alias>[a-z][a-z0-9_-]{0,63}))?$"
)
DEFAULT_ALIAS = "production"


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A parsed reference; exactly one of the forms is set."""

    version_id: uuid.UUID | None = None
    owner: str | None = None
    name: str | None = None
    number: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.version_id is not None:
            return str(self.version_id)
        suffix = f":{self.number}" if self.number else f"@{self.alias}" if self.alias else ""
        return f"{self.owner}/{self.name}{suffix}"


def parse_ref(raw: str) -> ModelRef:
    """Parse a reference. ``owner/name`` alone means its ``production`` alias, else its
    newest ready version."""
    text = raw.strip()
    try:
        return ModelRef(version_id=uuid.UUID(text))
    except ValueError:
        pass
    match = _REF_RE.match(text)
    if match is None:
        raise ValidationFailed(
            [
                FieldError(
                    ("model",),
                    "Use a version id, owner/name, owner/name:NUMBER or owner/name@ALIAS.",
                    "invalid_reference",
                )
            ]
        )
    number = match["number"]
    return ModelRef(
        owner=match["owner"],
        name=match["name"],
        number=int(number) if number else None,
        alias=match["alias"],
    )
