"""The registry's input types."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from graph.registry.types import LogPolicy
from storage import tables


@strawberry.input
class ModelsFilter:
    name_contains: str | None = None
    owner: str | None = strawberry.field(default=None, description="The owner's username.")


@strawberry.input
class CreateModelInput:
    name: str = strawberry.field(description="1-64 of letters, digits, '.', '_', '-'.")
    description: str = ""
    tags: list[str] = strawberry.field(default_factory=list, description="At most 20.")
    team: str | None = strawberry.field(
        default=None,
        description="Create it for this team (`team/name`); needs the maintainer role there.",
    )


@strawberry.input
class UpdateModelInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    log_policy: LogPolicy | None = strawberry.field(
        default=None,
        description="full: inputs and outputs; hash: a SHA-256 of the inputs; none: neither.",
    )
    prediction_cache_ttl_s: int | None = strawberry.field(
        default=None,
        description="Cache identical rows' predictions for this many seconds (1-86400); 0 "
        "turns the cache off. Off by default.",
    )


@strawberry.input
class UploadModelVersionInput:
    model_id: strawberry.ID
    file: Upload = strawberry.field(
        description="skops, ONNX, joblib or pickle; the content decides, not the name."
    )
    description: str = ""
    tags: list[str] = strawberry.field(default_factory=list)
    metrics: JSON | None = strawberry.field(default=None, description='e.g. {"accuracy": 0.97}')
    input_example: list[list[float]] | None = strawberry.field(
        default=None, description="1-100 rows run through the model once at upload."
    )
    input_example_records: JSON | None = strawberry.field(
        default=None,
        description='Instead of `inputExample`: 1-100 records keyed by feature name, e.g. [{"age": '
        '41, "city": "Lyon"}], for a model fit on a DataFrame. Its values (numbers, strings, '
        "booleans, null) decide each column's type and whether it may be null.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the same version (or send an "
        "`Idempotency-Key` header). Keys are yours alone and kept for good.",
    )


@strawberry.input
class SetAliasInput:
    model_id: strawberry.ID
    alias: str = strawberry.field(description="e.g. production, staging.")
    version_id: strawberry.ID
    reason: str = strawberry.field(default="", description="Kept in the alias history.")


@strawberry.input(description="One version's share of an alias's callers.")
class TrafficShareInput:
    version_id: strawberry.ID
    weight: int = strawberry.field(description="Percent of callers, 1-100.")


@strawberry.input(
    description="An alias's whole traffic policy; it replaces the previous one. An empty split "
    "and no shadows clear it."
)
class SetAliasTrafficInput:
    model_id: strawberry.ID
    alias: str = strawberry.field(description="An existing alias (set it with setAlias first).")
    split: list[TrafficShareInput] = strawberry.field(
        default_factory=list,
        description="At most 10 versions whose weights sum to 100, including the alias's own "
        "version, e.g. 90 for it and 10 for a canary. Each caller keeps its version.",
    )
    shadows: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="At most 5 versions that get a copy of every call, off the request path "
        "(none of them in the split).",
    )
    reason: str = strawberry.field(default="", description="Kept in the alias history.")


@strawberry.input
class RemoveAliasInput:
    model_id: strawberry.ID
    alias: str
    reason: str = ""


@strawberry.input
class ShareModelInput:
    model_id: strawberry.ID
    username: str
    level: tables.ShareLevel


@strawberry.input
class UnshareModelInput:
    model_id: strawberry.ID
    username: str
