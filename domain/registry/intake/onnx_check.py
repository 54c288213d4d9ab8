"""Static checks for ONNX models, and what their graph says about inputs and outputs."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from domain.errors import ModelRejected

MAX_GRAPH_DEPTH = 16


def parse_onnx(data: bytes) -> Any:
    """Parse a ModelProto; anything without a graph is not ONNX."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise ModelRejected("unknown_format", f"Not a readable ONNX model: {exc}.") from None
    if not model.HasField("graph") or not model.graph.node:
        raise ModelRejected("unknown_format", "The ONNX file has no graph.")
    return model


def _graph_tensors(graph: Any, depth: int) -> Iterator[Any]:
    if depth > MAX_GRAPH_DEPTH:
        raise ModelRejected("too_complex", "The ONNX graph nests subgraphs too deeply.")
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    for node in graph.node:
        yield from _node_tensors(node, depth)


def _node_tensors(node: Any, depth: int) -> Iterator[Any]:
    for attr in node.attribute:
        if attr.HasField("t"):
            yield attr.t
        yield from attr.tensors
        for sparse in [attr.sparse_tensor, *attr.sparse_tensors]:
            yield sparse.values
            yield sparse.indices
        if attr.HasField("g"):
            yield from _graph_tensors(attr.g, depth + 1)
        for sub in attr.graphs:
            yield from _graph_tensors(sub, depth + 1)


def all_tensors(model: Any) -> Iterator[Any]:
    """Every TensorProto in the model: initializers, node attributes, subgraphs, functions."""
    yield from _graph_tensors(model.graph, 0)
    for function in model.functions:
        for node in function.node:
            yield from _node_tensors(node, 0)
    for info in model.training_info:
        yield from _graph_tensors(info.initialization, 0)
        yield from _graph_tensors(info.algorithm, 0)


def _declared_bytes(tensor: Any) -> int:
    import onnx

    dims = list(tensor.dims)
    if any(dim < 0 for dim in dims):
        raise ModelRejected("corrupt", f"Tensor {tensor.name!r} has a negative dimension.")
    if tensor.data_type in (0, onnx.TensorProto.STRING):
        return 0
    try:
        itemsize = onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
    except (KeyError, ValueError, TypeError):
        itemsize = 16
    return math.prod(dims) * itemsize


def check_onnx(model: Any, *, max_tensor_bytes: int) -> None:
    """Refuse external data (any location: path traversal, absolute, symlink) and huge tensors."""
    import onnx

    for tensor in all_tensors(model):
        if tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data):
            where = next(
                (entry.value for entry in tensor.external_data if entry.key == "location"), ""
            )
            raise ModelRejected(
                "external_data",
                f"Tensor {tensor.name[:100]!r} refers to external data {where[:200]!r}; "
                "only self-contained ONNX files are accepted.",
            )
        size = _declared_bytes(tensor)
        if size > max_tensor_bytes:
            raise ModelRejected(
                "load_memory",
                f"Tensor {tensor.name[:100]!r} declares {size} bytes, over the "
                f"{max_tensor_bytes}-byte limit.",
            )


@dataclass(frozen=True)
class OnnxInterface:
    """The one matrix input and the label/probability outputs of a tabular ONNX model."""

    input_name: str
    input_dtype: str
    n_features: int | None
    label_output: str
    proba_output: str | None
    classes: list[Any] | None
    label_dtype: str | None


def _tensor_type(value_info: Any) -> tuple[str | None, list[int | None]] | None:
    import onnx

    if value_info.type.WhichOneof("value") != "tensor_type":
        return None
    tensor = value_info.type.tensor_type
    try:
        dtype = str(onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type))
    except (KeyError, ValueError, TypeError):
        dtype = None
    dims = [dim.dim_value if dim.HasField("dim_value") else None for dim in tensor.shape.dim]
    return dtype, dims


def _classes(model: Any) -> list[Any] | None:
    for node in model.graph.node:
        if node.domain != "ai.onnx.ml":
            continue
        for attr in node.attribute:
            if attr.name in ("classlabels_int64s", "classlabels_ints") and attr.ints:
                return [int(value) for value in attr.ints]
            if attr.name == "classlabels_strings" and attr.strings:
                return [value.decode("utf-8", "replace") for value in attr.strings]
    return None


def describe_onnx(model: Any) -> OnnxInterface:
    """Find the single 2-D tensor input and the outputs to use for predict/predict_proba."""
    initializers = {tensor.name for tensor in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in initializers]
    if len(inputs) != 1:
        raise ModelRejected(
            "not_a_model", "An ONNX model must take exactly one input (a feature matrix)."
        )
    described = _tensor_type(inputs[0])
    if described is None or described[0] is None or len(described[1]) != 2:
        raise ModelRejected("not_a_model", "The ONNX model's input is not a 2-D numeric tensor.")
    input_dtype, input_dims = described
    outputs = [(value.name, _tensor_type(value)) for value in model.graph.output]
    if not outputs or outputs[0][1] is None:
        raise ModelRejected("not_a_model", "The ONNX model's first output is not a tensor.")
    label_name, (label_dtype, _) = outputs[0][0], outputs[0][1]
    proba = next(
        (
            name
            for name, kind in outputs[1:]
            if kind is not None and kind[0] in ("float32", "float64") and len(kind[1]) == 2
        ),
        None,
    )
    return OnnxInterface(
        input_name=inputs[0].name,
        input_dtype=input_dtype,
        n_features=input_dims[1],
        label_output=label_name,
        proba_output=proba,
        classes=_classes(model),
        label_dtype=label_dtype,
    )
