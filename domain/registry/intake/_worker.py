"""The intake worker process: confine itself, load one artifact, answer with one JSON line.

Started by :mod:`domain.registry.intake.sandbox` only. It reads a JSON request on stdin, applies
``_harden`` before touching the artifact (an inherited read-only descriptor), and writes exactly
one JSON object to stdout. For pickle/joblib it also writes the re-saved skops file into its work
directory. The ``probe`` mode exercises the confinement itself and exists for the test-suite; the
API never sends it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import io
import json
import os
import platform
import signal
import socket
import struct
import sys
import threading
import time
from typing import Any

import numpy as np

from domain.errors import ModelRejected
from domain.registry.intake import _harden, _lifeline
from domain.registry.intake._loader import (
    Loaded,
    allows_missing,
    as_int,
    final_estimator,
    framework_of,
    json_scalars,
    load_pickle,
    load_skops_model,
    task_of,
    to_json,
)
from domain.registry.intake.columns import example_table, model_input, numeric_columns
from domain.registry.intake.sandbox import SERVING_FILE

MAX_REQUEST = 64 << 20
_LIBRARY_LABELS = {"sklearn": "scikit-learn", "xgboost": "xgboost"}


# -- confinement ------------------------------------------------------------------------------


def _wait_and_exit(child: int) -> None:
    """The namespace's outer process: wait for the loader and exit with its fate."""
    while True:
        try:
            _, status = os.waitpid(child, 0)
        except InterruptedError:
            continue
        os._exit(_harden.pack_status(status))


def _confine(request: dict[str, Any], slot: int) -> None:
    workdir = request["workdir"]
    if _harden.applied.get("pidns"):
        uid_ok = False
        try:
            uid_ok = _harden.confine_filesystem(workdir, list(request.get("hide", [])))
        except OSError as exc:
            print(f"intake sandbox: filesystem confinement incomplete: {exc}", file=sys.stderr)
        if uid_ok:
            _harden.drop_privileges(_harden.SANDBOX_UID_BASE + slot % 10_000_000, workdir)
            _lifeline.rearm()  # a change of credentials disarmed it
    try:
        _harden.install_seccomp()
    except OSError as exc:
        print(f"intake sandbox: no seccomp filter: {exc}", file=sys.stderr)
    # After the filter: whether it took effect decides whether threads may be allowed.
    _harden.set_limits(
        memory_bytes=int(request["memory_bytes"]),
        cpu_seconds=int(request["cpu_seconds"]),
        file_bytes=int(request["file_bytes"]),
    )
    _harden.block_python_sockets()


def _on_cpu_limit(_signum: int, _frame: Any) -> None:
    _emit({"ok": False, "reason": "load_timeout", "message": "Loading hit the CPU time limit."})
    os._exit(3)


# -- inspection -------------------------------------------------------------------------------


def _example_matrix(example: Any, n_features: int | None) -> np.ndarray | None:
    """The example rows as a float matrix, or one row of zeros when only the width is known."""
    if example is not None:
        if any(isinstance(row, dict) for row in example):
            raise ModelRejected("invalid_example", "ONNX models take rows, not records.")
        matrix = np.asarray(example, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[0] == 0:
            raise ModelRejected("invalid_example", "The input example must be a list of rows.")
        if n_features is not None and matrix.shape[1] != n_features:
            raise ModelRejected(
                "invalid_example",
                f"The input example has {matrix.shape[1]} columns; the model expects {n_features}.",
            )
        return matrix
    return None if n_features is None else np.zeros((1, n_features))


def _example_input(
    example: Any, n_features: int | None, names: list[str] | None, nullable: bool
) -> tuple[Any, list[dict[str, Any]], int] | None:
    """What the model is run with (as serving will build it), its columns, and its row count.

    Without an example, one row of zeros when the width is known (every column a number).
    """
    if example is None:
        if n_features is None:
            return None
        table = np.zeros((1, n_features))
        columns = numeric_columns(n_features, names, nullable)
    else:
        if not isinstance(example, list) or not example:
            raise ModelRejected("invalid_example", "The input example must be a list of rows.")
        table, columns = example_table(
            example, names=names, n_features=n_features, nullable=nullable
        )
    return model_input(table, columns, names), columns, len(table)


def _run(method: Any, X: Any, what: str) -> np.ndarray:
    try:
        return np.asarray(method(X))
    except (MemoryError, ModelRejected):
        raise
    except Exception as exc:
        raise ModelRejected(
            "predict_failed", f"{what} failed on the example rows: {exc}"[:500]
        ) from None


def _cannot_run_once(kind: str) -> ModelRejected:
    # Accepting it unrun would leave its first call to the API process.
    return ModelRejected(
        "no_input_shape",
        f"The {kind} records no feature count, so it cannot be run once before it is "
        "accepted: upload it with an input example.",
    )


_SCALARS = (str, bool, int, float, np.bool_, np.integer, np.floating)


def _checked_output(output: np.ndarray, rows: int) -> np.ndarray:
    """``predict``'s answer if it is numbers, booleans or strings, one entry per input row."""
    if output.ndim == 0 or output.ndim > 2 or output.shape[0] != rows:
        raise ModelRejected(
            "bad_output",
            f"predict returned shape {output.shape} for {rows} row(s); expected one value (or "
            "one row of values) per input row.",
        )
    kind = output.dtype.kind
    if kind in "biuf" or kind == "U":
        return output
    if kind == "O" and all(isinstance(v, _SCALARS) for v in output.ravel().tolist()):
        return output
    raise ModelRejected(
        "bad_output",
        f"predict returned {output.dtype} values; only numbers, booleans and strings can be "
        "served.",
    )


def _is_probability_matrix(proba: np.ndarray, rows: int) -> bool:
    return proba.ndim == 2 and proba.shape[0] == rows and proba.dtype.kind in "fiu"


def _same(left: np.ndarray, right: np.ndarray) -> bool:
    if left.shape != right.shape:
        return False
    if left.dtype.kind in "fc" and right.dtype.kind in "fc":
        return bool(np.allclose(left, right, rtol=1e-12, atol=0, equal_nan=True))
    return bool(np.array_equal(left, right))


def _resave_as_skops(obj: Any, X: Any, outputs: dict[str, np.ndarray], limit: int) -> None:
    """Write the skops copy the API will serve, after proving it loads and predicts the same."""
    import skops.io

    from domain.registry.intake.skops_check import check_skops_zip, trusted_types

    try:
        blob = skops.io.dumps(obj)
    except Exception as exc:
        raise ModelRejected(
            "untrusted_type", f"The model cannot be converted to skops: {exc}"[:500]
        ) from None
    check_skops_zip(io.BytesIO(blob), max_decompressed_bytes=limit)
    again = skops.io.loads(blob, trusted=trusted_types(blob))
    for method, expected in outputs.items():
        if not _same(np.asarray(getattr(again, method)(X)), expected):
            raise ModelRejected("load_failed", f"The skops copy changes {method} results.")
    fd = os.open(SERVING_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(blob)


def _version_warnings(saved_with: dict[str, str]) -> list[str]:
    out = []
    for library, label in _LIBRARY_LABELS.items():
        saved = saved_with.get(library)
        module = sys.modules.get(library)
        current = getattr(module, "__version__", None)
        if saved and current and saved != current:
            out.append(f"Saved with {label} {saved}; the server runs {current}.")
    return out


def _inspect_estimator(loaded: Loaded, example: Any, *, resave: bool, limit: int) -> dict[str, Any]:
    obj = loaded.obj
    kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if isinstance(obj, type) or not callable(getattr(obj, "get_params", None)):
        raise ModelRejected("not_a_model", f"The artifact holds a {kind}, not an estimator.")
    if not callable(getattr(obj, "predict", None)):
        raise ModelRejected("no_predict", f"{kind} has no predict method.")
    framework = framework_of(obj)
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    with contextlib.suppress(TypeError):
        try:
            check_is_fitted(obj)
        except NotFittedError:
            raise ModelRejected("predict_failed", f"The {kind} was saved before fitting.") from None
    n_features = as_int(getattr(obj, "n_features_in_", None))
    raw_names = getattr(obj, "feature_names_in_", None)
    names = [str(name) for name in raw_names] if raw_names is not None else None
    has_proba = hasattr(obj, "predict_proba")
    warnings = list(loaded.warnings)
    nullable = allows_missing(obj, framework)
    prepared = _example_input(example, n_features, names, nullable)
    if prepared is None:
        raise _cannot_run_once(kind)
    X, columns, n_rows = prepared
    outputs = {"predict": _checked_output(_run(obj.predict, X, "predict"), n_rows)}
    if has_proba:
        proba = _run(obj.predict_proba, X, "predict_proba")
        if _is_probability_matrix(proba, n_rows):
            outputs["predict_proba"] = proba
        else:
            has_proba = False
            warnings.append(
                f"predict_proba returns {proba.dtype} of shape {proba.shape}, not one row of "
                "class probabilities per input row: probabilities are not served."
            )
    if resave:
        _resave_as_skops(obj, X, outputs, limit)
    warnings += _version_warnings(loaded.saved_with)
    prediction = outputs["predict"]
    signature = {
        "n_features_in": n_features,
        "feature_names": names,
        "classes": json_scalars(getattr(final_estimator(obj), "classes_", None)),
        "has_predict_proba": has_proba,
        "output_shape": [None, *prediction.shape[1:]],
        "task": task_of(obj),
        "input_dtype": "float64" if all(c["type"] == "number" for c in columns) else "object",
        "allows_missing": nullable,
        "columns": columns,
    }
    versions = loaded.saved_with
    return {
        "framework": framework,
        "framework_version": versions.get("xgboost" if framework == "xgboost" else "sklearn")
        if framework != "lightgbm"
        else None,
        "saved_with": versions,
        "estimator_class": kind,
        "signature": signature,
        "warnings": warnings,
        "example_output": to_json(prediction),
    }


def _inspect_onnx(data: bytes, example: Any, memory_bytes: int) -> dict[str, Any]:
    import onnx

    from domain.registry.intake.onnx_check import check_onnx, parse_onnx
    from domain.registry.intake.serving import wrap_onnx

    model = parse_onnx(data)
    check_onnx(model, max_tensor_bytes=memory_bytes)
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise ModelRejected("corrupt", f"The ONNX model is invalid: {exc}"[:500]) from None
    try:
        wrapper = wrap_onnx(data, model)
    except ModelRejected:
        raise
    except Exception as exc:
        raise ModelRejected("load_failed", f"onnxruntime cannot load it: {exc}"[:500]) from None
    interface = wrapper.interface
    matrix = _example_matrix(example, interface.n_features)
    if matrix is None:
        raise _cannot_run_once("ONNX model")
    prediction = _checked_output(_run(wrapper.predict, matrix, "predict"), len(matrix))
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    saved_with = {"onnx_ir_version": str(model.ir_version)}
    if opset is not None:
        saved_with["onnx_opset"] = str(opset)
    if model.producer_name:
        saved_with[model.producer_name[:64]] = model.producer_version[:64] or "unknown"
    if interface.classes is not None or interface.proba_output:
        task = "classification"
    elif interface.label_dtype in ("float32", "float64"):
        task = "regression"
    else:
        task = "unknown"
    warnings: list[str] = []
    return {
        "framework": "onnx",
        "framework_version": None if opset is None else str(opset),
        "saved_with": saved_with,
        "estimator_class": "onnx.ModelProto",
        "signature": {
            "n_features_in": interface.n_features,
            "feature_names": None,
            "classes": json_scalars(interface.classes),
            "has_predict_proba": interface.proba_output is not None,
            "output_shape": [None, *prediction.shape[1:]],
            "task": task,
            "input_dtype": interface.input_dtype,
            "allows_missing": False,
        },
        "warnings": warnings,
        "example_output": to_json(prediction),
    }


def _inspect(request: dict[str, Any]) -> dict[str, Any]:
    fmt = request["format"]
    limit = int(request["max_decompressed_bytes"])
    example = request.get("input_example")
    with os.fdopen(int(request["fd"]), "rb") as raw:
        if fmt == "onnx":
            return _inspect_onnx(raw.read(), example, int(request["memory_bytes"]))
        if fmt == "skops":
            loaded = load_skops_model(raw.read(), limit=limit)
            return _inspect_estimator(loaded, example, resave=False, limit=limit)
        if fmt in ("pickle", "joblib"):
            loaded = load_pickle(raw, limit=limit)
            return _inspect_estimator(loaded, example, resave=True, limit=limit)
    raise ModelRejected("unknown_format", f"Unsupported format {fmt!r}.")


# -- probes (tests only) ----------------------------------------------------------------------


def _attempt(action: Any) -> str:
    try:
        result = action()
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    except Exception as exc:
        return type(exc).__name__
    return result if isinstance(result, str) else "ok"


def _read(path: str) -> str:
    with open(path, "rb") as handle:
        return f"read {len(handle.read(64))} bytes"


def _fork_and_reap() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def _thread_runs() -> str:
    box: list[int] = []
    thread = threading.Thread(target=lambda: box.append(1))
    thread.start()
    thread.join(5)
    return "ok" if box else "did not run"


def _raw_syscall(name: str) -> str:
    """A process-creating call made directly, past libc's wrappers and fallbacks."""
    numbers = {"x86_64": {"vfork": 58, "clone3": 435}, "aarch64": {"clone3": 435}}
    number = numbers.get(platform.machine(), {}).get(name)
    if number is None:
        return "n/a"
    libc = ctypes.CDLL(None, use_errno=True)
    # clone3 gets a null struct: refused by the filter (ENOSYS) before the kernel reads it.
    result = libc.syscall(ctypes.c_long(number), None, ctypes.c_size_t(0))
    if result == 0:
        os._exit(0)  # the child, should one exist
    if result > 0:
        os.waitpid(result, 0)
        return "ok"
    return errno.errorcode.get(ctypes.get_errno(), "error")


def _write(path: str) -> None:
    with open(path, "w") as handle:
        handle.write("x")


def _libc_connect() -> str:
    """Open and connect a socket through libc, bypassing Python's socket module."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    if fd < 0:
        return errno.errorcode.get(ctypes.get_errno(), "error")
    # struct sockaddr_in: family in host order, then port and 1.1.1.1 in network order.
    address = struct.pack("=H", socket.AF_INET) + struct.pack("!H4B8x", 53, 1, 1, 1, 1)
    result = libc.connect(fd, address, len(address))
    code = ctypes.get_errno()
    os.close(fd)
    return "connected" if result == 0 else errno.errorcode.get(code, "error")


def _escape_attempts(request: dict[str, Any]) -> dict[str, Any]:
    return {
        "fork": _attempt(_fork_and_reap),
        "thread": _attempt(_thread_runs),
        "vfork": _raw_syscall("vfork"),
        "clone3": _raw_syscall("clone3"),
        "exec": _attempt(lambda: os.execv("/bin/true", ["true"])),  # noqa: S606 # nosec B606 - must fail
        "python_socket": _attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
        "libc_connect": _libc_connect(),
        "read": {p: _attempt(lambda p=p: _read(p)) for p in request["paths_read"]},
        "write": {p: _attempt(lambda p=p: _write(p)) for p in request["paths_write"]},
        "env": sorted(os.environ),
        "uid": os.getuid(),
        "ppid": os.getppid(),
        "pids": sorted(int(name) for name in os.listdir("/proc") if name.isdigit()),
    }


def _probe(request: dict[str, Any]) -> dict[str, Any]:
    name = request["probe"]
    if name == "spin":
        while True:
            pass
    if name == "sleep":
        time.sleep(3600)
    if name == "alloc":
        hoard = []
        while True:
            hoard.append(np.ones(64 << 17))  # 64 MiB at a time, touched
    if name == "escape":
        return _escape_attempts(request)
    if name == "exit":
        os._exit(3)
    if name == "segfault":
        import ctypes

        ctypes.string_at(0)
    if name == "echo":
        return {"pid": os.getpid()}
    raise ValueError(f"unknown probe {name!r}")


# -- entry point ------------------------------------------------------------------------------


def _emit(answer: dict[str, Any]) -> None:
    try:
        line = json.dumps(answer, allow_nan=False)
    except (TypeError, ValueError):
        line = json.dumps({"ok": False, "reason": "load_failed", "message": "Unserialisable."})
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    try:
        mode = request.get("mode")
        if mode == "probe":
            result = {"probe": _probe(request)}
        elif mode == "reference":
            # A drift reference dataset: parsed here, confined like an artifact.
            from domain.drift._reference import read_reference

            result = read_reference(request)
        else:
            result = _inspect(request)
        return {"ok": True, **result, "sandbox": _harden.summary()}
    except ModelRejected as exc:
        return {"ok": False, "reason": exc.reason, "message": exc.message}
    except MemoryError:
        return {"ok": False, "reason": "load_memory", "message": "Loading exceeded memory."}
    except RecursionError:
        return {"ok": False, "reason": "too_complex", "message": "The model nests too deeply."}
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"[:500]
        return {"ok": False, "reason": "load_failed", "message": message}


def main() -> None:
    _lifeline.bind_to_parent(sys.argv)
    request = json.loads(sys.stdin.buffer.read(MAX_REQUEST))
    slot = os.getpid()
    if _harden.enter_namespaces():
        lifeline, held = os.pipe()
        child = os.fork()
        if child:
            os.close(lifeline)
            _wait_and_exit(child)
        os.close(held)
        _lifeline.bind_to_waiter(lifeline)
    _confine(request, slot)
    signal.signal(signal.SIGXCPU, _on_cpu_limit)
    _emit(_answer(request))
    os._exit(0)
