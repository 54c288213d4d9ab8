"""Batch prediction jobs: the job row (the source of truth) and its committed output chunks."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model as Table


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


class Job(Table):
    """One batch of rows predicted by one pinned version, in chunks, by whichever worker holds
    the lease (``lease_token`` until ``lease_expires_at``)."""

    id = fields.UUIDField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name=False, on_delete=fields.CASCADE)
    key_id = fields.UUIDField(null=True)  # the API key that submitted it, whose budget it spends
    model = fields.ForeignKeyField("models.Model", related_name=False, on_delete=fields.CASCADE)
    version = fields.ForeignKeyField(
        "models.ModelVersion", related_name=False, on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.QUEUED)
    format = fields.CharEnumField(JobFormat, max_length=8)
    filename = fields.CharField(max_length=255, null=True)
    input_key = fields.CharField(max_length=128)
    input_bytes = fields.BigIntField()
    input_sha256 = fields.CharField(max_length=64)
    chunk_rows = fields.IntField()
    max_failed_rows = fields.IntField(null=True)
    columns = fields.JSONField(null=True)  # the input's columns, in the file's order
    classes = fields.JSONField(null=True)  # the model's class labels, for probability columns
    chunks_done = fields.IntField(default=0)
    rows_done = fields.IntField(default=0)
    rows_failed = fields.IntField(default=0)
    bytes_done = fields.BigIntField(default=0)  # input read up to the last committed chunk
    lines_done = fields.IntField(default=0)  # physical lines read up to it
    row_errors = fields.JSONField(default=list)  # [{line, message, code}], capped
    error = fields.TextField(null=True)  # why a failed job failed
    attempts = fields.IntField(default=0)
    lease_token = fields.UUIDField(null=True)
    lease_expires_at = fields.DatetimeField(null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "jobs"
        indexes = (("user_id", "created_at"), ("status", "lease_expires_at"))


class JobChunk(Table):
    """One committed chunk's output (JSON Lines in the artifact store); one row per index, so
    a retried chunk is never counted or written twice."""

    id = fields.UUIDField(primary_key=True)
    job = fields.ForeignKeyField("models.Job", related_name="chunks", on_delete=fields.CASCADE)
    index = fields.IntField()
    output_key = fields.CharField(max_length=128)
    rows = fields.IntField()

    class Meta:
        table = "job_chunks"
        unique_together = (("job", "index"),)
