"""The registry's rules: names, limits and the checks on user input (access is in ``access``)."""

from __future__ import annotations

import re
from typing import Any

from domain.errors import Conflict, FieldError

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ALIAS_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MAX_TAGS = 20
MAX_TAG_LENGTH = 64
MAX_DESCRIPTION = 10_000
MAX_METRICS = 50
MAX_EXAMPLE_ROWS = 100


class VersionNotReady(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(f"Only a ready version can carry an alias; this one is {status}.")
        self.status = status


class ModelNameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"You already have a model named {name!r}.")


def safe_filename(raw: str | None) -> str:
    """Keep a display name only: no directories, no control characters, 255 chars at most."""
    if not raw:
        return ""
    name = re.split(r"[\\/]", raw)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:255]


def check_model_fields(
    *, name: str | None, description: str | None, tags: list[str] | None
) -> list[FieldError]:
    errors: list[FieldError] = []
    if name is not None and not NAME_RE.match(name):
        errors.append(
            FieldError(
                ("input", "name"),
                "Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
                "invalid_name",
            )
        )
    if description is not None and len(description) > MAX_DESCRIPTION:
        errors.append(
            FieldError(
                ("input", "description"), f"At most {MAX_DESCRIPTION} characters.", "too_long"
            )
        )
    if tags is not None:
        if len(tags) > MAX_TAGS:
            errors.append(FieldError(("input", "tags"), f"At most {MAX_TAGS} tags.", "too_many"))
        for i, tag in enumerate(tags):
            if not tag or len(tag) > MAX_TAG_LENGTH:
                errors.append(
                    FieldError(
                        ("input", "tags", str(i)),
                        f"Tags are 1-{MAX_TAG_LENGTH} characters.",
                        "invalid_tag",
                    )
                )
    return errors


def check_upload_fields(
    *,
    description: str,
    tags: list[str],
    metrics: dict[str, float],
    input_example: list[Any] | None,
    idempotency_key: str | None,
) -> list[FieldError]:
    errors = check_model_fields(name=None, description=description, tags=tags)
    if len(metrics) > MAX_METRICS:
        errors.append(
            FieldError(("input", "metrics"), f"At most {MAX_METRICS} metrics.", "too_many")
        )
    for key, value in metrics.items():
        if not isinstance(key, str) or not 0 < len(key) <= 64:
            errors.append(FieldError(("input", "metrics"), "Metric names are 1-64 characters."))
        if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
            errors.append(
                FieldError(("input", "metrics", str(key)[:64]), "Must be a finite number.")
            )
    if input_example is not None:
        if not 1 <= len(input_example) <= MAX_EXAMPLE_ROWS:
            errors.append(
                FieldError(
                    ("input", "inputExample"),
                    f"Give 1-{MAX_EXAMPLE_ROWS} rows.",
                    "out_of_range",
                )
            )
        # Records (objects) are checked by intake, against the model's feature names.
        elif not all(isinstance(row, dict) for row in input_example) and (
            len({len(row) for row in input_example}) != 1 or not input_example[0]
        ):
            errors.append(
                FieldError(
                    ("input", "inputExample"),
                    "Rows must be non-empty and equally long.",
                    "ragged",
                )
            )
    if idempotency_key is not None and not IDEMPOTENCY_KEY_RE.match(idempotency_key):
        errors.append(
            FieldError(
                ("input", "idempotencyKey"),
                "1-128 characters of letters, digits, '.', '_', ':' or '-'.",
                "invalid_key",
            )
        )
    return errors
