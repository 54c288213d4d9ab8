"""What intake learns about an accepted artifact."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from domain.registry.intake.columns import check_columns

JsonScalar = str | int | float | bool

TASKS = ("classification", "regression", "unknown")

# Every reason intake may give when it refuses an artifact.
REASONS = frozenset(
    {
        "empty",
        "unknown_format",
        "truncated",
        "corrupt",
        "decompression_bomb",
        "forbidden_global",
        "unsafe_pickle",
        "untrusted_type",
        "external_data",
        "too_complex",
        "not_a_model",
        "no_predict",
        "predict_failed",
        "invalid_example",
        "no_input_shape",
        "bad_output",
        "missing_extra",
        "load_timeout",
        "load_memory",
        "load_failed",
    }
)


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise ValueError("expected an integer")
    return value


def _str_list_or_none(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("expected a list of strings")
    return list(value)


def _scalar_list_or_none(value: Any) -> list[JsonScalar] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(item, str | int | float | bool) for item in value
    ):
        raise ValueError("expected a list of JSON scalars")
    return list(value)


def _shape_or_none(value: Any) -> list[int | None] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(item is None or type(item) is int for item in value):
        raise ValueError("expected a shape")
    return list(value)


@dataclass(frozen=True)
class Signature:
    """What a model expects and returns; stored as JSON with the version."""

    n_features_in: int | None
    feature_names: list[str] | None
    classes: list[JsonScalar] | None
    has_predict_proba: bool
    output_shape: list[int | None] | None
    task: str
    input_dtype: str | None
    allows_missing: bool
    # Per column: name, type (number, string, boolean) and nullable; None for ONNX models.
    columns: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signature:
        """Rebuild from :meth:`to_dict` output, checking every field's type."""
        task = data.get("task", "unknown")
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}")
        input_dtype = data.get("input_dtype")
        if input_dtype is not None and not isinstance(input_dtype, str):
            raise ValueError("input_dtype must be a string")
        return cls(
            n_features_in=_int_or_none(data.get("n_features_in")),
            feature_names=_str_list_or_none(data.get("feature_names")),
            classes=_scalar_list_or_none(data.get("classes")),
            has_predict_proba=bool(data.get("has_predict_proba", False)),
            output_shape=_shape_or_none(data.get("output_shape")),
            task=task,
            input_dtype=input_dtype,
            allows_missing=bool(data.get("allows_missing", False)),
            columns=check_columns(data.get("columns")),
        )


@dataclass(frozen=True)
class IntakeResult:
    """An accepted artifact: its safe serving copy and what was read from it."""

    source_format: str  # "pickle" | "joblib" | "skops" | "onnx"
    serving_format: str  # "skops" | "onnx"
    serving_bytes: bytes = field(repr=False)
    framework: str  # "sklearn" | "xgboost" | "lightgbm" | "onnx"
    framework_version: str | None
    saved_with: dict[str, str]
    estimator_class: str
    signature: Signature
    warnings: list[str]
    example_output: list[Any]
