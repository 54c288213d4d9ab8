"""The registry's input types."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from graph.registry.types import LogPolicy
from storage import tables


@strawberry.input(description="Narrows models(); every given condition must hold.")
class ModelsFilter:
    name_contains: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the model's name."
    )
    owner: str | None = strawberry.field(default=None, description="The owner's username.")


@strawberry.input(description="A new, empty model; upload versions to it next.")
class CreateModelInput:
    name: str = strawberry.field(description="1-64 of letters, digits, '.', '_', '-'.")
    description: str = strawberry.field(
        default="", description="Free text, at most 10,000 characters."
    )
    tags: list[str] = strawberry.field(
        default_factory=list, description="At most 20, each 1-64 characters."
    )
    team: str | None = strawberry.field(
        default=None,
        description="Create it for this team (`team/name`); needs the maintainer role there.",
    )


@strawberry.input(description="What to change on a model; omitted fields keep their value.")
class UpdateModelInput:
    id: strawberry.ID = strawberry.field(description="The model's id.")
    name: str | None = strawberry.field(
        default=None, description="A new name (owner only): 1-64 of letters, digits, '.', '_', '-'."
    )
    description: str | None = strawberry.field(
        default=None, description="A new description, at most 10,000 characters."
    )
    tags: list[str] | None = strawberry.field(
        default=None,
        description="The new tags (they replace the old ones): at most 20, each 1-64 characters.",
    )
    log_policy: LogPolicy | None = strawberry.field(
        default=None,
        description="full: inputs and outputs; hash: a SHA-256 of the inputs; none: neither.",
    )
    prediction_cache_ttl_s: int | None = strawberry.field(
        default=None,
        description="Cache identical rows' predictions for this many seconds (1-86400); 0 "
        "turns the cache off. Off by default.",
    )


@strawberry.input(
    description="A new version of a model, sent as a GraphQL multipart request (maintainers)."
)
class UploadModelVersionInput:
    model_id: strawberry.ID = strawberry.field(description="The model it becomes a version of.")
    file: Upload = strawberry.field(
        description="skops, ONNX, joblib or pickle; the content decides, not the name."
    )
    description: str = strawberry.field(
        default="", description="Free text, at most 10,000 characters."
    )
    tags: list[str] = strawberry.field(
        default_factory=list, description="At most 20, each 1-64 characters."
    )
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


@strawberry.input(description="Point an alias at a version (creating the alias if needed).")
class SetAliasInput:
    model_id: strawberry.ID = strawberry.field(description="The model whose alias this is.")
    alias: str = strawberry.field(
        description="1-64 of lowercase letters, digits, '_', '-', starting with a letter, e.g. "
        "production."
    )
    version_id: strawberry.ID = strawberry.field(description="A ready version of that model.")
    reason: str = strawberry.field(default="", description="Kept in the alias history.")


@strawberry.input(description="One version's share of an alias's callers.")
class TrafficShareInput:
    version_id: strawberry.ID = strawberry.field(description="A ready version of the model.")
    weight: int = strawberry.field(description="Percent of callers, 1-100.")


@strawberry.input(
    description="An alias's whole traffic policy; it replaces the previous one. An empty split "
    "and no shadows clear it."
)
class SetAliasTrafficInput:
    model_id: strawberry.ID = strawberry.field(description="The model whose alias this is.")
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


@strawberry.input(description="An alias to remove; its versions stay.")
class RemoveAliasInput:
    model_id: strawberry.ID = strawberry.field(description="The model whose alias this is.")
    alias: str = strawberry.field(description="The alias's name.")
    reason: str = strawberry.field(default="", description="Kept in the alias history.")


@strawberry.input(description="Who gets access to a model, and how much (maintainers).")
class ShareModelInput:
    model_id: strawberry.ID = strawberry.field(description="The model to share.")
    username: str = strawberry.field(description="The user to share it with.")
    level: tables.ShareLevel = strawberry.field(
        description="What they may do; sharing again changes it."
    )


@strawberry.input(description="Whose access to a model to take away (maintainers).")
class UnshareModelInput:
    model_id: strawberry.ID = strawberry.field(description="The model.")
    username: str = strawberry.field(description="The user who loses access.")
