"""A/B: a 1000-row prediction log record encoded twice (check, then the field) or once.

taskset -c 0 .venv/bin/python -m bench.ab.log
"""

from __future__ import annotations

import asyncio
import time
import uuid

import numpy as np
import orjson
from tortoise import Tortoise

from domain.predictions.log import PredictionRecord
from storage import tables


def _one(rows: list, outputs: list, *, once: bool) -> float:
    record = PredictionRecord(
        model_id=uuid.uuid4(),
        version_id=None,
        caller_id=None,
        request_id="r",
        status="ok",
        error_code=None,
        n_rows=len(rows),
        latency_ms=1.0,
        inputs=rows,
        inputs_hash=None,
        outputs=outputs,
    )
    fields = tables.PredictionLog._meta.fields_map
    started = time.perf_counter()
    encoded = (orjson.dumps(record.inputs), orjson.dumps(record.outputs))  # record()'s check
    record.encoded = encoded if once else None
    row = record.to_row()
    fields["inputs"].to_db_value(row.inputs, row)
    fields["outputs"].to_db_value(row.outputs, row)
    return time.perf_counter() - started


async def main() -> None:
    await Tortoise.init(db_url="sqlite://:memory:", modules={"models": ["storage.tables"]})
    rows = np.random.default_rng(0).normal(size=(1000, 20)).round(6).tolist()
    outputs = [1] * 1000
    try:
        for round_ in range(4):
            for label, once in (("encode twice", False), ("encode once", True)):
                times = sorted(_one(rows, outputs, once=once) for _ in range(200))
                print(f"round {round_} {label:13s} median {times[100] * 1e3:.3f} ms a record")
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
