"""Drift detection: a version's reference profile, drift reports, and the scheduled check."""

from domain.drift.service import (
    Drift,
    DriftLimits,
    DriftReport,
    NotEnoughData,
    ReferenceRejected,
    columns_of,
)
from domain.drift.stats import BinCount, CategoryCount, FeatureDrift, Thresholds

__all__ = [
    "BinCount",
    "CategoryCount",
    "Drift",
    "DriftLimits",
    "DriftReport",
    "FeatureDrift",
    "NotEnoughData",
    "ReferenceRejected",
    "Thresholds",
    "columns_of",
]
