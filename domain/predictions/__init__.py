"""The prediction log: records of every prediction, written off the request path."""

from domain.predictions.log import (
    PredictionLogWriter,
    PredictionRecord,
    predictions_channel,
    purge_older_than,
)

__all__ = ["PredictionLogWriter", "PredictionRecord", "predictions_channel", "purge_older_than"]
