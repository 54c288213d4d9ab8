"""Open Inference requests: tensors, flat, nested or binary, as the rows a prediction takes."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from domain.errors import FieldError, ValidationFailed

# The tensor types served, and their little-endian numpy forms (BYTES has none).
NUMPY_TYPES: dict[str, str] = {
    "BOOL": "|b1",
    "INT32": "<i4",
    "INT64": "<i8",
    "FP32": "<f4",
    "FP64": "<f8",
}
DATATYPES = (*NUMPY_TYPES, "BYTES")
_INT_BOUNDS = {"INT32": (-(2**31), 2**31 - 1), "INT64": (-(2**63), 2**63 - 1)}
# The largest finite float32: an FP32 value past it would be infinite once converted.
FP32_MAX = 3.4028234663852886e38
MAX_INPUTS = 1024
PANDAS_CONTENT_TYPE = "pd"
PREDICT = "predict"
PREDICT_PROBA = "predict_proba"
# With `parameters.explain`: contributions [rows, outputs, features] and what reads them.
CONTRIBUTIONS = "contributions"
BASE_VALUES = "base_values"
FEATURE_NAMES = "feature_names"
EXPLAINED_OUTPUTS = "explained_outputs"
EXPLANATION_OUTPUTS = (CONTRIBUTIONS, BASE_VALUES, FEATURE_NAMES, EXPLAINED_OUTPUTS)
SINGLE_INPUT = "input-0"


class ProtocolError(ValidationFailed):
    """A request that does not follow the protocol; the message says what is wrong."""

    def __init__(self, message: str, path: tuple[str, ...] = ()) -> None:
        super().__init__([FieldError(path, message, "bad_request")], message)


@dataclass(frozen=True, slots=True)
class RequestedOutput:
    name: str
    binary: bool | None  # None: as the request's ``binary_data_output`` says


@dataclass(frozen=True, slots=True)
class InferRequest:
    """A decoded request: rows, with ``columns`` naming their cells when inputs are columns."""

    id: str | None
    rows: list[list[Any]]
    columns: list[str] | None
    outputs: tuple[RequestedOutput, ...] | None  # None: every output
    binary_output: bool
    # `parameters.explain`: per-feature contributions for each row, as outputs of their own.
    explain: bool


def _object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProtocolError(f"`{what}` must be an object.")
    return value


def _flag(parameters: dict[str, Any], name: str, where: str) -> bool:
    value = parameters.get(name, False)
    if not isinstance(value, bool):
        raise ProtocolError(f"`{where}.{name}` must be true or false.")
    return value


def _shape(value: Any, name: str) -> list[int]:
    if (
        not isinstance(value, list)
        or not value
        or not all(type(d) is int and d >= 0 for d in value)
    ):
        raise ProtocolError(f"Input {name!r}: `shape` must be a list of non-negative integers.")
    if len(value) > 2:
        raise ProtocolError(
            f"Input {name!r}: shape {value} has {len(value)} dimensions; give [rows, features] "
            "or one [rows] tensor per column."
        )
    return value


def _flatten(data: Any, shape: list[int], name: str) -> list[Any]:
    """Row-major elements of flat or nested ``data``, checked against ``shape``."""
    if not isinstance(data, list):
        raise ProtocolError(f"Input {name!r}: `data` must be a list.")
    if not data or not isinstance(data[0], list):
        return data  # flat; a list further on fails the element check
    if len(shape) != 2 or len(data) != shape[0]:
        raise ProtocolError(f"Input {name!r}: nested data does not have shape {shape}.")
    flat: list[Any] = []
    for row in data:
        if not isinstance(row, list) or len(row) != shape[1]:
            raise ProtocolError(f"Input {name!r}: nested data does not have shape {shape}.")
        flat.extend(row)
    return flat


def _check_json_values(values: list[Any], datatype: str, name: str) -> None:
    """Every element fits ``datatype``. The element types are collected in one C-level pass
    (``map(type, ...)``), which for a 10,000-row batch is several times cheaper than a Python
    test per element; JSON holds no NaN or infinity, so floats need no finiteness check."""
    kinds = set(map(type, values))
    if datatype == "BYTES":
        ok, expected = kinds <= {str}, "strings"
    elif datatype == "BOOL":
        ok, expected = kinds <= {bool}, "true or false"
    elif datatype in _INT_BOUNDS:
        low, high = _INT_BOUNDS[datatype]
        ok = kinds <= {int} and (not values or (low <= min(values) and max(values) <= high))
        expected = f"integers within {datatype}"
    else:
        numbers = kinds <= {int, float}
        ok = numbers and (kinds <= {int} or all(map(math.isfinite, values)))
        expected = "finite numbers"
        if ok and datatype == "FP32" and values and max(map(abs, values)) > FP32_MAX:
            raise ProtocolError(f"Input {name!r}: a value is outside the FP32 range.")
    if not ok:
        raise ProtocolError(f"Input {name!r}: {datatype} data must hold {expected}.")


def _decode_bytes(chunk: bytes, count: int, name: str) -> list[str]:
    values: list[str] = []
    offset = 0
    while offset < len(chunk):
        if offset + 4 > len(chunk):
            raise ProtocolError(f"Input {name!r}: truncated BYTES element.")
        (length,) = struct.unpack_from("<I", chunk, offset)
        offset += 4
        if offset + length > len(chunk):
            raise ProtocolError(f"Input {name!r}: truncated BYTES element.")
        try:
            values.append(chunk[offset : offset + length].decode("utf-8"))
        except UnicodeDecodeError:
            raise ProtocolError(f"Input {name!r}: BYTES elements must be UTF-8 text.") from None
        offset += length
        if len(values) > count:
            break
    if len(values) != count:
        raise ProtocolError(f"Input {name!r}: {len(values)} BYTES elements for {count} in shape.")
    return values


def _decode_binary(chunk: bytes, datatype: str, count: int, name: str) -> list[Any]:
    if datatype == "BYTES":
        return _decode_bytes(chunk, count, name)
    dtype = np.dtype(NUMPY_TYPES[datatype])
    if len(chunk) != count * dtype.itemsize:
        raise ProtocolError(
            f"Input {name!r}: {len(chunk)} bytes of binary data for {count} {datatype} elements."
        )
    array = np.frombuffer(chunk, dtype=dtype)
    if dtype.kind == "f" and not bool(np.isfinite(array).all()):
        raise ProtocolError(f"Input {name!r}: NaN and infinite values are not accepted.")
    return array.tolist()


@dataclass(frozen=True, slots=True)
class _Tensor:
    name: str
    shape: list[int]
    values: list[Any]


def _input(raw: Any, i: int, binary: memoryview, offset: int) -> tuple[_Tensor, int]:
    if not isinstance(raw, dict):
        raise ProtocolError(f"`inputs[{i}]` must be an object.")
    name = raw.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 256:
        raise ProtocolError(f"`inputs[{i}].name` must be a string of 1-256 characters.")
    shape = _shape(raw.get("shape"), name)
    datatype = raw.get("datatype")
    if datatype not in DATATYPES:
        raise ProtocolError(
            f"Input {name!r}: datatype {str(datatype)[:16]!r} is not served; use one of "
            f"{', '.join(DATATYPES)}."
        )
    count = math.prod(shape)
    parameters = _object(raw.get("parameters"), f"inputs[{i}].parameters")
    size = parameters.get("binary_data_size")
    if size is not None:
        if type(size) is not int or size < 0 or offset + size > len(binary):
            raise ProtocolError(
                f"Input {name!r}: `binary_data_size` does not fit the binary data sent."
            )
        if "data" in raw:
            raise ProtocolError(f"Input {name!r}: give `data` or binary data, not both.")
        values = _decode_binary(bytes(binary[offset : offset + size]), datatype, count, name)
        return _Tensor(name, shape, values), offset + size
    if "data" not in raw:
        raise ProtocolError(f"Input {name!r} has no `data`.")
    values = _flatten(raw["data"], shape, name)
    if len(values) != count:
        raise ProtocolError(f"Input {name!r}: {len(values)} elements for shape {shape}.")
    _check_json_values(values, datatype, name)
    return _Tensor(name, shape, values), offset


def _outputs(raw: Any) -> tuple[RequestedOutput, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise ProtocolError("`outputs` must be a list.")
    requested = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ProtocolError(f"`outputs[{i}]` must be an object with a `name`.")
        if item["name"] not in (PREDICT, PREDICT_PROBA, *EXPLANATION_OUTPUTS):
            raise ProtocolError(
                f"Unknown output {item['name'][:64]!r}; models answer {PREDICT} and, "
                f"with class probabilities, {PREDICT_PROBA} (with `parameters.explain`, "
                f"{', '.join(EXPLANATION_OUTPUTS)} too)."
            )
        parameters = _object(item.get("parameters"), f"outputs[{i}].parameters")
        if parameters.get("classification"):
            raise ProtocolError("The classification extension is not served; ask for predict.")
        binary = parameters.get("binary_data")
        if binary is not None and not isinstance(binary, bool):
            raise ProtocolError(f"`outputs[{i}].parameters.binary_data` must be true or false.")
        requested.append(RequestedOutput(item["name"], binary))
    return tuple(requested)


def _rows(tensors: list[_Tensor], as_columns: bool) -> tuple[list[list[Any]], list[str] | None]:
    if len(tensors) == 1 and len(tensors[0].shape) == 2 and not as_columns:
        tensor = tensors[0]
        n, width = tensor.shape
        values = tensor.values
        return [values[r * width : (r + 1) * width] for r in range(n)], None
    n = tensors[0].shape[0]
    for tensor in tensors:
        if len(tensor.shape) == 2 and tensor.shape[1] != 1:
            raise ProtocolError(
                f"Input {tensor.name!r}: with one input per column, each has shape [rows] or "
                "[rows, 1]; a single input may be [rows, features]."
            )
        if tensor.shape[0] != n:
            raise ProtocolError(
                f"Input {tensor.name!r} has {tensor.shape[0]} rows; {tensors[0].name!r} has {n}."
            )
    names = [tensor.name for tensor in tensors]
    if len(set(names)) != len(names):
        raise ProtocolError("Each input may be given once.")
    return [list(row) for row in zip(*(t.values for t in tensors), strict=True)], names


def parse_request(header: Any, binary: bytes = b"", *, max_rows: int) -> InferRequest:
    """An inference request from its JSON header and the binary data after it.

    Raises:
        ProtocolError: the request does not follow the protocol (shape, datatype, data), or
            declares more than ``max_rows`` rows (refused before any row is built).
    """
    if not isinstance(header, dict):
        raise ProtocolError("The request must be a JSON object.")
    request_id = header.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise ProtocolError("`id` must be a string.")
    parameters = _object(header.get("parameters"), "parameters")
    content_type = parameters.get("content_type")
    raw_inputs = header.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise ProtocolError("`inputs` must be a non-empty list.")
    if len(raw_inputs) > MAX_INPUTS:
        raise ProtocolError(f"At most {MAX_INPUTS} inputs.")
    view = memoryview(binary)
    offset = 0
    tensors = []
    for i, raw in enumerate(raw_inputs):
        tensor, offset = _input(raw, i, view, offset)
        if tensor.shape[0] > max_rows:
            raise ProtocolError(f"At most {max_rows} rows per request; got {tensor.shape[0]}.")
        tensors.append(tensor)
    if offset != len(binary):
        raise ProtocolError(f"{len(binary) - offset} bytes of binary data belong to no input.")
    rows, columns = _rows(tensors, as_columns=content_type == PANDAS_CONTENT_TYPE)
    return InferRequest(
        id=request_id,
        rows=rows,
        columns=columns,
        outputs=_outputs(header.get("outputs")),
        binary_output=_flag(parameters, "binary_data_output", "parameters"),
        explain=_flag(parameters, "explain", "parameters"),
    )
