"""Small real models and hostile artifacts, made on the spot for tests."""

from __future__ import annotations

import io
import os
import pickle
from typing import Any

import joblib
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression


def training_data(n_features: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return make_classification(
        n_samples=200, n_features=n_features, n_informative=3, n_redundant=0, random_state=seed
    )


def logistic_regression(seed: int = 0, n_features: int = 4) -> LogisticRegression:
    X, y = training_data(n_features, seed)
    return LogisticRegression(max_iter=500).fit(X, y)


def skops_bytes(model: Any) -> bytes:
    import skops.io as sio

    return sio.dumps(model)


def joblib_bytes(model: Any, compress: int = 0) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=compress)
    return buffer.getvalue()


def pickle_bytes(model: Any) -> bytes:
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def onnx_bytes(model: Any, n_features: int = 4) -> bytes:
    from skl2onnx import to_onnx

    sample = np.zeros((1, n_features), dtype=np.float32)
    return to_onnx(model, sample, options={id(model): {"zipmap": False}}).SerializeToString()


class _Exploit:
    """Unpickling this runs a shell command; a safe intake never lets it."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def exploit_pickle(marker: str) -> bytes:
    return pickle.dumps(_Exploit(marker), protocol=4)


def exploit_joblib(marker: str, compress: int = 0) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(_Exploit(marker), buffer, compress=compress)
    return buffer.getvalue()
