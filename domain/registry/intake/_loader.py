"""Sandbox-side loading: the restricted unpickler and what is read from a loaded estimator.

Imported only by the worker, after it has confined itself. Loading a pickle here still runs the
``REDUCE`` of allowed callables (numpy's array constructors, estimator ``__setstate__``...), which
is why it happens in the sandbox and never in the API process.
"""

from __future__ import annotations

import _compat_pickle
import contextlib
import math
import pickle  # nosec B403 - loads only inside the sandbox, after the scan
import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
from joblib.numpy_pickle import NumpyUnpickler

from domain.errors import ModelRejected
from domain.registry.intake._stream import open_stream
from domain.registry.intake.allowlist import (
    ALLOWED_EXACT,
    denial_reason,
    global_allowed,
    require_framework,
)
from domain.registry.intake.pickle_scan import scan_pickle

_XGB_UBJ_VERSION = re.compile(rb"\x07version\[#L.{8}i(.)i(.)i(.)", re.DOTALL)
_XGB_JSON_VERSION = re.compile(rb'"version"\s*:\s*\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]')


def _xgboost_version(raw: Any) -> str | None:
    """The xgboost version recorded in a pickled Booster's model buffer, if readable."""
    if not isinstance(raw, bytes | bytearray):
        return None
    head = bytes(raw[:4096])
    match = _XGB_UBJ_VERSION.search(head)
    if match:
        return ".".join(str(part[0]) for part in match.groups())
    match = _XGB_JSON_VERSION.search(head)
    return ".".join(part.decode() for part in match.groups()) if match else None


class RestrictedUnpickler(NumpyUnpickler):
    """joblib's unpickler, importing only allow-listed globals and calling nothing else."""

    dispatch = NumpyUnpickler.dispatch.copy()

    def __init__(self, stream: Any) -> None:
        super().__init__("", stream, ensure_native_byte_order=True)
        self._found: dict[int, Any] = {}
        self.sklearn_versions: dict[int, str] = {}
        self.xgboost_version: str | None = None

    def find_class(self, module: str, name: str) -> Any:
        if self.proto < 3 and self.fix_imports:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        reason = denial_reason(module, name)
        if reason is not None:
            raise ModelRejected(
                "forbidden_global", f"The pickle references the global {module}.{name} ({reason})."
            )
        require_framework(module)
        __import__(module, level=0)
        obj = getattr(sys.modules[module], name)
        if (module, name) not in ALLOWED_EXACT:
            # A prefix rule matched a name; the object it resolves to must pass on its own
            # (so an allowed package re-exporting, say, subprocess.Popen gains nothing).
            real = (getattr(obj, "__module__", None), getattr(obj, "__qualname__", None))
            if not (
                callable(obj)
                and isinstance(real[0], str)
                and isinstance(real[1], str)
                and global_allowed(real[0], real[1])
            ):
                raise ModelRejected(
                    "forbidden_global", f"{module}.{name} resolves to {real[0]}.{real[1]}."
                )
        self._found[id(obj)] = obj
        return obj

    def persistent_load(self, pid: Any) -> Any:
        raise ModelRejected("unsafe_pickle", "Persistent ids are not supported.")

    def _require_global(self, value: Any, what: str) -> None:
        if self._found.get(id(value)) is not value:
            raise ModelRejected("unsafe_pickle", f"{what} of a value that is not a global.")

    def _refuse_global_target(self, target: Any, what: str) -> None:
        if self._found.get(id(target)) is target:
            raise ModelRejected("unsafe_pickle", f"{what} applied to a global.")

    def load_reduce(self) -> None:
        self._require_global(self.stack[-2], "REDUCE")
        pickle._Unpickler.load_reduce(self)  # type: ignore[attr-defined]

    def load_newobj(self) -> None:
        self._require_global(self.stack[-2], "NEWOBJ")
        pickle._Unpickler.load_newobj(self)  # type: ignore[attr-defined]

    def load_newobj_ex(self) -> None:
        self._require_global(self.stack[-3], "NEWOBJ_EX")
        pickle._Unpickler.load_newobj_ex(self)  # type: ignore[attr-defined]

    def load_obj(self) -> None:
        self._require_global(self.stack[0], "OBJ")
        pickle._Unpickler.load_obj(self)  # type: ignore[attr-defined]

    def load_ext(self) -> None:
        raise ModelRejected("forbidden_global", "The pickle uses the extension registry.")

    def load_append(self) -> None:
        self._refuse_global_target(self.stack[-2], "APPEND")
        pickle._Unpickler.load_append(self)  # type: ignore[attr-defined]

    def load_setitem(self) -> None:
        self._refuse_global_target(self.stack[-3], "SETITEM")
        pickle._Unpickler.load_setitem(self)  # type: ignore[attr-defined]

    def _marked_target(self, what: str) -> None:
        self._refuse_global_target(self.metastack[-1][-1], what)

    def load_appends(self) -> None:
        self._marked_target("APPENDS")
        pickle._Unpickler.load_appends(self)  # type: ignore[attr-defined]

    def load_setitems(self) -> None:
        self._marked_target("SETITEMS")
        pickle._Unpickler.load_setitems(self)  # type: ignore[attr-defined]

    def load_additems(self) -> None:
        self._marked_target("ADDITEMS")
        pickle._Unpickler.load_additems(self)  # type: ignore[attr-defined]

    def load_build(self) -> None:
        state, inst = self.stack[-1], self.stack[-2]
        self._refuse_global_target(inst, "BUILD")
        if isinstance(state, dict):
            version = state.get("_sklearn_version")
            if isinstance(version, str):
                self.sklearn_versions[id(inst)] = version
            if type(inst).__module__.startswith("xgboost") and "handle" in state:
                self.xgboost_version = _xgboost_version(state["handle"]) or self.xgboost_version
        NumpyUnpickler.load_build(self)

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.OBJ[0]] = load_obj
    dispatch[pickle.EXT1[0]] = load_ext
    dispatch[pickle.EXT2[0]] = load_ext
    dispatch[pickle.EXT4[0]] = load_ext
    dispatch[pickle.APPEND[0]] = load_append
    dispatch[pickle.APPENDS[0]] = load_appends
    dispatch[pickle.SETITEM[0]] = load_setitem
    dispatch[pickle.SETITEMS[0]] = load_setitems
    dispatch[pickle.ADDITEMS[0]] = load_additems
    dispatch[pickle.BUILD[0]] = load_build


@dataclass
class Loaded:
    obj: Any
    saved_with: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _collect(caught: list[warnings.WarningMessage]) -> list[str]:
    """Load-time warnings worth keeping (version mismatches are reported separately)."""
    out: list[str] = []
    for item in caught:
        category = item.category.__name__
        if category in ("DeprecationWarning", "PendingDeprecationWarning"):
            continue
        if category == "InconsistentVersionWarning":
            continue
        text = f"{category}: {str(item.message)[:300]}"
        if text not in out:
            out.append(text)
    return out[:10]


def load_pickle(raw: BinaryIO, *, limit: int) -> Loaded:
    """Re-run the static scan, then unpickle with the restricted joblib unpickler."""
    scan_pickle(open_stream(raw, limit=limit))
    raw.seek(0)
    unpickler = RestrictedUnpickler(open_stream(raw, limit=limit))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            obj = unpickler.load()
        except ModelRejected:
            raise
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:
            raise ModelRejected("load_failed", f"Unpickling failed: {exc}"[:500]) from None
    saved: dict[str, str] = {}
    version = unpickler.sklearn_versions.get(id(obj)) or next(
        iter(unpickler.sklearn_versions.values()), None
    )
    if version:
        saved["sklearn"] = version
    if unpickler.xgboost_version:
        saved["xgboost"] = unpickler.xgboost_version
    return Loaded(obj, saved, _collect(caught))


def load_skops_model(data: bytes, *, limit: int) -> Loaded:
    from domain.registry.intake.skops_check import load_skops, read_schema, recorded_versions

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            obj = load_skops(data, max_decompressed_bytes=limit)
        except ModelRejected:
            raise
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:
            raise ModelRejected(
                "load_failed", f"Loading the skops file failed: {exc}"[:500]
            ) from None
    return Loaded(obj, recorded_versions(read_schema(data)), _collect(caught))


# -- what a loaded estimator says about itself ---------------------------------------------------


def final_estimator(obj: Any) -> Any:
    """The last step of (nested) pipelines: what decides the framework and the task."""
    seen = 0
    while hasattr(obj, "steps") and isinstance(obj.steps, list) and obj.steps and seen < 32:
        obj = obj.steps[-1][1]
        seen += 1
    return obj


def framework_of(obj: Any) -> str:
    root = type(final_estimator(obj)).__module__.split(".")[0]
    return root if root in ("xgboost", "lightgbm") else "sklearn"


def json_scalars(values: Any) -> list[Any] | None:
    """Class labels as JSON scalars, or None when they are not a flat list of scalars."""
    if values is None:
        return None
    try:
        items = np.asarray(values).tolist()
    except Exception:
        return None
    if not isinstance(items, list) or not all(
        isinstance(item, str | int | float | bool) for item in items
    ):
        return None
    return [None if isinstance(item, float) and not math.isfinite(item) else item for item in items]


def to_json(value: Any) -> Any:
    """Predictions as JSON: lists of numbers/strings, non-finite floats as null."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, np.generic):
        return to_json(value.item())
    return str(value)


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    return None


def allows_missing(obj: Any, framework: str) -> bool:
    if framework in ("xgboost", "lightgbm"):
        return True
    try:
        from sklearn.utils import get_tags

        return bool(get_tags(obj).input_tags.allow_nan)
    except Exception:
        return False


def task_of(obj: Any) -> str:
    from sklearn.base import is_classifier, is_regressor

    with contextlib.suppress(Exception):  # third-party estimators may lack sklearn tags
        if is_classifier(obj):
            return "classification"
        if is_regressor(obj):
            return "regression"
    return "classification" if hasattr(obj, "classes_") else "unknown"
