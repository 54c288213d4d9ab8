"""skops files are checked by what each name resolves to, not by the name.

The re-export family is found, not listed: every attribute of a scikit-learn, numpy or scipy
module that the *name* rule lets through but whose real object lives outside the allow-list
(``sklearn.utils.Path`` being ``pathlib.Path``) is written into a skops file as each kind of
node, and every such file is refused before skops builds anything.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import pkgutil
import zipfile
from typing import Any

import numpy as np
import pytest
import skops.io
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_array

from domain.errors import ModelRejected
from domain.registry.intake.allowlist import denial_reason
from domain.registry.intake.skops_check import check_nodes, load_skops, trusted_types

ROOTS = ("sklearn", "numpy", "scipy.sparse")


def modules_under(root: str) -> list[Any]:
    package = importlib.import_module(root)
    found = [package]
    for info in pkgutil.walk_packages(package.__path__, root + "."):
        # A module the allow-list refuses outright cannot lend a name to a skops file.
        if denial_reason(info.name, "Probe") is not None or info.name.count(".") > 4:
            continue
        try:
            found.append(importlib.import_module(info.name))
        except Exception:  # optional dependencies, platform-specific modules
            continue
    return found


def reexports() -> list[tuple[str, str, str]]:
    """(module, name, real) for names the name rule passes but whose object it would not."""
    out = set()
    for root in ROOTS:
        for module in modules_under(root):
            for name, obj in list(vars(module).items()):
                if denial_reason(module.__name__, name) is not None:
                    continue
                real = (getattr(obj, "__module__", None), getattr(obj, "__qualname__", None))
                if not all(isinstance(part, str) for part in real):
                    out.add((module.__name__, name, repr(type(obj))))
                elif denial_reason(*real) is not None:
                    out.add((module.__name__, name, f"{real[0]}.{real[1]}"))
    return sorted(out)


REEXPORTS = reexports()


def skops_bytes(schema: dict[str, Any], original: bytes) -> bytes:
    """``original`` with its schema.json replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, json.dumps(schema) if info.filename == "schema.json" else data)
    return out.getvalue()


BASE = skops.io.dumps(LogisticRegression().fit([[0.0], [1.0]], [0, 1]))
BASE_SCHEMA = json.loads(zipfile.ZipFile(io.BytesIO(BASE)).read("schema.json"))


def as_node(loader: str, module: str, name: str) -> bytes:
    schema = json.loads(json.dumps(BASE_SCHEMA))
    schema.update({"__loader__": loader, "__module__": module, "__class__": name})
    return skops_bytes(schema, BASE)


def test_the_walk_finds_the_family():
    # The name rule alone would let these through; a walk that found none would test nothing.
    assert len(REEXPORTS) >= 5, REEXPORTS
    assert any(
        real.startswith(("pathlib.", "threading.", "multiprocessing.")) for *_, real in REEXPORTS
    )


@pytest.mark.parametrize("loader", ["ObjectNode", "TypeNode", "ReduceNode", "FunctionNode"])
def test_every_reexport_is_refused_as_every_node_kind(loader):
    accepted = []
    for module, name, real in REEXPORTS:
        data = as_node(loader, module, name)
        try:
            trusted_types(data)
        except ModelRejected as refused:
            assert refused.reason == "untrusted_type"
        else:
            accepted.append(f"{module}.{name} -> {real}")
    assert accepted == []


@pytest.mark.parametrize(
    "loader, module, name",
    [
        ("MethodNode", "sklearn.linear_model", "LogisticRegression"),
        ("PartialNode", "functools", "partial"),
        ("OperatorFuncNode", "operator", "attrgetter"),
        ("ConstructorFromReduceNode", "sklearn.linear_model", "LogisticRegression"),
        ("ReduceNode", "sklearn.linear_model", "LogisticRegression"),
        ("FunctionNode", "numpy", "load"),
        ("FunctionNode", "numpy", "array_repr"),
        ("FunctionNode", "sklearn.utils", "check_array"),
        ("SomeFutureNode", "sklearn.linear_model", "LogisticRegression"),
        ("ObjectNode", "sklearn.linear_model", "NoSuchClass"),
        ("ObjectNode", "sklearn.linear_model", "log_loss"),
    ],
)
def test_calling_and_unknown_nodes_are_refused(loader, module, name):
    with pytest.raises(ModelRejected) as refused:
        trusted_types(as_node(loader, module, name))
    assert refused.value.reason == "untrusted_type"


def test_a_numpy_ufunc_pipeline_loads():
    model = make_pipeline(FunctionTransformer(np.log1p), LogisticRegression())
    model.fit(np.abs(np.random.default_rng(0).normal(size=(40, 3))), [0, 1] * 20)
    data = skops.io.dumps(model)

    check_nodes(json.loads(zipfile.ZipFile(io.BytesIO(data)).read("schema.json")))
    loaded = load_skops(data, max_decompressed_bytes=1 << 26)

    rows = np.ones((2, 3))
    assert np.array_equal(loaded.predict(rows), model.predict(rows))


def test_a_partial_loads_only_around_a_listed_function():
    wrapped = FunctionTransformer(functools.partial(check_array, dtype=[np.float64])).fit([[1.0]])
    around_a_class = FunctionTransformer(functools.partial(LogisticRegression, C=2.0))

    load_skops(skops.io.dumps(wrapped), max_decompressed_bytes=1 << 26)
    with pytest.raises(ModelRejected) as refused:
        trusted_types(skops.io.dumps(around_a_class))

    assert refused.value.reason == "untrusted_type"
    assert "partial" in refused.value.message
