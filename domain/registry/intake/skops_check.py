"""Checks for skops files: ZIP structure and size before anything is read, then types."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

from domain.errors import ModelRejected
from domain.registry.intake.allowlist import disallowed_type_names

MAX_ENTRIES = 100_000
MAX_SCHEMA_BYTES = 64 << 20


def check_skops_zip(source: Path | BinaryIO, *, max_decompressed_bytes: int) -> None:
    """Refuse a ZIP that is not a skops file or would expand past the cap.

    The declared sizes bound what ``zipfile`` will ever hand out (it stops at ``file_size`` and
    checks the CRC), so summing them is enough to stop a ZIP bomb before inflating anything.
    """
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise ModelRejected("unknown_format", f"Not a readable ZIP/skops file: {exc}.") from None
    if len(infos) > MAX_ENTRIES:
        raise ModelRejected("decompression_bomb", f"The skops file has {len(infos)} entries.")
    names = [info.filename for info in infos]
    if "schema.json" not in names:
        raise ModelRejected("unknown_format", "A ZIP without schema.json is not a skops file.")
    total = sum(info.file_size for info in infos)
    if total > max_decompressed_bytes:
        raise ModelRejected(
            "decompression_bomb",
            f"The skops file expands to {total} bytes (limit {max_decompressed_bytes}).",
        )
    schema = next(info for info in infos if info.filename == "schema.json")
    if schema.file_size > MAX_SCHEMA_BYTES:
        raise ModelRejected("decompression_bomb", "The skops schema.json is too large.")


def read_schema(data: bytes) -> dict[str, Any]:
    """The parsed schema.json of a skops file that passed :func:`check_skops_zip`."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    if not isinstance(schema, dict):
        raise ModelRejected("corrupt", "The skops schema.json is not an object.")
    return schema


def trusted_types(data: bytes) -> list[str]:
    """The types skops would refuse by default, once they are all in the server allow-list."""
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(data=data)
    except Exception as exc:  # a hostile schema can fail in many ways; all mean "refuse"
        raise ModelRejected("corrupt", f"The skops file cannot be audited: {exc}.") from None
    refused = disallowed_type_names(untrusted)
    if refused:
        raise ModelRejected(
            "untrusted_type",
            "The skops file contains types outside the server allow-list: "
            + ", ".join(refused[:10]),
        )
    return untrusted


def load_skops(data: bytes, *, max_decompressed_bytes: int) -> Any:
    """Load skops bytes trusting only allow-listed types (never types named by the upload)."""
    import skops.io

    check_skops_zip(io.BytesIO(data), max_decompressed_bytes=max_decompressed_bytes)
    return skops.io.loads(data, trusted=trusted_types(data))


def recorded_versions(schema: dict[str, Any]) -> dict[str, str]:
    """Library versions a skops schema records: skops itself, and scikit-learn's if present."""
    versions: dict[str, str] = {}
    if isinstance(schema.get("_skops_version"), str):
        versions["skops"] = schema["_skops_version"]
    content = schema.get("content")
    attrs = content.get("content") if isinstance(content, dict) else None
    node = attrs.get("_sklearn_version") if isinstance(attrs, dict) else None
    if isinstance(node, dict) and isinstance(node.get("content"), str):
        try:
            value = json.loads(node["content"]) if node.get("is_json") else node["content"]
        except ValueError:
            value = None
        if isinstance(value, str):
            versions["sklearn"] = value
    return versions
