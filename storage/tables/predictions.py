"""The prediction log: one row per predict call, success or failure."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import orjson
from tortoise import fields
from tortoise.models import Model as Table


class PredictionStatus(StrEnum):
    OK = "ok"
    ERROR = "error"


class EncodedJSON:
    """A value already encoded as JSON: written as is, never encoded (or checked) twice."""

    __slots__ = ("text",)

    def __init__(self, encoded: bytes) -> None:
        self.text = encoded.decode()


def _encode(value: Any) -> str:
    if isinstance(value, EncodedJSON):
        return value.text
    return orjson.dumps(value).decode()


class PredictionLog(Table):
    id = fields.UUIDField(primary_key=True)
    model = fields.ForeignKeyField(
        "models.Model", related_name="predictions", on_delete=fields.CASCADE
    )
    version = fields.ForeignKeyField(
        "models.ModelVersion", related_name="predictions", null=True, on_delete=fields.SET_NULL
    )
    caller = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL, db_index=True
    )
    request_id = fields.CharField(max_length=64)
    status = fields.CharEnumField(PredictionStatus, max_length=8)
    error_code = fields.CharField(max_length=32, null=True)
    n_rows = fields.IntField()
    latency_ms = fields.FloatField()
    # Per the model's log policy: the rows themselves, only their hash, or neither.
    # A 1000-row request's inputs are ~400 kB of JSON: the writer hands them over encoded
    # (``EncodedJSON``), as it already encoded them to check them when they were recorded.
    inputs = fields.JSONField(null=True, encoder=_encode)
    inputs_hash = fields.CharField(max_length=64, null=True)
    outputs = fields.JSONField(null=True, encoder=_encode)
    # A shadow version's copy of a call (it answered no one), and how many of its rows agreed
    # with the answer the caller got (null when either failed).
    shadow = fields.BooleanField(default=False)
    agreed_rows = fields.IntField(null=True)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "prediction_logs"
        indexes = (("model", "created_at"), ("version", "created_at"))
