"""A/B: single-row submits of the compiled reference forest, thread hop against inline.

    taskset -c 0 .venv/bin/python -m bench.ab.inline

"thread" sets the inline ceiling to 0, so every batch goes to the predict thread.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx

from bench import reference
from domain.inference import batching
from domain.inference.batching import BatchOutput, MicroBatcher


def _session() -> tuple[ort.InferenceSession, np.ndarray]:
    model, X = reference.build()
    onx = to_onnx(model, X[:1].astype(np.float32), options={id(model): {"zipmap": False}})
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    providers = ["CPUExecutionProvider"]
    return ort.InferenceSession(onx.SerializeToString(), options, providers=providers), X


async def c1(batcher: MicroBatcher, rows: list[np.ndarray], n: int = 3000) -> dict[str, float]:
    latencies = []
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        started = time.perf_counter()
        await batcher.submit(rows[i % len(rows)])
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    return {
        "wall_us": (time.perf_counter() - wall) / n * 1e6,
        "cpu_us": (time.process_time() - cpu) / n * 1e6,
        "p50_us": latencies[n // 2] * 1e6,
        "p99_us": latencies[int(n * 0.99)] * 1e6,
    }


async def main() -> None:
    session, X = _session()
    name = session.get_inputs()[0].name

    def run(rows: np.ndarray) -> BatchOutput:
        labels, proba = session.run(None, {name: rows.astype(np.float32)})
        return BatchOutput(labels, proba)

    pool = ThreadPoolExecutor(1)
    rows = [X[i : i + 1] for i in range(256)]
    for round_ in range(4):
        for label, ceiling in (("thread", 0.0), ("inline", 0.0002)):
            batching.INLINE_MAX_S = ceiling
            batcher = MicroBatcher(
                run=run, executor=lambda: pool, max_rows=64, max_wait_ms=2, timeout_s=5
            )
            got = await c1(batcher, rows)
            figures = "  ".join(f"{k} {v:7.1f}" for k, v in got.items())
            print(f"round {round_} {label:6s} {figures}  inline {batcher.inline_batches}")


if __name__ == "__main__":
    asyncio.run(main())
