"""The floors: what the frameworks themselves cost, with no model, auth, limits or logging.

Two routes on one uvicorn process, run as ModelServe is (uvloop, httptools, no access log):

* ``/graphql``: a Strawberry schema with ModelServe's ``predict`` and ``predictBatch`` fields
  (same arguments, same selections, the parser and validation caches on), over Strawberry's
  own ASGI app;
* ``/json``: Starlette, the baseline's JSON body in and out.

Neither runs a model: each answer is looked up by the request's first row among answers the
reference model computed at start for the rows the benchmark sends (``BENCH_ROWS_PATH``), so
the harness checks them like any other server's. What a route reaches bounds what any server
built on that framework can reach on this core; ``bench/report.py`` sets the targets beside it.

``BENCH_MODEL_PATH=model.skops BENCH_ROWS_PATH=rows.json uvicorn bench.floor:app``
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NewType

import numpy as np
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

from bench.reference import label, load_skops


def _answers() -> dict[tuple[float, ...], tuple[Any, list[float]]]:
    model = load_skops(Path(os.environ["BENCH_MODEL_PATH"]).read_bytes())
    sent = json.loads(Path(os.environ["BENCH_ROWS_PATH"]).read_text())
    rows = np.asarray(
        [r for r in sent["single"]] + [r for batch in sent["batches"] for r in batch],
        dtype=np.float64,
    )
    values, probabilities = model.predict(rows).tolist(), model.predict_proba(rows).tolist()
    return {tuple(r): (v, p) for r, v, p in zip(rows.tolist(), values, probabilities, strict=True)}


ANSWERS = _answers()
CLASSES = [label(c) for c in sorted({v for v, _p in ANSWERS.values()})]

FeatureMatrix = strawberry.scalar(
    NewType("FeatureMatrix", object), serialize=lambda v: v, parse_value=lambda v: v
)


@strawberry.type
class ClassProbability:
    label: str
    probability: float


@strawberry.type
class Prediction:
    value: strawberry.scalars.JSON
    probabilities: list[ClassProbability]


@strawberry.type
class PredictResult:
    request_id: str
    latency_ms: float
    runtime: str
    predictions: list[Prediction]


@strawberry.type
class BatchResult:
    request_id: str
    latency_ms: float
    runtime: str
    predictions: list[strawberry.scalars.JSON]
    probabilities: list[list[float]]
    classes: list[str]


def _looked_up(rows: list[list[float]]) -> list[tuple[Any, list[float]]]:
    return [ANSWERS[tuple(float(x) for x in row)] for row in rows]


@strawberry.type
class Query:
    @strawberry.field
    def predict(self, model: str, rows: FeatureMatrix) -> PredictResult:
        answers = _looked_up(rows)
        return PredictResult(
            request_id="floor",
            latency_ms=0.0,
            runtime="none",
            predictions=[
                Prediction(
                    value=v,
                    probabilities=[
                        ClassProbability(label=c, probability=p)
                        for c, p in zip(CLASSES, ps, strict=True)
                    ],
                )
                for v, ps in answers
            ],
        )

    @strawberry.field
    def predict_batch(self, model: str, rows: FeatureMatrix) -> BatchResult:
        answers = _looked_up(rows)
        return BatchResult(
            request_id="floor",
            latency_ms=0.0,
            runtime="none",
            predictions=[v for v, _p in answers],
            probabilities=[p for _v, p in answers],
            classes=CLASSES,
        )


schema = strawberry.Schema(
    query=Query, extensions=[lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)]
)


async def predict_json(request: Request) -> JSONResponse:
    payload = await request.json()
    return JSONResponse({"predictions": [v for v, _p in _looked_up(payload["rows"])]})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/json", predict_json, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/graphql", GraphQL(schema, graphql_ide=None), methods=["POST"]),
    ]
)
