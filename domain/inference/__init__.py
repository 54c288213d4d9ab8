"""Predictions: references, input validation, the model cache, micro-batching, runtimes."""

from domain.inference.batching import PredictionFailed, PredictionTimeout
from domain.inference.refs import ModelRef, parse_ref
from domain.inference.service import Inference, InferenceConfig, Prediction, Target

__all__ = [
    "Inference",
    "InferenceConfig",
    "ModelRef",
    "Prediction",
    "PredictionFailed",
    "PredictionTimeout",
    "Target",
    "parse_ref",
]
