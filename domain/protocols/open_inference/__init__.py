"""The Open Inference Protocol (KServe v2) with Triton's binary tensor data extension.

A request's tensors become the rows a prediction takes, and a prediction becomes tensors:
plain Python and numpy, no HTTP (graph/inference_v2.py frames requests and answers).

Inputs are either one 2-D tensor ``[rows, features]`` (any name), or one tensor per column
(``[rows]`` or ``[rows, 1]``, named by the column), as MLServer's pandas codec sends a DataFrame;
request ``parameters.content_type = "pd"`` says so even for a single column. Tensor data is
flat or nested in row-major order, or binary (``parameters.binary_data_size`` bytes each, after
the JSON header, in input order): little-endian numbers, one byte per BOOL, and BYTES elements
each prefixed by its length as a 4-byte little-endian integer. Strings travel as BYTES.
"""

from domain.protocols.open_inference.answers import (
    infer_response,
    label_datatype,
    model_config,
    model_metadata,
)
from domain.protocols.open_inference.requests import (
    DATATYPES,
    InferRequest,
    ProtocolError,
    RequestedOutput,
    parse_request,
)

__all__ = [
    "DATATYPES",
    "InferRequest",
    "ProtocolError",
    "RequestedOutput",
    "infer_response",
    "label_datatype",
    "model_config",
    "model_metadata",
    "parse_request",
]
