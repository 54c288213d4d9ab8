"""Safe intake of uploaded model artifacts (SECURITY-CASES section 2: M1, M2, M9-M11, M13-M15, M17).

Artifacts are built here, in temp dirs. Tests that need a sandboxed load share one session fixture
that runs them concurrently (each load costs a fresh interpreter importing scikit-learn).
"""

from __future__ import annotations

import asyncio
import io
import os
import pickle
import shutil
import stat
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import sklearn

from domain.errors import ModelRejected
from domain.registry.intake import (
    IntakeResult,
    Signature,
    inspect_artifact,
    load_serving_model,
    sniff_format,
)
from domain.registry.intake import pipeline as intake_pipeline
from domain.registry.intake._stream import open_stream
from domain.registry.intake.allowlist import denial_reason, global_allowed
from domain.registry.intake.pickle_scan import scan_pickle
from domain.registry.intake.sandbox import SandboxLimits, run_worker
from tests.domain.registry.conftest import (
    ShellOnUnpickle,
    TrainingData,
    dump,
    own_children,
    skops_with_schema_edit,
)

IS_ROOT = os.geteuid() == 0
SANDBOX_CONCURRENCY = max(2, os.cpu_count() or 2)


def reject(reason: str, result: Any) -> ModelRejected:
    """Assert ``result`` is a ModelRejected with ``reason`` and return it."""
    assert isinstance(result, ModelRejected), f"expected {reason}, got {result!r}"
    assert result.reason == reason, f"expected {reason}, got {result.reason}: {result.message}"
    return result


async def outcome(path: Path, **kwargs: Any) -> IntakeResult | ModelRejected:
    try:
        return await inspect_artifact(path=path, **kwargs)
    except ModelRejected as exc:
        return exc


def scan_bytes(payload: bytes, limit: int = 1 << 30) -> Any:
    return scan_pickle(open_stream(io.BytesIO(payload), limit=limit))


# -- sandboxed loads, run together once per session --------------------------------------------

# case id -> (model key or special, serialisation)
HAPPY = {
    "logreg.pkl": ("logreg", "pickle"),
    "logreg.joblib": ("logreg", "joblib"),
    "logreg.skops": ("logreg", "skops"),
    "logreg.onnx": ("logreg", "onnx"),
    "pipeline.pkl": ("pipeline", "pickle"),
    "pipeline.joblib-z3": ("pipeline", "joblib-z3"),
    "pipeline.skops": ("pipeline", "skops"),
    "pipeline.onnx": ("pipeline", "onnx"),
    "forest.joblib": ("forest", "joblib"),
    "forest.onnx": ("forest", "onnx"),
    "frame_logreg.pkl": ("frame_logreg", "pickle"),
    "frame_logreg.skops": ("frame_logreg", "skops"),
    "xgboost.pkl": ("xgboost", "pickle"),
    "xgboost.joblib": ("xgboost", "joblib"),
    "xgboost.skops": ("xgboost", "skops"),
    "lightgbm.pkl": ("lightgbm", "pickle"),
    "lightgbm.joblib": ("lightgbm", "joblib"),
    "lightgbm.skops": ("lightgbm", "skops"),
}


def _text(value: str) -> bytes:
    """SHORT_BINUNICODE followed by MEMOIZE."""
    return b"\x8c" + bytes([len(value)]) + value.encode() + b"\x94"


def _reconstruct_bomb() -> bytes:
    """Allow-listed globals only: numpy._core.multiarray._reconstruct(ndarray, (2**34,), 'b')."""
    return (
        b"\x80\x04"
        + _text("numpy._core.multiarray") + _text("_reconstruct") + b"\x93"
        + _text("numpy") + _text("ndarray") + b"\x93"
        + b"\x8a\x05" + (1 << 34).to_bytes(5, "little") + b"\x85"
        + b"C\x01b\x87R."
    )  # fmt: skip


@pytest.fixture(scope="session")
async def sandboxed(
    models: dict[str, Any],
    data: TrainingData,
    onnx_models: dict[str, Any],
    write_artifact: Callable[[str, bytes], Path],
) -> dict[str, IntakeResult | ModelRejected]:
    """Every case that needs a real sandboxed load, inspected concurrently."""
    jobs: dict[str, tuple[Path, dict[str, Any]]] = {}
    example = {"input_example": data.X[:5].tolist()}
    for case, (key, kind) in HAPPY.items():
        payload = dump(onnx_models[key] if kind == "onnx" else models[key], kind)
        jobs[case] = (write_artifact(case, payload), example)

    old_version = pickle.dumps(models["logreg"]).replace(
        sklearn.__version__.encode(), b"0" * len(sklearn.__version__)
    )
    jobs["old_version"] = (write_artifact("old.pkl", old_version), {})
    jobs["scaler"] = (write_artifact("scaler.joblib", dump(models["scaler"], "joblib")), {})
    jobs["array"] = (write_artifact("array.joblib", dump(np.arange(6.0), "joblib")), {})
    jobs["bomb"] = (write_artifact("bomb.pkl", _reconstruct_bomb()), {"memory_limit_mb": 768})
    jobs["wrong_width"] = (jobs["logreg.pkl"][0], {"input_example": [[1.0, 2.0]]})
    untrusted = skops_with_schema_edit(
        dump(models["logreg"], "skops"),
        lambda schema: schema.update(__module__="subprocess", __class__="Popen"),
    )
    jobs["untrusted_skops"] = (write_artifact("untrusted.skops", untrusted), {})

    gate = asyncio.Semaphore(SANDBOX_CONCURRENCY)

    async def run(path: Path, kwargs: dict[str, Any]) -> IntakeResult | ModelRejected:
        async with gate:
            return await outcome(path, **kwargs)

    results = await asyncio.gather(*(run(path, kwargs) for path, kwargs in jobs.values()))
    return dict(zip(jobs, results, strict=True))


# -- 1. sniffing by content ---------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(6))
def test_sniff_pickle_every_protocol(models: dict[str, Any], protocol: int) -> None:
    assert sniff_format(pickle.dumps(models["logreg"], protocol=protocol)[:65536]) == "pickle"


@pytest.mark.parametrize("codec", ["zlib", "gzip", "bz2", "xz", "lzma"])
def test_sniff_compressed_joblib(models: dict[str, Any], codec: str) -> None:
    buffer = io.BytesIO()
    joblib.dump(models["forest"], buffer, compress=(codec, 3))
    assert sniff_format(buffer.getvalue()[:65536]) == "joblib"


def test_uncompressed_joblib_is_a_pickle_with_arrays(
    models: dict[str, Any], write_artifact: Callable[[str, bytes], Path]
) -> None:
    payload = dump(models["forest"], "joblib")
    assert sniff_format(payload[:65536]) == "pickle"
    path = write_artifact("sniff.joblib", payload)
    report = intake_pipeline.static_check(path, max_decompressed_bytes=1 << 30, memory_limit_mb=64)
    assert report.source_format == "joblib"


def test_sniff_skops_onnx_and_garbage(models: dict[str, Any], onnx_forest: Any) -> None:
    assert sniff_format(dump(models["logreg"], "skops")) == "skops"
    assert sniff_format(onnx_forest.SerializeToString()) == "onnx"
    assert sniff_format(os.urandom(4096)) is None
    assert sniff_format(b"this is not a model, just text\n" * 10) is None
    assert sniff_format(b"") is None


# -- 2. static pickle scan: M1 / M2 ---------------------------------------------------------


def _evil_payloads(marker: Path) -> dict[str, tuple[str, bytes]]:
    evil = ShellOnUnpickle(marker)
    payloads = {f"p{p}": ("evil.pkl", pickle.dumps(evil, protocol=p)) for p in range(6)}
    payloads["joblib"] = ("evil.joblib", dump(evil, "joblib"))
    payloads["joblib-z3"] = ("evil.joblib", dump(evil, "joblib-z3"))
    for codec in ("gzip", "bz2", "xz", "lzma"):
        payloads[f"joblib-{codec}"] = ("evil.joblib", dump(evil, f"joblib-{codec}"))
    payloads["renamed-bin"] = ("model.bin", pickle.dumps(evil))
    payloads["after-arrays"] = ("mixed.joblib", dump([np.arange(1000.0), evil], "joblib"))
    payloads["object-array"] = ("objarr.joblib", dump(np.array([evil], dtype=object), "joblib"))
    cloudpickle = pytest.importorskip("cloudpickle")
    payloads["cloudpickle"] = ("evil.cloudpickle", cloudpickle.dumps(evil))
    return payloads


async def test_m1_m2_shell_pickles_rejected_statically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = (tmp_path / "MARKER").resolve()

    async def no_sandbox(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a hostile pickle must be rejected before any process starts")

    monkeypatch.setattr(intake_pipeline, "run_worker", no_sandbox)
    for variant, (name, payload) in _evil_payloads(marker).items():
        path = tmp_path / variant / name
        path.parent.mkdir()
        path.write_bytes(payload)
        error = reject("forbidden_global", await outcome(path))
        assert "posix.system" in error.message, variant
    assert not marker.exists()


async def test_worker_rescans_before_loading(tmp_path: Path) -> None:
    """Defence in depth: handed a hostile pickle directly, the sandbox refuses it too."""
    marker = (tmp_path / "MARKER").resolve()
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(ShellOnUnpickle(marker)))
    with pytest.raises(ModelRejected) as caught:
        await run_worker(
            {"mode": "inspect", "format": "pickle", "max_decompressed_bytes": 1 << 20},
            artifact=path,
            limits=SandboxLimits(timeout_s=20, memory_limit_mb=1024, max_output_bytes=1 << 20),
        )
    assert caught.value.reason == "forbidden_global"
    assert "posix.system" in caught.value.message
    assert not marker.exists()


MEMO_STACK_GLOBAL = b"\x80\x04\x8c\x05posix\x94\x8c\x06system\x94h\x00h\x01\x93\x8c\x04true\x85R."
COMPUTED_STACK_GLOBAL = (  # module name = str("posix"): not a literal, so unresolvable
    b"\x80\x04\x8c\x08builtins\x8c\x03str\x93\x8c\x05posix\x85R\x8c\x06system\x93."
)
HANDCRAFTED = {
    "memoised STACK_GLOBAL": (MEMO_STACK_GLOBAL, "forbidden_global", "posix.system"),
    "computed STACK_GLOBAL": (COMPUTED_STACK_GLOBAL, "forbidden_global", "resolved"),
    "protocol 0 INST": (b"(S'true'\nios\nsystem\n.", "forbidden_global", "os.system"),
    "protocol 1 OBJ": (b"(cos\nsystem\nS'true'\no.", "forbidden_global", "os.system"),
    "builtins.eval": (b"c__builtin__\neval\n(S'1'\ntR.", "forbidden_global", "builtins.eval"),
    "getattr": (b"cbuiltins\ngetattr\n.", "forbidden_global", "builtins.getattr"),
    "dotted name": (
        b"\x80\x04" + _text("sklearn.pipeline") + _text("Pipeline.__init__") + b"\x93.",
        "forbidden_global",
        "Pipeline.__init__",
    ),
    "numpy.load": (b"cnumpy\nload\n.", "forbidden_global", "numpy.load"),
    "old joblib wrapper": (
        b"cjoblib.numpy_pickle_compat\nNDArrayWrapper\n.",
        "forbidden_global",
        "NDArrayWrapper",
    ),
    "extension code": (b"\x80\x02\x82\x01.", "forbidden_global", "extension"),
    "persistent id": (b"(Pfoo\n.", "unsafe_pickle", "persistent"),
    "call a non-global": (b"\x80\x02)(tR.", "unsafe_pickle", "REDUCE"),
    "patch a class": (
        b"\x80\x02csklearn.pipeline\nPipeline\n}b.",
        "unsafe_pickle",
        "BUILD applied",
    ),
    "out-of-band buffer": (b"\x80\x05\x97.", "unsafe_pickle", "out-of-band"),
    "plain dict": (pickle.dumps({"weights": [1, 2, 3]}), "not_a_model", "dict"),
    "plain list": (pickle.dumps([1, 2, 3], protocol=0), "not_a_model", "list"),
}


@pytest.mark.parametrize("case", HANDCRAFTED)
def test_static_scan_refuses_evasions(tmp_path: Path, case: str) -> None:
    payload, reason, needle = HANDCRAFTED[case]
    path = tmp_path / "artifact"
    path.write_bytes(payload)
    with pytest.raises(ModelRejected) as caught:
        intake_pipeline.static_check(path, max_decompressed_bytes=1 << 20, memory_limit_mb=64)
    assert caught.value.reason == reason, caught.value.message
    assert needle in caught.value.message


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("sklearn.pipeline", "Pipeline"),
        ("sklearn.tree._tree", "Tree"),
        ("sklearn.ensemble._hist_gradient_boosting.binning", "_BinMapper"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        ("copyreg", "_reconstructor"),
        ("collections", "OrderedDict"),
        ("xgboost.core", "Booster"),
        ("lightgbm.sklearn", "LGBMClassifier"),
        ("scipy.sparse._csr", "csr_matrix"),
    ],
)
def test_allow_list_accepts_model_globals(module: str, name: str) -> None:
    assert global_allowed(module, name), denial_reason(module, name)


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("posix", "system"),
        ("os", "system"),
        ("nt", "system"),
        ("subprocess", "Popen"),
        ("builtins", "eval"),
        ("builtins", "getattr"),
        ("builtins", "__import__"),
        ("builtins", "open"),
        ("numpy", "load"),
        ("numpy", "memmap"),
        ("numpy.testing", "assert_equal"),
        ("numpy.lib.npyio", "NpzFile"),
        ("numpy._core", "_ufunc_reconstruct"),
        ("joblib", "load"),
        ("joblib.parallel", "Parallel"),
        ("sklearn.utils._testing", "TempMemmap"),
        ("sklearn.datasets", "fetch_openml"),
        ("sklearn.utils", "Parallel"),
        ("sklearn.tests.test_base", "MyEstimator"),
        ("sklearn.base", "clone"),
        ("sklearn.pipeline", "Pipeline.__init__"),
        ("sklearn.pipeline", "__builtins__"),
        ("xgboost.core", "_load_lib"),
        ("operator", "attrgetter"),
        ("functools", "reduce"),  # partial is allowed: it wraps only allowed callables
        ("importlib", "import_module"),
    ],
)
def test_allow_list_refuses_dangerous_globals(module: str, name: str) -> None:
    assert not global_allowed(module, name)


def test_every_real_model_pickle_scans_clean(models: dict[str, Any]) -> None:
    """No false positives across protocols 0-5 and joblib codecs, arrays skipped exactly."""
    for key, model in models.items():
        for protocol in range(6):
            assert scan_bytes(pickle.dumps(model, protocol=protocol)).root_class, (key, protocol)
        for kind in ("joblib", "joblib-z3", "joblib-gzip", "joblib-bz2", "joblib-xz"):
            assert scan_bytes(dump(model, kind)).root_class, (key, kind)


def test_scan_keeps_memory_flat_on_large_arrays() -> None:
    """M9: a 64 MB array is skipped, not held, by the API-process scan."""
    payload = dump({"w": np.zeros(8 << 20)}, "joblib")
    raw = pickle.dumps(np.zeros(8 << 20), protocol=5)
    for blob in (payload, raw):
        tracemalloc.start()
        scan_bytes(blob)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 4 << 20, peak


# -- M17: not a model ----------------------------------------------------------------------


async def test_m17_garbage_and_broken_files(
    tmp_path: Path, models: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_sandbox(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("these files are refused before any process starts")

    monkeypatch.setattr(intake_pipeline, "run_worker", no_sandbox)
    forest = pickle.dumps(models["forest"], protocol=5)
    compressed = dump(models["forest"], "joblib-z3")
    empty_zip = io.BytesIO()
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    cases = {
        "random.pkl": (os.urandom(2048), "unknown_format"),
        "empty.pkl": (b"", "empty"),
        "truncated.pkl": (forest[: len(forest) // 2], "truncated"),
        "truncated.joblib": (compressed[: len(compressed) // 2], "truncated"),
        "text.onnx": (b"this is not an ONNX model\n" * 20, "unknown_format"),
        "archive.skops": (empty_zip.getvalue(), "unknown_format"),
        "huge-array.joblib": (_lying_wrapper(), "truncated"),
    }
    for name, (payload, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(payload)
        reject(reason, await outcome(path))


def _lying_wrapper() -> bytes:
    """A joblib file whose array wrapper declares 1e12 float64s but carries 16 bytes."""
    buffer = io.BytesIO()
    joblib.dump(np.zeros(2), buffer, protocol=2)  # protocol 2: no frames to fix
    huge = b"\x8a\x06" + (10**12).to_bytes(6, "little", signed=True)
    payload = buffer.getvalue()
    assert payload.count(b"K\x02\x85") == 1
    return payload.replace(b"K\x02\x85", huge + b"\x85")


def test_input_example_is_validated_up_front() -> None:
    for bad in ([], [[1.0], [1.0, 2.0]], [[float("nan")]], [["x"]], [[True]]):
        with pytest.raises(ModelRejected) as caught:
            intake_pipeline.check_example(bad)  # type: ignore[arg-type]
        assert caught.value.reason == "invalid_example"


# -- skops (M13) and ONNX (M14), static ------------------------------------------------------


async def test_m13_skops_zip_bomb(tmp_path: Path, models: dict[str, Any]) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(dump(models["logreg"], "skops"))) as source:
            for info in source.infolist():
                archive.writestr(info.filename, source.read(info.filename))
        archive.writestr("padding.npy", bytes(64 << 20))
    path = tmp_path / "bomb.skops"
    path.write_bytes(bomb.getvalue())
    assert path.stat().st_size < 1 << 20
    reject("decompression_bomb", await outcome(path, max_decompressed_bytes=16 << 20))
    with pytest.raises(ModelRejected) as caught:
        load_serving_model(
            data=bomb.getvalue(), serving_format="skops", max_decompressed_bytes=10_000_000
        )
    assert caught.value.reason == "decompression_bomb"


def _with_external_data(model: Any, location: str) -> bytes:
    import onnx

    tampered = onnx.ModelProto()
    tampered.CopyFrom(model)
    tensor = next(iter(tampered.graph.initializer), None)
    if tensor is None:
        tensor = tampered.graph.initializer.add()
        tensor.name = "w"
        tensor.data_type = onnx.TensorProto.FLOAT
        tensor.dims.append(4)
    tensor.ClearField("raw_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", location
    return tampered.SerializeToString()


def _with_huge_initializer(model: Any) -> bytes:
    import onnx

    tampered = onnx.ModelProto()
    tampered.CopyFrom(model)
    tensor = tampered.graph.initializer.add()
    tensor.name = "huge"
    tensor.data_type = onnx.TensorProto.FLOAT
    tensor.dims.append(10**12)
    return tampered.SerializeToString()


@pytest.mark.parametrize("location", ["../../etc/passwd", "/etc/passwd", "weights.bin"])
async def test_m14_onnx_external_data(tmp_path: Path, onnx_forest: Any, location: str) -> None:
    payload = _with_external_data(onnx_forest, location)
    path = tmp_path / "model.onnx"
    path.write_bytes(payload)
    error = reject("external_data", await outcome(path))
    assert repr(location) in error.message
    with pytest.raises(ModelRejected) as caught:
        load_serving_model(data=payload, serving_format="onnx")
    assert caught.value.reason == "external_data"


async def test_m14_onnx_declared_huge_initializer(tmp_path: Path, onnx_forest: Any) -> None:
    path = tmp_path / "huge.onnx"
    path.write_bytes(_with_huge_initializer(onnx_forest))
    reject("load_memory", await outcome(path, memory_limit_mb=512))


def test_serving_never_loads_pickle(models: dict[str, Any]) -> None:
    with pytest.raises(ModelRejected) as caught:
        load_serving_model(data=pickle.dumps(models["logreg"]), serving_format="pickle")
    assert caught.value.reason == "unknown_format"


# -- sandboxed verdicts -----------------------------------------------------------------------


@pytest.mark.parametrize("case", HAPPY)
def test_m15_happy_path(
    sandboxed: dict[str, Any],
    models: dict[str, Any],
    data: TrainingData,
    case: str,
) -> None:
    result = sandboxed[case]
    assert isinstance(result, IntakeResult), result
    key, kind = HAPPY[case]
    model = models[key]
    source = {"pickle": "pickle", "skops": "skops", "onnx": "onnx"}.get(kind, "joblib")
    if key == "xgboost" and kind == "joblib":
        source = "pickle"  # joblib writes no arrays for it: by content it is a plain pickle
    assert result.source_format == source
    assert result.serving_format == ("onnx" if kind == "onnx" else "skops")
    framework = (
        "onnx"
        if kind == "onnx"
        else {"xgboost": "xgboost", "lightgbm": "lightgbm"}.get(key, "sklearn")
    )
    assert result.framework == framework
    signature = result.signature
    assert signature.n_features_in == 4
    assert signature.classes == [0, 1]
    assert signature.task == "classification"
    assert signature.has_predict_proba
    assert signature.output_shape == [None]
    assert Signature.from_dict(signature.to_dict()) == signature
    if key == "frame_logreg":
        assert signature.feature_names == ["age", "income", "tenure", "score"]
    X = data.frame if key == "frame_logreg" else data.X
    expected = model.predict(X[:5] if kind != "onnx" else data.X[:5])
    assert result.example_output == expected.tolist()

    served = load_serving_model(data=result.serving_bytes, serving_format=result.serving_format)
    rtol = 1e-4 if kind == "onnx" else 1e-6
    np.testing.assert_array_equal(served.predict(X), model.predict(X))
    np.testing.assert_allclose(served.predict_proba(X), model.predict_proba(X), rtol=rtol)
    if kind == "onnx":
        assert signature.input_dtype == "float32"
        assert result.saved_with.get("skl2onnx")
    else:
        assert signature.input_dtype == "float64"
        assert result.estimator_class.rsplit(".", 1)[-1] == type(model).__name__
    if framework == "sklearn":
        assert result.saved_with["sklearn"] == sklearn.__version__
        assert result.framework_version == sklearn.__version__
        assert result.warnings == []
    if framework in ("xgboost", "lightgbm"):
        assert signature.allows_missing


def test_old_sklearn_version_is_reported(sandboxed: dict[str, Any]) -> None:
    result = sandboxed["old_version"]
    assert isinstance(result, IntakeResult), result
    old = "0" * len(sklearn.__version__)
    assert result.saved_with["sklearn"] == old
    assert any(old in w and sklearn.__version__ in w for w in result.warnings), result.warnings
    assert result.example_output in ([0], [1])  # a synthetic row of zeros was predicted


def test_model_without_predict(sandboxed: dict[str, Any]) -> None:
    error = reject("no_predict", sandboxed["scaler"])
    assert "StandardScaler" in error.message


def test_array_is_not_a_model(sandboxed: dict[str, Any]) -> None:
    reject("not_a_model", sandboxed["array"])


def test_wrong_example_width(sandboxed: dict[str, Any]) -> None:
    reject("invalid_example", sandboxed["wrong_width"])


def test_m9_allow_listed_memory_bomb_hits_rlimit(sandboxed: dict[str, Any]) -> None:
    reject("load_memory", sandboxed["bomb"])


def test_m13_untrusted_skops_type(sandboxed: dict[str, Any], models: dict[str, Any]) -> None:
    error = reject("untrusted_type", sandboxed["untrusted_skops"])
    assert "subprocess.Popen" in error.message
    tampered = skops_with_schema_edit(
        dump(models["logreg"], "skops"),
        lambda schema: schema.update(__module__="subprocess", __class__="Popen"),
    )
    with pytest.raises(ModelRejected) as caught:
        load_serving_model(data=tampered, serving_format="skops")
    assert caught.value.reason == "untrusted_type"


# -- the sandbox itself: M10, M9, M11 ---------------------------------------------------------


async def _probe(name: str, **request: Any) -> Any:
    limits = SandboxLimits(
        timeout_s=request.pop("timeout_s", 20.0),
        memory_limit_mb=request.pop("memory_limit_mb", 1024),
        max_output_bytes=1 << 20,
    )
    return await run_worker(
        {"mode": "probe", "probe": name, **request}, artifact=None, limits=limits
    )


@pytest.mark.parametrize("probe", ["spin", "sleep"])
async def test_m10_slow_load_is_killed_and_reaped(probe: str) -> None:
    before = set(own_children())
    started = time.monotonic()
    with pytest.raises(ModelRejected) as caught:
        await _probe(probe, timeout_s=1.5)
    elapsed = time.monotonic() - started
    assert caught.value.reason == "load_timeout"
    assert elapsed < 6, elapsed
    assert set(own_children()) <= before  # nothing left running, no zombies


async def test_m9_runaway_allocation_hits_rlimit_as() -> None:
    with pytest.raises(ModelRejected) as caught:
        await _probe("alloc", memory_limit_mb=512)
    assert caught.value.reason == "load_memory"
    assert not own_children()


@pytest.mark.parametrize(("probe", "what"), [("exit", "exit code 3"), ("segfault", "SIGSEGV")])
async def test_f8_a_crashing_load_is_rejected_and_the_next_runs(probe: str, what: str) -> None:
    """F8 where model code could run at all: a load that exits or segfaults is MODEL_REJECTED
    (load_failed), leaves no process behind, and the next load gets a fresh worker."""
    with pytest.raises(ModelRejected) as caught:
        await _probe(probe)
    assert caught.value.reason == "load_failed"
    assert what in caught.value.message
    assert not own_children()
    after = await _probe("echo")
    assert after.payload["probe"]["pid"] > 0
    assert not own_children()


@pytest.fixture
def open_dir() -> Any:
    """A world-traversable temp dir (pytest's tmp_path is 0700, which would hide the point)."""
    path = Path(tempfile.mkdtemp(prefix="intake-m11-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def test_m11_sandbox_confinement(
    tmp_path: Path, open_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = open_dir / "secret.txt"
    secret.write_text("s3cr3t")
    secret.chmod(0o600)
    dotenv = open_dir / ".env"
    dotenv.write_text("DATABASE_PASSWORD=hunter2")
    dotenv.chmod(0o644)
    public = open_dir / "public.txt"
    public.write_text("public")
    public.chmod(0o644)
    outside = open_dir / "outside"
    outside.mkdir()
    outside.chmod(0o777)
    monkeypatch.setattr("domain.registry.intake.sandbox.secret_files", lambda: [str(dotenv)])
    answer = await _probe(
        "escape",
        paths_read=[f"/proc/{os.getpid()}/environ", str(secret), str(dotenv), str(public)],
        paths_write=[str(outside / "x"), str(tmp_path / "x")],
    )
    report, applied = answer.payload["probe"], answer.payload["sandbox"]
    for action in ("fork", "vfork", "exec", "python_socket"):
        assert report[action] != "ok", (action, report)
    if applied.get("seccomp"):
        # Threads (OpenMP's, LightGBM's) run; clone3 is refused so libc uses the checked clone.
        assert report["thread"] == "ok", report
        assert report["clone3"] in ("ENOSYS", "n/a"), report
    else:
        assert report["thread"] != "ok", report
    assert report["libc_connect"] in ("EPERM", "ENETUNREACH", "EACCES"), report
    assert set(report["env"]) <= {
        "HOME", "TMPDIR", "LC_ALL", "KMP_INIT_AT_FORK", "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
    }  # fmt: skip
    assert all(result != "ok" for result in report["write"].values()), report["write"]
    assert not (outside / "x").exists() and not (tmp_path / "x").exists()
    assert report["read"][str(public)] == "read 6 bytes"  # the control: plain reads work
    if IS_ROOT:
        assert applied["netns"] and applied["pidns"] and applied["seccomp"]
        assert applied["readonly_fs"] and applied["uid"] == report["uid"] != 0
        assert report["pids"] == [1] and report["ppid"] == 0
        assert report["read"][f"/proc/{os.getpid()}/environ"] == "ENOENT"
        assert report["read"][str(secret)] == "EACCES"
        assert report["read"][str(dotenv)] == "read 0 bytes"
        assert report["write"][str(outside / "x")] == "EROFS"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
