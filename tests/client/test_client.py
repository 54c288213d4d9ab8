"""The blocking Client against a live server (run in a thread: the server shares this loop)."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from modelserve_client import AsyncClient, Client, Job, NotFound, RateLimited

from tests import factories


def publish_predict_and_run_a_job(url: str, ada: dict, rows_file) -> dict:
    with Client(url) as client:
        session = client.login(ada["email"], ada["password"])
        version = client.upload(
            factories.logistic_regression(), name="iris", input_example=[[1.0, 2.0, 3.0, 4.0]]
        )
        alias = client.promote("iris", version.number, "staging")
        predicted = client.predict("iris@staging", [1.0, 2.0, 3.0, 4.0])
        job = client.submit_job("iris@staging", rows_file)
        steps = list(job.progress())
        done = job.wait()
        results = job.download()
        missing_job = client.job("00000000-0000-0000-0000-000000000000")
        missing_model = client.model("none")
        with pytest.raises(NotFound):
            client.predict("ada/none", [[1.0]])
    return locals()


async def test_the_blocking_client_does_what_the_async_one_does(url, ada, tmp_path):
    # Given a file of rows
    rows = tmp_path / "rows.csv"
    rows.write_text("a,b,c,d\n" + "1,2,3,4\n" * 10)

    # When the blocking client publishes, promotes, predicts and runs a job
    seen = await asyncio.to_thread(publish_predict_and_run_a_job, url, ada, rows)

    # Then every answer is typed and as the server gave it
    assert seen["session"].username == "ada"
    assert (seen["version"].number, seen["alias"].name, seen["alias"].version_number) == (
        1,
        "staging",
        1,
    )
    assert len(seen["predicted"].rows) == 1 and seen["predicted"].version_number == 1
    assert isinstance(seen["job"], Job)
    assert seen["steps"][-1].ended and seen["steps"][-1].rows_done == 10
    assert (seen["done"].status, seen["done"].rows_done) == ("SUCCEEDED", 10)
    assert seen["missing_job"] is None and seen["missing_model"] is None
    assert seen["results"].decode().splitlines()[0].startswith("line,a,b,c,d,prediction")


SET_QUOTA = """
mutation($id: ID!) { setModelQuota(input: {modelId: $id, perMinute: 2}) { __typename } }"""


def spend(url: str, secret: str) -> RateLimited:
    with Client(url, api_key=secret) as client:
        for _ in itertools.count():
            try:
                client.predict("ada/iris", [[1.0, 2.0, 3.0, 4.0]])
            except RateLimited as limited:
                return limited
    raise AssertionError("unreachable")


async def test_rate_limited_carries_retry_after(url, ada, gql):
    # Given a model whose quota is two predictions a minute, and a key to call it with
    client = AsyncClient(url)
    await client.login(ada["email"], ada["password"])
    await client.upload(factories.logistic_regression(), name="iris")
    model = await client.model("iris")
    quota = await gql(SET_QUOTA, {"id": model.id}, token=ada["accessToken"])
    assert quota["data"]["setModelQuota"]["__typename"] == "SetModelQuotaSuccess"
    key = await client.create_key("spender", ["predict"])

    # When the key predicts past it
    limited = await asyncio.to_thread(spend, url, key.secret)

    # Then the refusal is typed, with the seconds to wait
    assert limited.code == "RATE_LIMITED" and limited.exit_code == 8
    assert limited.retry_after >= 1
    await client.aclose()
