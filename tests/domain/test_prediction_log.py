"""The prediction log writer: batches, database outages, a full buffer, shutdown, retention."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from domain.predictions.log import PredictionLogWriter, PredictionRecord, purge_older_than
from storage import tables


async def a_model() -> tuple[tables.Model, tables.ModelVersion]:
    user = await tables.User.create(
        email=f"{uuid.uuid4().hex}@example.com", username=uuid.uuid4().hex[:12], password_hash="x"
    )
    model = await tables.Model.create(owner=user, name="m")
    version = await tables.ModelVersion.create(
        model=model,
        number=1,
        status="ready",
        artifact_key="k",
        sha256="0" * 64,
        size=1,
        source_format="skops",
        serving_key="k",
        serving_format="skops",
        serving_size=1,
        framework="sklearn",
        estimator_class="LogisticRegression",
    )
    return model, version


def record(model: tables.Model, version: tables.ModelVersion, **overrides) -> PredictionRecord:
    values = dict(
        model_id=model.id,
        version_id=version.id,
        caller_id=None,
        request_id="r",
        status="ok",
        error_code=None,
        n_rows=1,
        latency_ms=1.0,
        inputs=[[1.0]],
        inputs_hash=None,
        outputs=[0],
    )
    values.update(overrides)
    return PredictionRecord(**values)


async def test_records_are_written_in_batches(app):
    model, version = await a_model()
    writer = PredictionLogWriter(max_queue=100, batch_size=10, flush_interval_s=0.05)
    writer.start()
    for _ in range(25):
        assert writer.record(record(model, version))
    await writer.drain()
    await writer.close()
    assert await tables.PredictionLog.filter(model_id=model.id).count() == 25
    assert writer.stats.batches == 3
    assert writer.stats.dropped == 0


async def test_a_database_outage_keeps_records_and_a_full_buffer_counts_drops(app, monkeypatch):
    model, version = await a_model()
    writer = PredictionLogWriter(max_queue=5, batch_size=5, flush_interval_s=0.01, retry_s=0.05)
    real_bulk_create = tables.PredictionLog.bulk_create
    down = True

    async def flaky_bulk_create(rows, *args, **kwargs):
        if down:
            raise ConnectionError("database is down")
        return await real_bulk_create(rows, *args, **kwargs)

    async def flaky_save(self, *args, **kwargs):
        raise ConnectionError("database is down")

    monkeypatch.setattr(tables.PredictionLog, "bulk_create", flaky_bulk_create)
    monkeypatch.setattr(tables.PredictionLog, "save", flaky_save)
    writer.start()
    accepted = [writer.record(record(model, version, request_id=str(i))) for i in range(5)]
    await asyncio.sleep(0.1)  # the writer holds them, retrying
    accepted += [writer.record(record(model, version, request_id=str(i))) for i in range(5, 20)]
    assert writer.healthy is False
    assert writer.stats.failures >= 1
    kept = sum(accepted)
    assert writer.stats.dropped == 20 - kept
    assert kept >= 5  # the first five wait in the batch, more in the queue

    down = False
    monkeypatch.undo()
    await writer.drain()
    await writer.close()
    assert await tables.PredictionLog.filter(model_id=model.id).count() == kept
    assert writer.healthy is True


async def test_a_record_the_database_refuses_is_dropped_alone(app):
    model, version = await a_model()
    writer = PredictionLogWriter(max_queue=10, batch_size=10, flush_interval_s=0.05)
    writer.start()
    writer.record(record(model, version, request_id="good"))
    writer.record(record(model, version, request_id="orphan", model_id=uuid.uuid4()))
    await writer.drain()
    await writer.close()
    rows = await tables.PredictionLog.filter(model_id=model.id).values_list("request_id", flat=True)
    assert rows == ["good"]
    assert writer.stats.dropped == 1


async def test_close_flushes_what_is_queued(app):
    model, version = await a_model()
    writer = PredictionLogWriter(max_queue=1000, batch_size=50, flush_interval_s=5)
    writer.start()
    for _ in range(120):
        writer.record(record(model, version))
    await writer.close()
    assert await tables.PredictionLog.filter(model_id=model.id).count() == 120
    assert writer.record(record(model, version)) is False  # closed: counted, not kept


async def test_retention_deletes_old_rows_only(app):
    model, version = await a_model()
    old = datetime.now(UTC) - timedelta(days=40)
    await tables.PredictionLog.bulk_create(
        [
            record(model, version, created_at=old).to_row(),
            record(model, version).to_row(),
        ]
    )
    assert await purge_older_than(30) == 1
    assert await tables.PredictionLog.filter(model_id=model.id).count() == 1
