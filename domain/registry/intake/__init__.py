"""Safe intake of uploaded model artifacts.

``inspect_artifact`` sniffs the format by content, checks the file statically in this process
(pickle opcode scan against a server-owned allow-list, skops ZIP limits, ONNX external data and
tensor sizes), then loads it once in a confined worker process that reports the model's signature
and, for pickle/joblib, writes the skops copy that is served instead. ``load_serving_model`` loads
that serving copy (skops or ONNX, never pickle) in the API process.
"""

from domain.registry.intake.models import REASONS, IntakeResult, Signature
from domain.registry.intake.pipeline import inspect_artifact
from domain.registry.intake.serving import OnnxModel, load_serving_model
from domain.registry.intake.sniff import sniff_format

__all__ = [
    "REASONS",
    "IntakeResult",
    "OnnxModel",
    "Signature",
    "inspect_artifact",
    "load_serving_model",
    "sniff_format",
]
