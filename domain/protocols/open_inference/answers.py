"""Open Inference answers: predictions as tensors (JSON or binary), and a version's signature
as model metadata and Triton's model configuration."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

import numpy as np

from domain.inference.explain import Explanation
from domain.protocols.open_inference.requests import (
    BASE_VALUES,
    CONTRIBUTIONS,
    EXPLAINED_OUTPUTS,
    FEATURE_NAMES,
    NUMPY_TYPES,
    PANDAS_CONTENT_TYPE,
    PREDICT,
    PREDICT_PROBA,
    SINGLE_INPUT,
    InferRequest,
    ProtocolError,
    RequestedOutput,
)

_COLUMN_DATATYPE = {"number": "FP64", "string": "BYTES", "boolean": "BOOL"}


def _values_datatype(values: Iterable[Any]) -> str:
    kinds = {type(v) for v in values}
    if kinds <= {bool}:
        return "BOOL"
    if kinds <= {int}:
        return "INT64"
    if kinds <= {int, float}:
        return "FP64"
    return "BYTES"


def label_datatype(signature: dict[str, Any]) -> str:
    """The datatype of ``predict``, as the signature tells it."""
    classes = signature.get("classes")
    if classes:
        return _values_datatype(classes)
    return "FP64" if signature.get("task") == "regression" else "BYTES"


def _encode(values: list[Any], datatype: str) -> bytes:
    if datatype != "BYTES":
        return np.asarray(values, dtype=NUMPY_TYPES[datatype]).tobytes()
    parts = []
    for value in values:
        data = value.encode() if isinstance(value, str) else str(value).encode()
        parts.append(struct.pack("<I", len(data)))
        parts.append(data)
    return b"".join(parts)


def _shape_and_flat(values: list[Any]) -> tuple[list[int], list[Any]]:
    """A rectangular nested list's shape and its values in row-major order."""
    shape = [len(values)]
    flat = values
    while flat and isinstance(flat[0], list):
        shape.append(len(flat[0]))
        flat = [v for row in flat for v in row]
    return shape, flat


def _tensor(name: str, values: list[Any], binary: bool) -> tuple[dict[str, Any], bytes]:
    shape, flat = _shape_and_flat(values)
    datatype = _values_datatype(flat)
    if datatype == "BYTES":
        flat = [v if isinstance(v, str) else str(v) for v in flat]
    output: dict[str, Any] = {"name": name, "datatype": datatype, "shape": shape}
    if not binary:
        output["data"] = flat
        return output, b""
    data = _encode(flat, datatype)
    output["parameters"] = {"binary_data_size": len(data)}
    return output, data


def infer_response(
    request: InferRequest,
    *,
    model_name: str,
    model_version: str,
    predictions: list[Any],
    probabilities: list[list[float]] | None,
    explanation: Explanation | None = None,
) -> tuple[dict[str, Any], bytes]:
    """The response's JSON header and the binary data after it (empty when none).

    An explanation adds ``contributions`` (``[rows, outputs, features]``), ``base_values``
    (``[outputs]``: contributions plus base value are the explained output), ``feature_names``
    and ``explained_outputs`` (the class, or output, each explains), with the method and the
    output space as response parameters.
    """
    available: dict[str, list[Any]] = {PREDICT: predictions}
    if probabilities is not None:
        available[PREDICT_PROBA] = probabilities
    if explanation is not None:
        available |= {
            CONTRIBUTIONS: explanation.contributions,
            BASE_VALUES: explanation.base_values,
            FEATURE_NAMES: explanation.feature_names,
            EXPLAINED_OUTPUTS: [
                str(i) if o is None else o for i, o in enumerate(explanation.outputs)
            ],
        }
    wanted = request.outputs or tuple(RequestedOutput(name, None) for name in available)
    outputs = []
    chunks = []
    for item in wanted:
        if item.name not in available:
            raise ProtocolError(
                f"Unknown output {item.name[:64]!r}; this model answers {', '.join(available)}."
            )
        binary = request.binary_output if item.binary is None else item.binary
        output, data = _tensor(item.name, available[item.name], binary)
        outputs.append(output)
        chunks.append(data)
    header: dict[str, Any] = {
        "model_name": model_name,
        "model_version": model_version,
        "outputs": outputs,
    }
    if request.id is not None:
        header["id"] = request.id
    if explanation is not None:
        header["parameters"] = {
            "explanation_method": explanation.method,
            "explanation_output": explanation.output_space,
            "explanation_transformed": explanation.transformed,
        }
    return header, b"".join(chunks)


def model_metadata(
    *, name: str, version: str, platform: str, signature: dict[str, Any]
) -> dict[str, Any]:
    """What ``GET /v2/models/{name}`` answers: inputs and outputs from the signature."""
    columns = signature.get("columns")
    names = signature.get("feature_names")
    metadata: dict[str, Any] = {"name": name, "versions": [version], "platform": platform}
    if names and columns:
        metadata["inputs"] = [
            {"name": column["name"], "datatype": _COLUMN_DATATYPE[column["type"]], "shape": [-1, 1]}
            for column in columns
        ]
        metadata["parameters"] = {"content_type": PANDAS_CONTENT_TYPE}
    else:
        n_features = signature.get("n_features_in")
        datatype = "FP32" if signature.get("input_dtype") == "float32" else "FP64"
        metadata["inputs"] = [
            {
                "name": SINGLE_INPUT,
                "datatype": datatype,
                "shape": [-1, n_features if isinstance(n_features, int) else -1],
            }
        ]
    output_shape = signature.get("output_shape") or [None]
    label_shape = [-1, *(d if isinstance(d, int) else -1 for d in output_shape[1:])]
    outputs: list[dict[str, Any]] = [
        {"name": PREDICT, "datatype": label_datatype(signature), "shape": label_shape}
    ]
    classes = signature.get("classes")
    if signature.get("has_predict_proba"):
        proba: dict[str, Any] = {
            "name": PREDICT_PROBA,
            "datatype": "FP64",
            "shape": [-1, len(classes) if classes else -1],
        }
        if classes:
            proba["parameters"] = {"classes": classes}
        outputs.append(proba)
    metadata["outputs"] = outputs
    return metadata


def _config_tensor(tensor: dict[str, Any]) -> dict[str, Any]:
    datatype = tensor["datatype"]
    return {
        "name": tensor["name"],
        "data_type": "TYPE_STRING" if datatype == "BYTES" else f"TYPE_{datatype}",
        "dims": tensor["shape"],
    }


def model_config(metadata: dict[str, Any]) -> dict[str, Any]:
    """Triton's model configuration (``GET /v2/models/{name}/config``), from the metadata:
    no batching dimension of its own (``max_batch_size`` 0), so ``dims`` are whole shapes."""
    return {
        "name": metadata["name"],
        "platform": metadata["platform"],
        "backend": metadata["platform"],
        "max_batch_size": 0,
        "input": [_config_tensor(t) for t in metadata["inputs"]],
        "output": [_config_tensor(t) for t in metadata["outputs"]],
    }
