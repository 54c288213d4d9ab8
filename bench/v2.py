"""Open Inference Protocol (KServe v2) bodies: the same for MLServer and ModelServe's v2 route.

One 2-D ``FP64`` tensor ``input-0`` of ``[rows, 20]``, and only the ``predict`` output asked for
(as JSON): in JSON (flat row-major data), or with Triton's binary tensor extension (the JSON
header, then the little-endian float64 bytes; ``Inference-Header-Content-Length`` gives the
header's length, the same for every body of one shape).
"""

from __future__ import annotations

import json

import numpy as np

INPUT = "input-0"
OUTPUT = "predict"
HEADER_LENGTH = "inference-header-content-length"


def json_body(rows: list[list[float]]) -> str:
    matrix = np.asarray(rows, dtype=np.float64)
    return json.dumps(
        {
            "inputs": [
                {
                    "name": INPUT,
                    "shape": list(matrix.shape),
                    "datatype": "FP64",
                    "data": np.asarray(rows).ravel().tolist(),
                }
            ],
            "outputs": [{"name": OUTPUT}],
        },
        separators=(",", ":"),
    )


def binary_body(rows: list[list[float]]) -> tuple[bytes, int]:
    """The body and its JSON header's length."""
    data = np.asarray(rows, dtype="<f8").tobytes()
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": INPUT,
                    "shape": [len(rows), len(rows[0])],
                    "datatype": "FP64",
                    "parameters": {"binary_data_size": len(data)},
                }
            ],
            "outputs": [{"name": OUTPUT, "parameters": {"binary_data": False}}],
        },
        separators=(",", ":"),
    ).encode()
    return header + data, len(header)


def binary_bodies(batches: list[list[list[float]]]) -> tuple[list[bytes], dict[str, str]]:
    """Binary bodies of same-shaped batches, and the headers every one of them takes."""
    encoded = [binary_body(b) for b in batches]
    lengths = {n for _, n in encoded}
    if len(lengths) != 1:
        raise ValueError("binary bodies of one load must share their header's length")
    headers = {"content-type": "application/octet-stream", HEADER_LENGTH: str(lengths.pop())}
    return [body for body, _ in encoded], headers


def read_answer(body: dict) -> tuple[list, str | None]:
    """The labels of an infer answer (no ``runtime``: the protocol has none)."""
    output = next(o for o in body["outputs"] if o["name"] == OUTPUT)
    return list(np.asarray(output["data"], dtype=object).ravel()), None
