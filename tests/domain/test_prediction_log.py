"""The prediction log writer: batches, outages, poison, a full buffer, shutdown, retention."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import OperationalError

from domain.predictions.log import (
    DROP_REASONS,
    PredictionLogWriter,
    PredictionRecord,
    purge_older_than,
)
from storage import tables
from tests.conftest import BACKEND
from tests.graph.test_observability import scrape, value


async def a_model() -> tuple[tables.Model, tables.ModelVersion]:
    user = await tables.User.create(
        email=f"{uuid.uuid4().hex}@example.com", username=uuid.uuid4().hex[:12], password_hash="x"
    )
    model = await tables.Model.create(owner=user, namespace=user.username, name="m")
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
    real_insert = tables.PredictionLog.insert_values
    down = True

    async def flaky_insert(rows):
        if down:
            raise ConnectionError("database is down")
        return await real_insert(rows)

    async def flaky_save(self, *args, **kwargs):
        raise ConnectionError("database is down")

    monkeypatch.setattr(tables.PredictionLog, "insert_values", flaky_insert)
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
    await tables.PredictionLog.insert_values(
        [
            record(model, version, created_at=old).to_values(),
            record(model, version).to_values(),
        ]
    )
    assert await purge_older_than(30) == 1
    assert await tables.PredictionLog.filter(model_id=model.id).count() == 1


def poison(model: tables.Model, version: tables.ModelVersion) -> list[PredictionRecord]:
    """Records the database refuses whatever the others hold: an orphan, a too-large count."""
    orphans = [
        record(model, version, request_id=f"orphan-{i}", model_id=uuid.uuid4()) for i in range(3)
    ]
    return [*orphans, record(model, version, request_id="huge", n_rows=2**70)]


async def test_poison_at_the_head_of_the_queue_holds_up_no_one(app, client):
    model, version = await a_model()
    writer = PredictionLogWriter(max_queue=100, batch_size=20, flush_interval_s=0.05)
    bad = poison(model, version)
    good = [record(model, version, request_id=f"good-{i}") for i in range(30)]
    for entry in [*bad, *good]:
        assert writer.record(entry)
    writer.start()
    await writer.drain(timeout_s=20)
    assert writer.depth == 0
    rows = await tables.PredictionLog.filter(model_id=model.id).values_list("request_id", flat=True)
    assert sorted(rows) == sorted(r.request_id for r in good)
    assert writer.stats.dropped_by["rejected"] == writer.stats.dropped == len(bad)
    assert writer.stats.written == len(good)
    assert writer.healthy is True
    await writer.close()


async def test_the_app_exports_each_drop_by_reason(app, client):
    model, version = await a_model()
    writer = app.state.services.inference.log_writer
    metric = "modelserve_prediction_log_dropped_total"
    before = {r: value(await scrape(client), metric, reason=r) for r in DROP_REASONS}
    assert writer.record(record(model, version, request_id="orphan", model_id=uuid.uuid4()))
    assert writer.record(record(model, version, request_id="good"))
    assert not writer.record(record(model, version, request_id="bytes", outputs=[b"\x00"]))
    await writer.drain(timeout_s=20)
    text = await scrape(client)
    after = {r: value(text, metric, reason=r) for r in DROP_REASONS}
    assert {r: after[r] - before[r] for r in DROP_REASONS} == {
        "queue_full": 0,
        "unserialisable": 1,
        "rejected": 1,
        "shutdown": 0,
    }
    rows = await tables.PredictionLog.filter(model_id=model.id).values_list("request_id", flat=True)
    assert rows == ["good"]


async def test_unserialisable_records_never_reach_the_queue(app):
    model, version = await a_model()
    writer = PredictionLogWriter(max_queue=10, batch_size=10)
    for payload in ([b"raw"], [object()], [2**70], [{1: "not a string key"}]):
        assert writer.record(record(model, version, inputs=payload)) is False
        assert writer.record(record(model, version, outputs=payload)) is False
    assert writer.depth == 0
    assert writer.stats.dropped_by["unserialisable"] == writer.stats.dropped == 8
    assert writer.record(record(model, version, inputs=[[float("nan")]]))  # written as null


async def test_an_unserialisable_record_past_the_check_is_dropped_alone(app):
    """One built without ``record()``'s check (queued directly) still holds up no one."""
    model, version = await a_model()
    writer = PredictionLogWriter(max_queue=10, batch_size=10, flush_interval_s=0.05)
    writer._queue.put_nowait(record(model, version, request_id="bytes", inputs=[b"x"]))
    writer.record(record(model, version, request_id="good"))
    writer.start()
    await writer.drain(timeout_s=20)
    await writer.close()
    rows = await tables.PredictionLog.filter(model_id=model.id).values_list("request_id", flat=True)
    assert rows == ["good"]
    assert writer.stats.dropped_by["unserialisable"] == 1


async def test_shutdown_writes_the_good_records_behind_poison(app):
    model, version = await a_model()
    # close() comes before the writer took its first batch: all of it is pending.
    writer = PredictionLogWriter(max_queue=1000, batch_size=50, flush_interval_s=30)
    bad = poison(model, version)
    good = [record(model, version, request_id=f"good-{i}") for i in range(120)]
    for entry in [*bad, *good[:60], *bad, *good[60:]]:
        writer.record(entry)
    writer.start()
    await asyncio.wait_for(writer.close(), timeout=30)
    assert await tables.PredictionLog.filter(model_id=model.id).count() == len(good)
    assert writer.stats.dropped_by == {
        "queue_full": 0,
        "unserialisable": 0,
        "rejected": 2 * len(bad),
        "shutdown": 0,
    }


async def test_an_operational_error_is_retried_not_dropped(app, monkeypatch):
    """The database saying it cannot write now (locked, say) is an outage, not bad records."""
    model, version = await a_model()
    writer = PredictionLogWriter(max_queue=10, batch_size=10, flush_interval_s=0.01, retry_s=0.01)
    real_insert = tables.PredictionLog.insert_values
    refusals = 0

    async def locked_insert(rows):
        nonlocal refusals
        if refusals < 3:
            refusals += 1
            try:
                raise sqlite3.OperationalError("database is locked")
            except sqlite3.OperationalError as exc:
                raise OperationalError(exc) from exc
        return await real_insert(rows)

    monkeypatch.setattr(tables.PredictionLog, "insert_values", locked_insert)
    for i in range(5):
        writer.record(record(model, version, request_id=str(i)))
    writer.start()
    await writer.drain(timeout_s=20)
    await writer.close()
    assert refusals == 3
    assert writer.stats.failures == 3
    assert writer.stats.dropped == 0
    assert await tables.PredictionLog.filter(model_id=model.id).count() == 5


async def test_an_outage_while_isolating_keeps_the_rest_for_the_retry(app, monkeypatch):
    """Writes found good before the database went away are not repeated, nor the rest lost."""
    model, version = await a_model()
    writer = PredictionLogWriter(max_queue=20, batch_size=20, flush_interval_s=0.01, retry_s=0.01)
    real_insert = tables.PredictionLog.insert_values
    calls = 0

    async def failing_once_isolating(rows):
        nonlocal calls
        calls += 1
        if calls == 3:  # after the batch failed and its first half was written
            raise ConnectionError("database is down")
        return await real_insert(rows)

    monkeypatch.setattr(tables.PredictionLog, "insert_values", failing_once_isolating)
    good = [record(model, version, request_id=f"good-{i}") for i in range(10)]
    orphan = record(model, version, request_id="orphan", model_id=uuid.uuid4())
    for entry in [*good[:5], *good[5:8], orphan, *good[8:]]:
        writer.record(entry)
    writer.start()
    await writer.drain(timeout_s=20)
    await writer.close()
    rows = await tables.PredictionLog.filter(model_id=model.id).values_list("request_id", flat=True)
    assert sorted(rows) == sorted(r.request_id for r in good)
    assert writer.stats.dropped_by["rejected"] == writer.stats.dropped == 1
    assert writer.stats.failures == 1


async def test_a_value_only_the_database_refuses_is_dropped_alone(app):
    """PostgreSQL's jsonb has no NUL character (SQLite keeps it): its refusal costs one row."""
    model, version = await a_model()
    writer = PredictionLogWriter(max_queue=10, batch_size=10, flush_interval_s=0.05)
    writer.record(record(model, version, request_id="nul", inputs=[["a\x00b"]]))
    writer.record(record(model, version, request_id="good"))
    writer.start()
    await writer.drain(timeout_s=20)
    await writer.close()
    rows = await tables.PredictionLog.filter(model_id=model.id).values_list("request_id", flat=True)
    refused = BACKEND == "postgres"
    assert sorted(rows) == (["good"] if refused else ["good", "nul"])
    assert writer.stats.dropped_by["rejected"] == writer.stats.dropped == int(refused)


async def test_inputs_and_outputs_are_encoded_once_and_read_back_as_given(app, monkeypatch):
    # Given the JSON fields' encoder, counted
    import storage.tables.predictions as predictions_table

    encoded: list[object] = []
    real = predictions_table.orjson.dumps

    class CountingOrjson:
        @staticmethod
        def dumps(value, *args, **kwargs):
            encoded.append(value)
            return real(value, *args, **kwargs)

    monkeypatch.setattr(predictions_table, "orjson", CountingOrjson)
    model, version = await a_model()
    writer = PredictionLogWriter(max_queue=100, batch_size=10, flush_interval_s=0.05)
    writer.start()
    rows = [[1.5, -2.0, None], [0.25, 3.0, 4.0]]
    # When a record is written
    assert writer.record(record(model, version, inputs=rows, outputs=["a", 2], n_rows=2))
    await writer.drain()
    await writer.close()
    # Then the fields were handed the text record() encoded, not the values to encode again
    assert encoded == []
    (row,) = await tables.PredictionLog.filter(model_id=model.id)
    assert (row.inputs, row.outputs) == (rows, ["a", 2])
