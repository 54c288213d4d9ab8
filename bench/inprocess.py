"""(a) The model called in-process: a tight, time-bounded loop around ``predict``.

Run pinned to the server's core by ``bench.run``:
``python -m bench.inprocess MODEL.skops ROWS.json --warmup S --duration S`` prints one JSON object
with the scikit-learn figures and, when skl2onnx converts the model, the onnxruntime ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.reference import load_skops
from bench.stats import summarize


def _loop(
    fn: Callable[[np.ndarray], object], inputs: list[np.ndarray], warmup: float, duration: float
) -> dict:
    """Call ``fn`` on ``inputs`` in turn: ``warmup`` seconds discarded, then ``duration`` timed."""
    n = len(inputs)
    i = 0
    end = time.perf_counter() + warmup
    while time.perf_counter() < end:
        fn(inputs[i % n])
        i += 1
    samples: list[float] = []
    cpu0 = time.process_time()
    start = time.perf_counter()
    end = start + duration
    now = start
    while now < end:
        t0 = time.perf_counter()
        fn(inputs[i % n])
        now = time.perf_counter()
        samples.append(now - t0)
        i += 1
    elapsed = now - start
    cpu = time.process_time() - cpu0
    out = summarize(samples)
    # Below ~100 %: someone else had this core for part of the loop.
    out["cpu_share_pct"] = round(100.0 * cpu / elapsed, 1) if elapsed > 0 else None
    out["requests"] = len(samples)
    out["duration_s"] = elapsed
    out["rps"] = len(samples) / elapsed if elapsed > 0 else 0.0
    out["errors"] = 0
    return out


def _onnx_predict(model: object, example: np.ndarray) -> tuple[Callable | None, str | None]:
    try:
        import onnxruntime as ort
        from skl2onnx import to_onnx

        onx = to_onnx(
            model, example[:1].astype(np.float32), options={type(model): {"zipmap": False}}
        )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(
            onx.SerializeToString(), opts, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # the extra row is informative only
        return None, f"{type(exc).__name__}: {exc}"
    name = sess.get_inputs()[0].name

    def predict(rows: np.ndarray) -> object:
        return sess.run(None, {name: rows})[0]

    return predict, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.inprocess")
    parser.add_argument("model", type=Path)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)

    model = load_skops(args.model.read_bytes())
    data = json.loads(args.rows.read_text())
    singles = [np.asarray([r], dtype=np.float64) for r in data["single"]]
    batches = [np.asarray(b, dtype=np.float64) for b in data["batches"]]
    batch_rows = len(batches[0])

    result: dict = {"sklearn": {}, "onnx": None, "onnx_error": None}
    result["sklearn"]["c1"] = _loop(model.predict, singles, args.warmup, args.duration)
    batch = _loop(model.predict, batches, args.warmup, args.duration)
    batch["rows_per_s"] = batch["rps"] * batch_rows
    result["sklearn"]["batch"] = batch

    onnx, error = _onnx_predict(model, batches[0])
    if onnx is None:
        result["onnx_error"] = error
    else:
        singles32 = [s.astype(np.float32) for s in singles]
        batches32 = [b.astype(np.float32) for b in batches]
        agree = float(
            np.mean(
                np.asarray(onnx(batches32[0])).ravel()
                == np.asarray(model.predict(batches[0])).ravel()
            )
        )
        c1 = _loop(onnx, singles32, args.warmup, args.duration)
        batch = _loop(onnx, batches32, args.warmup, args.duration)
        batch["rows_per_s"] = batch["rps"] * batch_rows
        result["onnx"] = {"c1": c1, "batch": batch, "label_agreement": agree}
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
