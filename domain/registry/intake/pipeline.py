"""``inspect_artifact``: static checks in the API process, then a confined load in the sandbox."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.errors import ModelRejected
from domain.registry.intake._stream import open_stream
from domain.registry.intake.columns import check_example_records
from domain.registry.intake.models import IntakeResult, Signature
from domain.registry.intake.onnx_check import check_onnx, parse_onnx
from domain.registry.intake.pickle_scan import WRAPPER, scan_pickle
from domain.registry.intake.sandbox import SandboxLimits, WorkerOutcome, run_worker
from domain.registry.intake.skops_check import check_skops_file
from domain.registry.intake.sniff import HEAD_BYTES, sniff_format

MAX_EXAMPLE_ROWS = 1000
MAX_EXAMPLE_COLUMNS = 100_000
FRAMEWORKS = ("sklearn", "xgboost", "lightgbm", "onnx")


@dataclass(frozen=True)
class StaticReport:
    source_format: str
    serving_format: str


def _invalid_example(message: str) -> ModelRejected:
    return ModelRejected("invalid_example", message)


def check_example(example: list[Any] | None) -> list[Any] | None:
    """A rectangular, finite, bounded list of numeric rows, records (objects), or None."""
    if example is None:
        return None
    if isinstance(example, list) and example and all(isinstance(r, dict) for r in example):
        return check_example_records(
            example, max_rows=MAX_EXAMPLE_ROWS, max_columns=MAX_EXAMPLE_COLUMNS
        )
    if not isinstance(example, list) or not 1 <= len(example) <= MAX_EXAMPLE_ROWS:
        raise _invalid_example(f"The input example must have 1 to {MAX_EXAMPLE_ROWS} rows.")
    width = len(example[0]) if isinstance(example[0], list) else -1
    if not 1 <= width <= MAX_EXAMPLE_COLUMNS:
        raise _invalid_example("Each input example row must be a non-empty list of numbers.")
    rows: list[list[float]] = []
    for row in example:
        if not isinstance(row, list) or len(row) != width:
            raise _invalid_example("All input example rows must have the same length.")
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in row
        ):
            raise _invalid_example("Input example values must be finite numbers.")
        rows.append([float(v) for v in row])
    return rows


def static_check(path: Path, *, max_decompressed_bytes: int, memory_limit_mb: int) -> StaticReport:
    """Everything that can be decided without loading: format, allow-list, sizes."""
    if path.stat().st_size == 0:
        raise ModelRejected("empty", "The uploaded file is empty.")
    with path.open("rb") as handle:
        fmt = sniff_format(handle.read(HEAD_BYTES))
        handle.seek(0)
        if fmt in ("pickle", "joblib"):
            stream = open_stream(handle, limit=max_decompressed_bytes)
            report = scan_pickle(stream)
            if report.root_class is None:
                raise ModelRejected(
                    "not_a_model", f"The pickle holds a {report.root_kind}, not an estimator."
                )
            joblib = stream.codec is not None or report.joblib_arrays or WRAPPER in report.globals
            return StaticReport("joblib" if joblib else "pickle", "skops")
        if fmt == "skops":
            # Every node is checked here as well as in the sandbox: a refusal costs no process.
            check_skops_file(handle, max_decompressed_bytes=max_decompressed_bytes)
            return StaticReport("skops", "skops")
        if fmt == "onnx":
            check_onnx(parse_onnx(handle.read()), max_tensor_bytes=memory_limit_mb << 20)
            return StaticReport("onnx", "onnx")
    raise ModelRejected(
        "unknown_format", "Not a recognised model format (pickle, joblib, skops or ONNX)."
    )


def _field(payload: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = payload.get(name)
    if not isinstance(value, kind):
        raise ModelRejected("load_failed", f"The intake worker returned a bad {name!r}.")
    return value


def _result(static: StaticReport, outcome: WorkerOutcome, path: Path) -> IntakeResult:
    """Build the result from the worker's answer, which is checked field by field."""
    payload = outcome.payload
    framework = _field(payload, "framework", str)
    if framework not in FRAMEWORKS:
        raise ModelRejected("load_failed", "The intake worker returned an unknown framework.")
    saved_with = _field(payload, "saved_with", dict)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in saved_with.items()):
        raise ModelRejected("load_failed", "The intake worker returned bad versions.")
    warnings = _field(payload, "warnings", list)
    if not all(isinstance(item, str) for item in warnings):
        raise ModelRejected("load_failed", "The intake worker returned bad warnings.")
    try:
        signature = Signature.from_dict(_field(payload, "signature", dict))
    except ValueError as exc:
        raise ModelRejected("load_failed", f"The intake worker returned {exc}.") from None
    if static.serving_format == static.source_format:
        serving_bytes = path.read_bytes()
    elif outcome.serving_bytes is None:
        raise ModelRejected("load_failed", "The intake worker did not produce a skops copy.")
    else:
        serving_bytes = outcome.serving_bytes
    return IntakeResult(
        source_format=static.source_format,
        serving_format=static.serving_format,
        serving_bytes=serving_bytes,
        framework=framework,
        framework_version=_field(payload, "framework_version", (str, type(None))),
        saved_with=dict(saved_with),
        estimator_class=_field(payload, "estimator_class", str)[:256],
        signature=signature,
        warnings=[item[:500] for item in warnings[:20]],
        example_output=_field(payload, "example_output", list),
    )


async def inspect_artifact(
    *,
    path: Path,
    input_example: list[Any] | None = None,
    timeout_s: float = 30.0,
    memory_limit_mb: int = 2048,
    max_decompressed_bytes: int = 1 << 30,
) -> IntakeResult:
    """Decide whether an uploaded file is a model we can serve safely, and describe it.

    Raises ``ModelRejected`` with a ``reason`` from ``models.REASONS``.
    """
    path = Path(path)
    example = check_example(input_example)
    static = await asyncio.to_thread(
        static_check,
        path,
        max_decompressed_bytes=max_decompressed_bytes,
        memory_limit_mb=memory_limit_mb,
    )
    outcome = await run_worker(
        {
            "mode": "inspect",
            "format": static.source_format,
            "input_example": example,
            "max_decompressed_bytes": max_decompressed_bytes,
        },
        artifact=path,
        limits=SandboxLimits(
            timeout_s=timeout_s,
            memory_limit_mb=memory_limit_mb,
            max_output_bytes=max_decompressed_bytes,
        ),
    )
    return await asyncio.to_thread(_result, static, outcome, path)
