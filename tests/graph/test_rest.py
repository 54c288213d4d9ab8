"""How the REST faces answer each kind of failure: the protocol's status, never a stack trace."""

from __future__ import annotations

import gzip
import logging
import zlib

from tortoise.exceptions import DBConnectionError

from domain.errors import Forbidden, NotFound, RateLimited, Unauthenticated, Unavailable
from domain.inference import PredictionFailed, PredictionTimeout
from domain.protocols.open_inference import ProtocolError
from graph import inference_v2, mlflow
from graph.rest import Failure, Unsupported, compress, failure


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
