"""Checks for skops files: ZIP structure and size before anything is read, then types."""

from __future__ import annotations

import importlib
import io
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

from domain.errors import ModelRejected
from domain.registry.intake.allowlist import (
    ALLOWED_EXACT,
    NUMPY_UFUNCS,
    SAFE_FUNCTIONS,
    denial_reason,
    disallowed_type_names,
    require_framework,
)

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


def check_skops_file(source: Path | BinaryIO, *, max_decompressed_bytes: int) -> None:
    """:func:`check_skops_zip`, then every node by what it resolves to (:func:`check_nodes`)."""
    check_skops_zip(source, max_decompressed_bytes=max_decompressed_bytes)
    if not isinstance(source, Path):
        source.seek(0)
    with zipfile.ZipFile(source) as archive:
        schema = json.loads(archive.read("schema.json"))
    if not isinstance(schema, dict):
        raise ModelRejected("corrupt", "The skops schema.json is not an object.")
    check_nodes(schema)


def read_schema(data: bytes) -> dict[str, Any]:
    """The parsed schema.json of a skops file that passed :func:`check_skops_zip`."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    if not isinstance(schema, dict):
        raise ModelRejected("corrupt", "The skops schema.json is not an object.")
    return schema


# skops loaders whose node names a class that is built without calling it (``__new__`` and
# state) or a value container; the class is checked by the object it resolves to.
_BUILDING_LOADERS = frozenset(
    {
        "ObjectNode",
        "TypeNode",
        "DictNode",
        "DefaultDictNode",
        "ListNode",
        "SetNode",
        "TupleNode",
        "BytesNode",
        "BytearrayNode",
        "SliceNode",
        "JsonNode",
        "NdArrayNode",
        "MaskedArrayNode",
        "DTypeNode",
        "RandomStateNode",
        "RandomGeneratorNode",
        "SparseMatrixNode",
    }
)
# Loaders that call what their node names with arguments from the file (``cls(*args)``).
_CALLING_LOADERS = frozenset({"ReduceNode", "TreeNode", "LossNode"})
# What those may call: scikit-learn's Cython tree and loss types, rebuilt from their state.
_REDUCE_CONSTRUCTORS = re.compile(r"sklearn\.tree\._tree\.Tree|sklearn\._loss\._loss\.Cy[A-Za-z]+")


def check_nodes(schema: dict[str, Any]) -> None:
    """Refuse a skops schema naming anything the server would not build or call itself.

    skops' own audit trusts *names*. A scikit-learn module may re-export an outside object
    under a class-like name (``sklearn.x.Path`` being ``pathlib.Path``), which the name rule
    lets through; so each name is imported (its module already passed the allow-list) and
    the object it resolves to is checked by its real module and qualified name, as the pickle
    loader does. Nodes that call (reduce-style constructors, functions, methods, partials,
    operator functions) pass only for an explicit list; unknown node kinds never do.
    """
    for node in _nodes(schema):
        loader = node.get("__loader__")
        module, name = node.get("__module__"), node.get("__class__")
        if not isinstance(loader, str):
            raise ModelRejected("corrupt", "A skops node has no loader.")
        if module is None and name is None and loader in _BUILDING_LOADERS:
            continue
        if not isinstance(module, str) or not isinstance(name, str):
            raise ModelRejected("corrupt", f"A skops {loader} names no module and class.")
        where = f"{module}.{name}"
        if loader == "FunctionNode":
            if not _safe_function(module, name):
                raise _untrusted(f"the function {where} (only numpy ufuncs and check_array)")
            continue
        if loader == "PartialNode":
            # A partial is as safe as what it wraps: only a listed function (checked above,
            # as its own node), never a class or another partial.
            func = (node.get("content") or {}).get("func")
            if where != "functools.partial" or not (
                isinstance(func, dict) and func.get("__loader__") == "FunctionNode"
            ):
                raise _untrusted(f"a partial of something other than a listed function ({where})")
            continue
        if loader in _CALLING_LOADERS:
            if not _REDUCE_CONSTRUCTORS.fullmatch(where):
                raise _untrusted(f"{where}, which a {loader} would call")
        elif loader not in _BUILDING_LOADERS:
            raise _untrusted(f"a {loader} ({where})")
        _check_class(module, name)


def _nodes(tree: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _untrusted(what: str) -> ModelRejected:
    return ModelRejected("untrusted_type", f"The skops file references {what}.")


def _check_class(module: str, name: str) -> None:
    reason = denial_reason(module, name)
    if reason is not None:
        raise _untrusted(f"{module}.{name} ({reason})")
    require_framework(module)
    try:
        importlib.import_module(module)
        obj = getattr(sys.modules[module], name)
    except (ImportError, AttributeError):
        raise _untrusted(f"{module}.{name}, which does not exist here") from None
    real = (getattr(obj, "__module__", None), getattr(obj, "__qualname__", None))
    if not isinstance(obj, type) or not isinstance(real[0], str) or not isinstance(real[1], str):
        raise _untrusted(f"{module}.{name}, which is not a class")
    if (module, name) in ALLOWED_EXACT and real == (module, name):
        return
    if denial_reason(real[0], real[1]) is not None:
        raise _untrusted(f"{module}.{name}, which is {real[0]}.{real[1]}")


def _safe_function(module: str, name: str) -> bool:
    """A numpy ufunc, or a listed function that really is the one listed."""
    if module == "numpy" and name in NUMPY_UFUNCS:
        import numpy

        return isinstance(getattr(numpy, name, None), numpy.ufunc)
    if (module, name) not in SAFE_FUNCTIONS:
        return False
    obj = getattr(importlib.import_module(module), name, None)
    return (getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)) == (module, name)


def trusted_types(data: bytes) -> list[str]:
    """The types skops would refuse by default, once they are all in the server allow-list.

    Every node is checked by what it resolves to first (:func:`check_nodes`).
    """
    import skops.io

    check_nodes(read_schema(data))

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
