"""Fixtures for intake tests: tiny fitted models, artifact writers and hostile payloads."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io
from lightgbm import LGBMClassifier
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier


class ShellOnUnpickle:
    """Unpickling this runs ``touch <marker>``; a safe intake never lets it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


@dataclass(frozen=True)
class TrainingData:
    X: np.ndarray
    y: np.ndarray
    frame: pd.DataFrame


@pytest.fixture(scope="session")
def data() -> TrainingData:
    rng = np.random.RandomState(0)
    X = rng.rand(80, 4)
    y = (X[:, 0] + 0.3 * X[:, 1] > 0.6).astype(int)
    return TrainingData(X, y, pd.DataFrame(X, columns=["age", "income", "tenure", "score"]))


@pytest.fixture(scope="session")
def models(data: TrainingData) -> dict[str, Any]:
    """Small fitted estimators, keyed by name (fit once per session)."""
    X, y = data.X, data.y
    return {
        "logreg": LogisticRegression().fit(X, y),
        "forest": RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0).fit(X, y),
        "pipeline": Pipeline(
            [
                ("scale", StandardScaler()),
                ("gb", GradientBoostingClassifier(n_estimators=5, random_state=0)),
            ]
        ).fit(X, y),
        "frame_logreg": LogisticRegression().fit(data.frame, y),
        "xgboost": XGBClassifier(n_estimators=4, max_depth=2, n_jobs=1).fit(X, y),
        "lightgbm": LGBMClassifier(n_estimators=4, n_jobs=1, verbose=-1).fit(X, y),
        "scaler": StandardScaler().fit(X),
    }


@pytest.fixture(scope="session")
def artifact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("artifacts")


def dump(obj: Any, kind: str) -> bytes:
    """Serialise ``obj`` the way a user would: pickle, joblib (optionally compressed), skops."""
    if kind == "pickle":
        return pickle.dumps(obj)
    if kind.startswith("pickle-p"):
        return pickle.dumps(obj, protocol=int(kind.removeprefix("pickle-p")))
    if kind == "skops":
        return skops.io.dumps(obj)
    if kind == "onnx":
        return obj.SerializeToString()
    buffer = io.BytesIO()
    compress: Any = {"joblib": 0, "joblib-z3": 3}.get(kind)
    if compress is None:
        compress = (kind.removeprefix("joblib-"), 3)  # joblib-gzip, joblib-bz2, ...
    joblib.dump(obj, buffer, compress=compress)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def write_artifact(artifact_dir: Path) -> Callable[[str, bytes], Path]:
    def write(name: str, payload: bytes) -> Path:
        path = artifact_dir / name
        path.write_bytes(payload)
        return path

    return write


@pytest.fixture(scope="session")
def onnx_models(models: dict[str, Any], data: TrainingData) -> dict[str, Any]:
    """skl2onnx conversions (zipmap off, so probabilities are a plain tensor)."""
    from skl2onnx import to_onnx

    sample = data.X[:1].astype(np.float32)
    return {
        key: to_onnx(models[key], sample, options={"zipmap": False}, target_opset=17)
        for key in ("logreg", "pipeline", "forest")
    }


@pytest.fixture(scope="session")
def onnx_forest(onnx_models: dict[str, Any]) -> Any:
    return onnx_models["forest"]


def skops_with_schema_edit(payload: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """A copy of a skops file whose schema.json was changed by ``edit``."""
    import json

    source = zipfile.ZipFile(io.BytesIO(payload))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "schema.json":
                schema = json.loads(content)
                edit(schema)
                content = json.dumps(schema).encode()
            target.writestr(info.filename, content)
    return out.getvalue()


def own_children() -> list[tuple[int, str]]:
    """(pid, state) of every live or zombie child of this process, read from /proc."""
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == me:
            found.append((int(entry), fields[0]))
    return found
