"""Two real server processes sharing a private Redis hold one rate limit; with Redis killed, each
holds the limit in its own memory (never unlimited) and says so in /readyz and /metrics."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from tests.test_faults import _create_model, _sign_up, _upload, private_redis, serving
from tests.test_shutdown import _drop_database, _post, _prepare_database

pytestmark = [pytest.mark.fault, pytest.mark.timeout(120)]

PREDICT = 'query { predict(model: "ada/iris", rows: [[0.1, 0.2, 0.3, 0.4]]) { runtime } }'
LIMIT = 10


async def _predictions(http: httpx.AsyncClient, headers: dict[str, str], n: int) -> list[int]:
    responses = await asyncio.gather(*(_post(http, PREDICT, headers=headers) for _ in range(n)))
    return [response.status_code for response in responses]


def _metric(text: str, name: str) -> float:
    found = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not exported"
    return float(found.group(1))


async def test_two_servers_share_one_limit_then_fall_back_to_their_own_when_redis_dies(tmp_path):
    env, database = await _prepare_database(tmp_path)
    log = tmp_path / "server.log"
    try:
        with private_redis(tmp_path) as (redis, port):
            env |= {
                "MODELSERVE_REDIS_URL": f"redis://127.0.0.1:{port}/0",
                "MODELSERVE_PREDICTION_UNITS_PER_MINUTE": str(LIMIT),
                "MODELSERVE_REDIS_RETRY_S": "60",
                # 25 requests at once on a busy machine: a reply late past the production
                # deadline would open the circuit, and this test is about sharing, not deadlines.
                "MODELSERVE_REDIS_DEADLINE_S": "5",
            }
            async with serving(env, log) as (_a, first), serving(env, log) as (_b, second):
                headers = await _sign_up(first)
                model_id = await _create_model(first, headers)
                uploaded = (await _upload(first, headers, model_id)).json()
                assert uploaded["data"]["uploadModelVersion"]["__typename"] == (
                    "UploadModelVersionSuccess"
                ), uploaded

                # 50 predictions at once, half to each server: one limit of 10 in all.
                at_first, at_second = await asyncio.gather(
                    _predictions(first, headers, 25), _predictions(second, headers, 25)
                )
                statuses = at_first + at_second
                assert (statuses.count(200), statuses.count(429)) == (LIMIT, 50 - LIMIT)
                assert (await first.get("/readyz")).json()["rate_limiter"] == {
                    "status": "ok",
                    "backend": "redis",
                    "fallbacks": 0,
                }

                redis.kill()
                redis.wait()
                # Each server now counts in its own memory: limited, not unlimited.
                statuses = await _predictions(first, headers, LIMIT + 5)
                assert (statuses.count(200), statuses.count(429)) == (LIMIT, 5)

                ready = await first.get("/readyz")
                assert ready.status_code == 200
                body = ready.json()
                assert body["status"] == "degraded"
                assert body["rate_limiter"]["status"] == "degraded"
                assert body["rate_limiter"]["fallbacks"] >= LIMIT + 5
                metrics = (await first.get("/metrics")).text
                assert _metric(metrics, "modelserve_rate_limiter_degraded") == 1
                assert _metric(metrics, "modelserve_rate_limiter_fallbacks_total") >= LIMIT + 5
    finally:
        if database:
            await _drop_database(database)
