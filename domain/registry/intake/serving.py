"""Load an accepted model's serving copy in the API process (skops or ONNX; never pickle)."""

from __future__ import annotations

from typing import Any

import numpy as np

from domain.errors import ModelRejected
from domain.registry.intake.onnx_check import OnnxInterface, check_onnx, describe_onnx, parse_onnx
from domain.registry.intake.skops_check import load_skops

DEFAULT_MAX_BYTES = 1 << 30


class OnnxModel:
    """An onnxruntime session with a scikit-learn style ``predict``."""

    def __init__(self, session: Any, interface: OnnxInterface) -> None:
        self._session = session
        self.interface = interface
        self._dtype = np.dtype(interface.input_dtype)
        self.n_features_in_ = interface.n_features
        self.classes_ = None if interface.classes is None else np.asarray(interface.classes)

    def _run(self, output: str, X: Any) -> np.ndarray:
        matrix = np.asarray(X, dtype=self._dtype)
        if matrix.ndim != 2:
            raise ValueError(f"expected a 2-D feature matrix, got {matrix.ndim} dimension(s)")
        return np.asarray(self._session.run([output], {self.interface.input_name: matrix})[0])

    def predict(self, X: Any) -> np.ndarray:
        result = self._run(self.interface.label_output, X)
        # skl2onnx regressors return (n, 1) where scikit-learn returns (n,).
        return result.ravel() if result.ndim == 2 and result.shape[1] == 1 else result

    def predict_with_proba(self, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Labels and, when the graph has them, probabilities from one session run."""
        return self.predict(X), None


class OnnxClassifier(OnnxModel):
    """An ONNX model whose graph also outputs class probabilities."""

    def predict_proba(self, X: Any) -> np.ndarray:
        assert self.interface.proba_output is not None
        return self._run(self.interface.proba_output, X)

    def predict_with_proba(self, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
        assert self.interface.proba_output is not None
        matrix = np.asarray(X, dtype=self._dtype)
        if matrix.ndim != 2:
            raise ValueError(f"expected a 2-D feature matrix, got {matrix.ndim} dimension(s)")
        labels, proba = self._session.run(
            [self.interface.label_output, self.interface.proba_output],
            {self.interface.input_name: matrix},
        )
        labels = np.asarray(labels)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels.ravel()
        return labels, np.asarray(proba)


def onnx_session(data: bytes) -> Any:
    """An onnxruntime CPU session with one intra-op and one inter-op thread."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def wrap_onnx(data: bytes, model: Any) -> OnnxModel:
    """The predict wrapper for a parsed, already checked ONNX model."""
    interface = describe_onnx(model)
    cls = OnnxClassifier if interface.proba_output else OnnxModel
    return cls(onnx_session(data), interface)


def load_serving_model(
    *, data: bytes, serving_format: str, max_decompressed_bytes: int = DEFAULT_MAX_BYTES
) -> object:
    """The servable model from stored serving bytes, re-checking them as if freshly uploaded."""
    if serving_format == "skops":
        return load_skops(data, max_decompressed_bytes=max_decompressed_bytes)
    if serving_format == "onnx":
        model = parse_onnx(data)
        check_onnx(model, max_tensor_bytes=max_decompressed_bytes)
        return wrap_onnx(data, model)
    raise ModelRejected(
        "unknown_format", f"{serving_format!r} is not a serving format (skops or onnx)."
    )
