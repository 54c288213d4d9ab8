"""How the REST faces answer each kind of failure: the protocol's status, never a stack trace."""

from __future__ import annotations

import asyncio
import gzip
import logging
import zlib

from prometheus_client import REGISTRY
from tortoise.exceptions import DBConnectionError

from domain.errors import Forbidden, NotFound, RateLimited, Unauthenticated, Unavailable
from domain.inference import PredictionFailed, PredictionTimeout
from domain.protocols.open_inference import ProtocolError
from graph import inference_v2, mlflow
from graph.rest import Failure, Unsupported, compress, failure
from tests.graph.test_inference_v2 import iris  # noqa: F401  (fixture)
from tests.graph.test_security import other_app


def test_domain_errors_get_the_protocols_statuses():
    cases = {
        ProtocolError("`inputs` must be a non-empty list."): 400,
        Unauthenticated(): 401,
        Forbidden("This needs an API key with the predict scope."): 403,
        NotFound("Model"): 404,
        RateLimited(7, limit=2, remaining=0, limited_by="model_per_minute"): 429,
        Unavailable("The database"): 503,
        PredictionTimeout(10): 503,
        PredictionFailed("ValueError"): 400,
        Unsupported("Content-Encoding 'br' is not accepted; use gzip."): 415,
    }
    assert {type(e).__name__: failure(e, "r1").status for e in cases} == {
        type(e).__name__: status for e, status in cases.items()
    }
    limited = failure(RateLimited(7, limit=2, remaining=0, limited_by="model_per_minute"), "r1")
    assert limited.headers == {
        "Retry-After": "7",
        "RateLimit-Limit": "2",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "7",
    }
    assert failure(Unauthenticated(), "r1").headers == {"WWW-Authenticate": "Bearer"}


def test_a_database_outage_is_503_and_a_bug_is_masked(caplog):
    # A database that cannot be reached is the client's to retry
    outage = failure(DBConnectionError("connection refused"), "r1")
    assert (outage.status, outage.headers) == (503, {"Retry-After": "5"})

    # And a bug answers the request id only, with the stack in the log
    with caplog.at_level(logging.ERROR, logger="modelserve.rest"):
        bug = failure(KeyError("secret_column"), "r2")
    assert bug == Failure(500, "Unexpected error (request r2).", "INTERNAL")
    (logged,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged.exc_info is not None and "secret_column" not in bug.message

    # Each protocol shapes the body its clients read
    v2 = inference_v2.refuse(failure(NotFound("Model"), "r3"))
    assert (v2.status_code, v2.body) == (404, b'{"error":"Model not found."}')
    ml = mlflow.refuse(failure(NotFound("Model"), "r3"))
    assert ml.body == b'{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Model not found."}'


def test_answers_are_compressed_only_as_asked():
    body = b'{"outputs": []}' * 10
    packed, headers = compress(body, "deflate, gzip")  # gzip, when both will do
    assert headers == {"Content-Encoding": "gzip"} and gzip.decompress(packed) == body
    packed, headers = compress(body, "deflate")
    assert headers == {"Content-Encoding": "deflate"} and zlib.decompress(packed) == body
    assert compress(body, "gzip;q=0, identity") == (body, {})
    assert compress(body, None) == (body, {})


async def test_a_body_that_never_finishes_is_answered_408_in_each_protocols_shape(
    settings,
    iris,  # noqa: F811
):
    # Given a server whose clients have half a second to send their bodies
    same_store = {"artifact_store_url": settings.artifact_store_url}
    async with other_app(settings, body_read_timeout_s=0.5, **same_store) as (_, http):
        headers = {"Authorization": f"Bearer {iris['token']}", "Content-Type": "application/json"}

        async def stalled():
            yield b"{"
            await asyncio.Event().wait()  # the rest never comes

        # When a body starts and stops, on each POST route
        v2 = await http.post("/v2/models/ada/iris/infer", content=stalled(), headers=headers)
        ml = await http.post("/models/ada/iris/invocations", content=stalled(), headers=headers)
        gql = await http.post("/graphql", content=stalled(), headers=headers)

        # Then each is a 408 that closes the connection, in the shape its clients read
        message = "The request body did not arrive within 0.5 s."
        assert (v2.status_code, v2.json()) == (408, {"error": message})
        assert (ml.status_code, ml.json()) == (
            408,
            {"error_code": "DEADLINE_EXCEEDED", "message": message},
        )
        assert gql.status_code == 408
        assert gql.json()["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
        assert all(r.headers["connection"] == "close" for r in (v2, ml, gql))

        # And a body that does arrive is served as before
        whole = await http.post(
            "/v2/models/ada/iris/infer",
            json={"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [1] * 4}]},
            headers=headers,
        )
        assert whole.status_code == 200, whole.text


async def test_rest_requests_are_counted_by_route_and_status(client, iris):  # noqa: F811
    def count(route: str, status: int) -> float:
        sample = REGISTRY.get_sample_value(
            "modelserve_rest_requests_total", {"route": route, "status": str(status)}
        )
        return sample or 0.0

    cases = [("v2.infer", 200), ("v2.infer", 401), ("v2.model_metadata", 200)]
    cases += [("mlflow.invocations", 415), ("v2.live", 200)]
    before = {case: count(*case) for case in cases}
    headers = {"Authorization": f"Bearer {iris['token']}"}
    body = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [1] * 4}]}
    assert (await client.post("/v2/models/ada/iris/infer", json=body, headers=headers)).is_success
    assert (await client.post("/v2/models/ada/iris/infer", json=body)).status_code == 401
    assert (await client.get("/v2/models/ada/iris", headers=headers)).is_success
    plain = await client.post(
        "/models/ada/iris/invocations",
        content=b"1",
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert plain.status_code == 415
    assert (await client.get("/v2/health/live")).is_success

    assert {case: count(*case) - before[case] for case in cases} == dict.fromkeys(cases, 1.0)
    # And the time taken is observed beside the count
    assert REGISTRY.get_sample_value(
        "modelserve_rest_request_duration_seconds_count", {"route": "v2.live", "status": "200"}
    )
    scraped = (await client.get("/metrics")).text
    assert 'modelserve_rest_requests_total{route="v2.infer",status="200"}' in scraped
