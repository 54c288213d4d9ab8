"""(b) The server a user would write by hand: Starlette, JSON in and out, ``predict`` inline.

Served by uvicorn, one process: ``BENCH_MODEL_PATH=model.skops uvicorn bench.baseline:app``.
The model is loaded once, at import, from the same skops bytes the service receives.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.reference import load_skops

MODEL = load_skops(Path(os.environ["BENCH_MODEL_PATH"]).read_bytes())


async def predict(request: Request) -> JSONResponse:
    payload = await request.json()
    rows = np.asarray(payload["rows"], dtype=np.float64)
    return JSONResponse({"predictions": MODEL.predict(rows).tolist()})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/predict", predict, methods=["POST"]), Route("/healthz", healthz)])
