"""Batch prediction jobs through the public API: multipart submission as Apollo-style clients
send it, the job row, per-row errors, cancellation, downloads (authenticated and signed)."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import gzip
import io
import json
import uuid
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from domain.jobs import runner
from graph.job_results import csv_cell
from storage import tables
from tests import factories
from tests.graph.conftest import post_multipart
from tests.graph.queries import CREATE_MODEL, SET_ALIAS, SHARE, UNSHARE
from tests.graph.test_accounts import codes
from tests.graph.test_api_keys import CREATE_KEY
from tests.graph.test_webhooks import Receiver, eventually, register, verify

CREATE_JOB = """
mutation Create($input: CreateBatchJobInput!) {
  createBatchJob(input: $input) {
    __typename
    ... on JobSuccess { deduplicated job { id status versionId rowsDone format } }
    ... on ValidationError { fields { path code message } }
    ... on PayloadTooLargeError { message limitBytes }
    ... on DecompressedTooLargeError { message limitBytes }
    ... on IdempotencyKeyReusedError { message }
    ... on NotFoundError { message }
    ... on ForbiddenError { message }
  }
}"""

JOB = """
query($id: ID!) { job(id: $id) {
  id status rowsDone rowsFailed attempts progress error columns maxFailedRows
  rowErrors { line message code } version { number } } }"""

JOBS = """
query($model: String, $first: Int, $after: String) {
  jobs(model: $model, first: $first, after: $after) {
    edges { node { id status } } pageInfo { hasNextPage endCursor } } }"""

CANCEL = """mutation($id: ID!) { cancelJob(id: $id) {
  __typename ... on JobSuccess { job { status } } ... on NotFoundError { message } } }"""

LINK = """query($id: ID!, $format: JobFileFormat!) { job(id: $id) {
  resultsLink(format: $format) { url expiresAt } } }"""

FEATURES = ["sepal", "petal", "stem", "leaf"]


@pytest.fixture
async def ada(signup) -> dict[str, Any]:
    return await signup("ada@example.com")


@pytest.fixture
async def iris(create_model, ada, upload) -> dict[str, Any]:
    """Ada's `ada/iris`: a logistic regression fit on a plain matrix of four features."""
    token = ada["accessToken"]
    model = await create_model(token)
    clf = factories.logistic_regression()
    body = await upload(token, model["id"], factories.skops_bytes(clf))
    version = body["data"]["uploadModelVersion"]["version"]
    return {"token": token, "model": model, "version": version, "clf": clf}


@pytest.fixture
async def named(gql, ada, upload) -> dict[str, Any]:
    """Ada's `ada/named`: fit on a DataFrame whose columns are FEATURES."""
    token = ada["accessToken"]
    created = await gql(CREATE_MODEL, {"name": "named"}, token=token)
    model = created["data"]["createModel"]["model"]
    X, y = factories.training_data()
    clf = LogisticRegression(max_iter=500).fit(pd.DataFrame(X, columns=FEATURES), y)
    body = await upload(token, model["id"], factories.skops_bytes(clf))
    assert body["data"]["uploadModelVersion"]["__typename"] == "UploadModelVersionSuccess", body
    return {"token": token, "model": model, "clf": clf}


@pytest.fixture
def submit(client: httpx.AsyncClient):
    """``createBatchJob`` as Apollo's upload link sends it: operations, map, then the file."""

    async def run(
        token: str | None,
        model: str,
        data: bytes,
        filename: str = "rows.csv",
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        sent = {"apollo-require-preflight": "true", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        variables = {"input": {"model": model, "file": None, **fields}}
        return await post_multipart(
            client, CREATE_JOB, variables, (filename, data, "text/csv"), sent
        )

    return run


@pytest.fixture
def wait_job(gql):
    """Poll ``job(id)`` until it ends; returns it."""

    async def run(token: str, job_id: str, polls: int = 600) -> dict[str, Any]:
        for _ in range(polls):
            job = (await gql(JOB, {"id": job_id}, token=token))["data"]["job"]
            if job["status"] in {"SUCCEEDED", "FAILED", "CANCELLED"}:
                return job
            await asyncio.sleep(0.1)
        raise AssertionError(f"job {job_id} did not end: {job}")

    return run


def matrix_csv(rows: np.ndarray, header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or ["a", "b", "c", "d"])
    writer.writerows(rows.tolist())
    return out.getvalue().encode()


def created(body: dict[str, Any]) -> dict[str, Any]:
    result = body["data"]["createBatchJob"]
    assert result["__typename"] == "JobSuccess", body
    return result["job"]


async def download(client: httpx.AsyncClient, job_id: str, token: str, fmt: str = "csv"):
    return await client.get(
        f"/jobs/{job_id}/results",
        params={"format": fmt},
        headers={"Authorization": f"Bearer {token}"},
    )


# -- the happy paths ------------------------------------------------------------------------


async def test_a_csv_job_predicts_every_row_and_keeps_the_columns(
    iris, submit, wait_job, client, gql
):
    X = np.random.default_rng(1).normal(size=(2500, 4)).round(6)
    body = await submit(iris["token"], "ada/iris", matrix_csv(X))
    job = created(body)
    assert job["status"] == "QUEUED"
    assert job["versionId"] == iris["version"]["id"]

    done = await wait_job(iris["token"], job["id"])

    assert done["status"] == "SUCCEEDED", done
    assert (done["rowsDone"], done["rowsFailed"], done["progress"]) == (2500, 0, 1.0)
    assert done["columns"] == ["a", "b", "c", "d"]
    response = await download(client, job["id"], iris["token"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == ["line", "a", "b", "c", "d", "prediction", "probability_0", "probability_1"]
    rows = table[1:]
    assert [int(r[0]) for r in rows] == list(range(2, 2502))
    np.testing.assert_array_equal(np.array([r[1:5] for r in rows], dtype=float), X)
    expected = iris["clf"].predict(X)
    assert [int(r[5]) for r in rows] == expected.tolist()
    np.testing.assert_allclose(
        np.array([r[6:8] for r in rows], dtype=float), iris["clf"].predict_proba(X), rtol=1e-4
    )
    as_jsonl = await download(client, job["id"], iris["token"], "jsonl")
    records = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert len(records) == 2500
    assert records[0]["input"] == dict(zip("abcd", (str(v) for v in X[0]), strict=True))
    assert set(records[0]["probabilities"]) == {"0", "1"}


async def test_the_version_is_pinned_at_submission(iris, submit, wait_job, gql, upload):
    token = iris["token"]
    first = iris["version"]
    second = (
        await upload(
            token, iris["model"]["id"], factories.skops_bytes(factories.logistic_regression(seed=3))
        )
    )["data"]["uploadModelVersion"]["version"]
    model_id = iris["model"]["id"]
    alias = {"model": model_id, "alias": "production"}
    moved = await gql(SET_ALIAS, {**alias, "version": first["id"]}, token=token)
    assert moved["data"]["setAlias"]["__typename"] == "SetAliasSuccess"
    job = created(await submit(token, "ada/iris", matrix_csv(np.ones((5, 4)))))
    await gql(SET_ALIAS, {**alias, "version": second["id"]}, token=token)

    done = await wait_job(token, job["id"])

    assert job["versionId"] == first["id"]
    assert done["version"] == {"number": first["number"]}
    by_number = created(await submit(token, "ada/iris:2", matrix_csv(np.ones((5, 4)))))
    assert by_number["versionId"] == second["id"]


async def test_json_lines_gzip_for_a_model_with_named_features(named, submit, wait_job, client):
    X = np.random.default_rng(2).normal(size=(300, 4))
    lines = [json.dumps(dict(zip(FEATURES[::-1], row[::-1].tolist(), strict=True))) for row in X]
    data = gzip.compress("\n".join(lines).encode())
    job = created(await submit(named["token"], "ada/named", data, filename="rows.jsonl.gz"))

    done = await wait_job(named["token"], job["id"])

    assert (done["status"], done["rowsDone"]) == ("SUCCEEDED", 300), done
    response = await download(client, job["id"], named["token"], "jsonl")
    records = [json.loads(line) for line in response.text.splitlines()]
    expected = named["clf"].predict(pd.DataFrame(X, columns=FEATURES))
    assert [r["prediction"] for r in records] == expected.tolist()
    assert records[0]["input"] == json.loads(lines[0])
    assert records[0]["line"] == 1


# -- malformed files (F11) ------------------------------------------------------------------

MALFORMED = [
    pytest.param(
        b"a,b,c,d\n1,2,3,4\n1,2,3\n5,6,7,8\n",
        ("SUCCEEDED", 2, 1, None),
        [{"line": 3, "code": "wrong_column_count", "message": "Expected 4 values, got 3."}],
        id="wrong-column-count",
    ),
    pytest.param(
        b"a,a,c,d\n1,2,3,4\n",
        ("FAILED", 0, 0, "The column 'a' appears twice in the header."),
        [],
        id="duplicate-header",
    ),
    pytest.param(
        b"a,b,c,d,e\n1,2,3,4,5\n",
        ("FAILED", 0, 0, "5 columns; the model takes 4."),
        [],
        id="extra-header",
    ),
    pytest.param(
        b"a,b,c,d\n1,2,3,4\n" + "caf\xe9,2,3,4\n".encode("latin-1") + b"5,6,7,8\n",
        ("SUCCEEDED", 2, 1, None),
        [{"line": 3, "code": "encoding", "message": "Not valid UTF-8; save the file as UTF-8."}],
        id="latin-1",
    ),
    pytest.param(
        "\ufeffa,b,c,d\n1,2,3,4\n".encode(),
        ("SUCCEEDED", 1, 0, None),
        [],
        id="byte-order-mark",
    ),
    pytest.param(
        b'a,b,c,d\n"1",2,3,4\n"x\ny",2,3,4\n5,6,7,8\n',
        ("SUCCEEDED", 2, 1, None),
        [{"line": 3, "code": "invalid", "message": "0: Expected a number, got str."}],
        id="quoted-newline",
    ),
    pytest.param(b"", ("FAILED", 0, 0, "The file is empty."), [], id="empty"),
    pytest.param(b"a,b,c,d\n", ("FAILED", 0, 0, "The file has no rows."), [], id="header-only"),
    pytest.param(
        b"a,b,c,d\n1,2,3,4\n" + b"7," * (5 << 19) + b"8\n5,6,7,8\n",
        ("SUCCEEDED", 2, 1, None),
        [{"line": 3, "code": "line_too_long", "message": f"Line longer than {1 << 20} bytes."}],
        id="a-5-MB-line",
    ),
    pytest.param(
        ",".join(f"c{i}" for i in range(100_000)).encode() + b"\n1\n",
        ("FAILED", 0, 0, "100000 columns; at most 10000 are accepted."),
        [],
        id="100k-columns",
    ),
    pytest.param(
        b"a,b,c,d\n=1+2,2,3,4\n+1,-2,3,4\n@3,1,1,1\n",
        ("SUCCEEDED", 1, 2, None),
        [
            {"line": 2, "code": "invalid", "message": "0: Expected a number, got str."},
            {"line": 4, "code": "invalid", "message": "0: Expected a number, got str."},
        ],
        id="formula-cells",
    ),
]


@pytest.mark.parametrize(("data", "outcome", "row_errors"), MALFORMED)
async def test_malformed_csv_is_reported_per_row_or_fails_the_job(
    iris, submit, wait_job, data, outcome, row_errors
):
    job = created(await submit(iris["token"], "ada/iris", data))

    done = await wait_job(iris["token"], job["id"])

    assert (done["status"], done["rowsDone"], done["rowsFailed"], done["error"]) == outcome
    assert done["rowErrors"] == row_errors
    # The worker carries on: the next job runs as usual.
    after = created(await submit(iris["token"], "ada/iris", b"a,b,c,d\n1,2,3,4\n"))
    assert (await wait_job(iris["token"], after["id"]))["status"] == "SUCCEEDED"


async def test_columns_are_matched_by_name_for_a_model_with_named_features(
    named, submit, wait_job, client
):
    token = named["token"]
    missing = created(await submit(token, "ada/named", b"sepal,petal,stem\n1,2,3\n"))
    unknown = created(
        await submit(token, "ada/named", b"sepal,petal,stem,leaf,colour\n1,2,3,4,5\n")
    )
    shuffled = created(await submit(token, "ada/named", b"leaf,stem,petal,sepal\n4,3,2,1\n"))

    assert (await wait_job(token, missing["id"]))["error"] == "Missing columns: 'leaf'."
    assert (await wait_job(token, unknown["id"]))["error"] == (
        "Columns the model does not know: 'colour'."
    )
    assert (await wait_job(token, shuffled["id"]))["status"] == "SUCCEEDED"
    response = await download(client, shuffled["id"], token)
    [header, row] = list(csv.reader(io.StringIO(response.text)))
    assert header[:5] == ["line", "leaf", "stem", "petal", "sepal"]
    expected = named["clf"].predict(pd.DataFrame([[1, 2, 3, 4]], columns=FEATURES))[0]
    assert row[:6] == ["2", "4", "3", "2", "1", str(expected)]


async def test_csv_exports_escape_formula_prefixes(iris, submit, wait_job, client):
    header = ['=HYPERLINK("http://x")', "+b", "@c", "-d"]
    job = created(await submit(iris["token"], "ada/iris", matrix_csv(np.ones((1, 4)), header)))
    await wait_job(iris["token"], job["id"])

    response = await download(client, job["id"], iris["token"])

    exported = next(csv.reader(io.StringIO(response.text)))
    assert exported[1:5] == ['\'=HYPERLINK("http://x")', "'+b", "'@c", "'-d"]
    assert [csv_cell(v) for v in ["-1.5", "+2", "=A1", "\tx", "safe"]] == [
        "-1.5",
        "+2",
        "'=A1",
        "'\tx",
        "safe",
    ]


async def test_a_failure_threshold_fails_the_job_and_row_errors_are_capped(
    app, iris, submit, wait_job
):
    rows = b"".join(b"x,2,3,4\n" if i % 2 else b"1,2,3,4\n" for i in range(40))
    data = b"a,b,c,d\n" + rows
    jobs = app.state.services.jobs
    original = jobs.config
    jobs.config = dataclasses.replace(original, max_row_errors=5)
    try:
        lenient = created(await submit(iris["token"], "ada/iris", data, maxFailedRows=20))
        strict = created(await submit(iris["token"], "ada/iris", data, maxFailedRows=3))
        lenient_done = await wait_job(iris["token"], lenient["id"])
        strict_done = await wait_job(iris["token"], strict["id"])
    finally:
        jobs.config = original

    assert (lenient_done["status"], lenient_done["rowsDone"], lenient_done["rowsFailed"]) == (
        "SUCCEEDED",
        20,
        20,
    )
    assert [e["line"] for e in lenient_done["rowErrors"]] == [3, 5, 7, 9, 11]
    assert (strict_done["status"], strict_done["error"]) == ("FAILED", "More than 3 rows failed.")
    assert strict_done["maxFailedRows"] == 3


# -- what is refused at submission ---------------------------------------------------------


async def test_a_gzip_bomb_and_an_oversized_file_are_refused_and_leave_nothing(
    app, iris, submit, settings
):
    jobs = app.state.services.jobs
    original = jobs.config
    jobs.config = dataclasses.replace(
        original, max_upload_bytes=50_000, max_decompressed_bytes=100_000
    )
    bomb = gzip.compress(b"a,b,c,d\n" + b"0,0,0,0\n" * 2_000_000)
    try:
        inflated = await submit(iris["token"], "ada/iris", bomb, filename="rows.csv.gz")
        too_big = await submit(iris["token"], "ada/iris", b"a,b,c,d\n" + b"1,2,3,4\n" * 10_000)
        not_gzip = await submit(iris["token"], "ada/iris", b"\x1f\x8bnot gzip", filename="x.csv")
    finally:
        jobs.config = original

    assert len(bomb) < 50_000
    assert inflated["data"]["createBatchJob"] == {
        "__typename": "DecompressedTooLargeError",
        "message": "Decompressed, the file exceeds the limit of 100000 bytes.",
        "limitBytes": 100_000,
    }
    assert too_big["data"]["createBatchJob"]["__typename"] == "PayloadTooLargeError"
    assert not_gzip["data"]["createBatchJob"]["fields"] == [
        {"path": ["input", "file"], "code": "bad_gzip", "message": "Not a valid gzip file."}
    ]
    assert await tables.Job.all().count() == 0
    spool = settings.data_dir / "spool"
    assert not spool.exists() or list(spool.iterdir()) == []


async def test_bad_references_formats_and_thresholds_are_validation_errors(iris, submit):
    token = iris["token"]
    no_format = await submit(token, "ada/iris", b"a,b,c,d\n1,2,3,4\n", filename="rows.txt")
    bad_ref = await submit(token, "not a ref", b"a,b,c,d\n1,2,3,4\n")
    negative = await submit(token, "ada/iris", b"a,b,c,d\n1,2,3,4\n", maxFailedRows=-1)

    assert [f["code"] for f in no_format["data"]["createBatchJob"]["fields"]] == ["required"]
    assert [f["code"] for f in bad_ref["data"]["createBatchJob"]["fields"]] == ["invalid_reference"]
    assert [f["path"] for f in negative["data"]["createBatchJob"]["fields"]] == [
        ["input", "maxFailedRows"]
    ]
    as_text = await submit(token, "ada/iris", b"a,b,c,d\n1,2,3,4\n", filename="x.txt", format="CSV")
    assert created(as_text)["format"] == "CSV"


async def test_submission_without_the_csrf_header_is_refused(client, iris):
    response = await client.post(
        "/graphql",
        data={
            "operations": json.dumps(
                {"query": CREATE_JOB, "variables": {"input": {"model": "ada/iris", "file": None}}}
            ),
            "map": json.dumps({"1": ["variables.input.file"]}),
        },
        files={"1": ("rows.csv", b"a,b,c,d\n1,2,3,4\n", "text/csv")},
        headers={"Authorization": f"Bearer {iris['token']}"},
    )
    assert response.status_code == 400
    assert await tables.Job.all().count() == 0


async def test_a_spent_prediction_budget_refuses_the_submission(app, iris, submit):
    caller = await app.state.services.accounts.authenticate(iris["token"])
    await app.state.services.quotas.charge_caller(caller=caller, rows=10_000_000)

    body = await submit(iris["token"], "ada/iris", b"a,b,c,d\n1,2,3,4\n")

    assert codes(body) == ["RATE_LIMITED"]
    assert await tables.Job.all().count() == 0


async def test_a_job_spends_the_callers_prediction_units_by_rows(app, gql, iris, submit, wait_job):
    X = np.zeros((2500, 4))
    job = created(await submit(iris["token"], "ada/iris", matrix_csv(X)))
    await wait_job(iris["token"], job["id"])

    usage = await gql("{ usage { predictions { used } } }", token=iris["token"])

    # Chunks of 1,000, 1,000 and 500 rows: (1 + 10) + (1 + 10) + (1 + 5) units.
    assert usage["data"]["usage"]["predictions"]["used"] == 28


# -- idempotency (I1, I2, I4) -----------------------------------------------------------------


async def test_a_replayed_submission_returns_the_same_job(iris, submit, gql, signup):
    token = iris["token"]
    data = b"a,b,c,d\n1,2,3,4\n"
    first = await submit(token, "ada/iris", data, idempotencyKey="batch-1")
    again = await submit(token, "ada/iris", data, headers={"Idempotency-Key": "batch-1"})
    other = await submit(token, "ada/iris", b"a,b,c,d\n5,6,7,8\n", idempotencyKey="batch-1")
    conflict = await submit(
        token, "ada/iris", data, idempotencyKey="batch-1", headers={"Idempotency-Key": "b-2"}
    )

    assert created(first)["id"] == created(again)["id"]
    assert again["data"]["createBatchJob"]["deduplicated"] is True
    assert await tables.Job.all().count() == 1
    assert other["data"]["createBatchJob"]["__typename"] == "IdempotencyKeyReusedError"
    assert conflict["data"]["createBatchJob"]["__typename"] == "ValidationError"
    record = await tables.IdempotencyKey.get(scope="job", key="batch-1")
    assert str(record.result_id) == created(first)["id"]

    bob = await signup("bob@example.com")
    await gql(
        SHARE,
        {"model": iris["model"]["id"], "user": "bob", "level": "PREDICTOR"},
        token=token,
    )
    bobs = await submit(bob["accessToken"], "ada/iris", data, idempotencyKey="batch-1")
    assert bobs["data"]["createBatchJob"]["deduplicated"] is False
    assert created(bobs)["id"] != created(first)["id"]
    assert await tables.Job.filter(user_id=bob["user"]["id"]).count() == 1


# -- who sees what (IDOR) -----------------------------------------------------------------------


async def test_another_users_job_is_not_found_everywhere(
    iris, submit, wait_job, gql, client, signup
):
    job = created(await submit(iris["token"], "ada/iris", b"a,b,c,d\n1,2,3,4\n"))
    await wait_job(iris["token"], job["id"])
    bob = await signup("bob@example.com")
    await gql(
        SHARE,
        {"model": iris["model"]["id"], "user": "bob", "level": "PREDICTOR"},
        token=iris["token"],
    )
    token = bob["accessToken"]

    for job_id in (job["id"], str(uuid.uuid4())):
        assert (await gql(JOB, {"id": job_id}, token=token))["data"]["job"] is None
        cancelled = await gql(CANCEL, {"id": job_id}, token=token)
        assert cancelled["data"]["cancelJob"] == {
            "__typename": "NotFoundError",
            "message": "Job not found.",
        }
        response = await download(client, job_id, token)
        assert (response.status_code, response.json()["errors"][0]["extensions"]["code"]) == (
            404,
            "NOT_FOUND",
        )
        link = await gql(LINK, {"id": job_id, "format": "CSV"}, token=token)
        assert link["data"]["job"] is None
    listed = await gql(JOBS, {"model": iris["model"]["id"]}, token=token)
    assert listed["data"]["jobs"]["edges"] == []
    assert (await gql(JOBS, {}, token=token))["data"]["jobs"]["edges"] == []
    assert (await download(client, job["id"], "")).status_code == 401


async def test_losing_access_to_the_model_hides_its_jobs(iris, submit, wait_job, gql, signup):
    bob = await signup("bob@example.com")
    share = {"model": iris["model"]["id"], "user": "bob", "level": "PREDICTOR"}
    await gql(SHARE, share, token=iris["token"])
    job = created(await submit(bob["accessToken"], "ada/iris", b"a,b,c,d\n1,2,3,4\n"))
    await wait_job(bob["accessToken"], job["id"])

    await gql(UNSHARE, {"model": iris["model"]["id"], "user": "bob"}, token=iris["token"])

    assert (await gql(JOB, {"id": job["id"]}, token=bob["accessToken"]))["data"]["job"] is None
    viewer = await gql(SHARE, {**share, "level": "VIEWER"}, token=iris["token"])
    assert viewer["data"]["shareModel"]["__typename"] == "ShareSuccess"
    refused = await submit(bob["accessToken"], "ada/iris", b"a,b,c,d\n1,2,3,4\n")
    assert refused["data"]["createBatchJob"]["__typename"] == "ForbiddenError"


async def test_jobs_are_listed_per_model_and_per_caller_in_pages(iris, named, submit, gql):
    token = iris["token"]
    ids = [created(await submit(token, "ada/iris", b"a,b,c,d\n1,2,3,4\n"))["id"] for _ in range(3)]
    other = created(await submit(token, "ada/named", b"sepal,petal,stem,leaf\n1,2,3,4\n"))["id"]

    page = (await gql(JOBS, {"model": iris["model"]["id"], "first": 2}, token=token))["data"][
        "jobs"
    ]
    rest = await gql(
        JOBS, {"model": iris["model"]["id"], "after": page["pageInfo"]["endCursor"]}, token=token
    )
    everything = (await gql(JOBS, {}, token=token))["data"]["jobs"]["edges"]

    assert [e["node"]["id"] for e in page["edges"]] == ids[::-1][:2]
    assert page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["id"] for e in rest["data"]["jobs"]["edges"]] == ids[:1]
    assert {e["node"]["id"] for e in everything} == {*ids, other}
    capped = await gql(JOBS, {"first": 101}, token=token)
    assert codes(capped) == ["BAD_USER_INPUT"]


async def test_api_keys_need_predict_to_submit_and_read_to_download(
    iris, submit, wait_job, gql, client
):
    token = iris["token"]

    async def key(*scopes: str) -> str:
        body = await gql(CREATE_KEY, {"name": "ci", "scopes": list(scopes)}, token=token)
        return body["data"]["createApiKey"]["secret"]

    reader, predictor = await key("READ"), await key("PREDICT")
    refused = await submit(None, "ada/iris", b"a,b,c,d\n1,2,3,4\n", headers={"X-API-Key": reader})
    accepted = await submit(
        None, "ada/iris", b"a,b,c,d\n1,2,3,4\n", headers={"X-API-Key": predictor}
    )

    assert codes(refused) == ["FORBIDDEN"]
    job = created(accepted)
    await wait_job(token, job["id"])
    row = await tables.Job.get(id=job["id"])
    assert row.key_id is not None
    read = await client.get(f"/jobs/{job['id']}/results", headers={"X-API-Key": reader})
    assert read.status_code == 200
    assert read.text.splitlines()[1].startswith("2,1,2,3,4,")
    no_read = await client.get(f"/jobs/{job['id']}/results", headers={"X-API-Key": predictor})
    assert no_read.status_code == 403


# -- signed links and cancelling -----------------------------------------------------------------


async def test_a_signed_link_downloads_without_credentials_until_it_expires(
    app, iris, submit, wait_job, gql, client
):
    token = iris["token"]
    job = created(await submit(token, "ada/iris", b"a,b,c,d\n1,2,3,4\n5,6,7,8\n"))
    other = created(await submit(token, "ada/iris", b"a,b,c,d\n1,1,1,1\n"))
    await wait_job(token, job["id"])
    link = (await gql(LINK, {"id": job["id"], "format": "JSONL"}, token=token))["data"]["job"]
    url = httpx.URL(link["resultsLink"]["url"])

    signed = await client.get(url.path, params=url.params)
    authenticated = await download(client, job["id"], token, "jsonl")

    assert signed.status_code == 200
    assert signed.text == authenticated.text
    assert len(signed.text.splitlines()) == 2
    params = dict(url.params)
    flipped = "1" if params["signature"].endswith("0") else "0"
    tampered = {**params, "signature": params["signature"][:-1] + flipped}
    other_format = {**params, "format": "csv"}
    for path, query in [
        (url.path, tampered),
        (url.path, other_format),
        (f"/jobs/{other['id']}/results", params),
    ]:
        assert (await client.get(path, params=query)).status_code == 404
    jobs = app.state.services.jobs
    row = await tables.Job.get(id=job["id"])
    expired = 1_000_000
    signature = jobs._signature(row.id, row.user_id, tables.JobFormat.JSONL, expired)
    stale = {"format": "jsonl", "expires": str(expired), "signature": signature}
    assert (await client.get(url.path, params=stale)).status_code == 404


async def test_cancelling_stops_the_job_and_an_ended_job_cannot_be_cancelled(
    app, iris, submit, wait_job, gql
):
    jobs = app.state.services.jobs
    original = jobs.config
    jobs.config = dataclasses.replace(original, chunk_rows=10)
    try:
        job = created(await submit(iris["token"], "ada/iris", matrix_csv(np.ones((5000, 4)))))
        cancelled = await gql(CANCEL, {"id": job["id"]}, token=iris["token"])
        done = await wait_job(iris["token"], job["id"])
    finally:
        jobs.config = original

    assert cancelled["data"]["cancelJob"] == {
        "__typename": "JobSuccess",
        "job": {"status": "CANCELLED"},
    }
    assert done["status"] == "CANCELLED"
    assert done["rowsDone"] < 5000
    await asyncio.sleep(0.5)  # a worker that was mid-chunk writes nothing after it
    assert (await tables.Job.get(id=job["id"])).rows_done == done["rowsDone"]
    again = await gql(CANCEL, {"id": job["id"]}, token=iris["token"])
    assert codes(again) == ["CONFLICT"]


# -- leases: lost workers, retries, no duplicates --------------------------------------------


@pytest.fixture
def held_queue(app, monkeypatch):
    """Jobs are recorded but not started: the test runs (and kills) them itself."""
    queue = app.state.services.queue
    enqueued: list[dict[str, Any]] = []

    async def hold(name: str, /, **kwargs: Any) -> None:
        enqueued.append({"name": name, **kwargs})

    monkeypatch.setattr(queue, "enqueue", hold)
    return enqueued


async def test_a_lost_worker_is_retried_from_its_last_chunk_without_duplicates(
    app, iris, submit, held_queue, client, monkeypatch
):
    services = app.state.services
    original = services.jobs.config
    services.jobs.config = dataclasses.replace(original, chunk_rows=50)
    X = np.random.default_rng(5).normal(size=(1000, 4)).round(4)
    # The worker dies right after committing its third chunk: it stops there until cancelled,
    # so how far it got does not depend on how busy the machine is.
    commit, third_done = runner._commit, asyncio.Event()

    async def commit_then_stall(*args: Any) -> tables.Job:
        committed = await commit(*args)
        if committed.chunks_done == 3:
            third_done.set()
            await asyncio.Event().wait()
        return committed

    monkeypatch.setattr(runner, "_commit", commit_then_stall)
    try:
        job = created(await submit(iris["token"], "ada/iris", matrix_csv(X)))
        assert held_queue == [{"name": "jobs.run", "job_id": job["id"]}]
        worker = asyncio.create_task(runner.run_job(services, job_id=job["id"]))
        await asyncio.wait_for(third_done.wait(), 120)
        worker.cancel()  # the worker dies mid-job
        with pytest.raises(asyncio.CancelledError):
            await worker
        monkeypatch.setattr(runner, "_commit", commit)
        # As after a SIGKILL: the lease simply runs out.
        await tables.Job.filter(id=job["id"]).update(
            lease_expires_at=runner._now() - runner.timedelta(seconds=1)
        )
        partial = await tables.Job.get(id=job["id"])
        assert (partial.status, partial.chunks_done) == (tables.JobStatus.RUNNING, 3)

        await runner.reap(services)

        assert (await tables.Job.get(id=job["id"])).status == tables.JobStatus.QUEUED
        assert held_queue[-1] == {"name": "jobs.run", "job_id": job["id"]}
        await runner.run_job(services, job_id=job["id"])
    finally:
        services.jobs.config = original

    done = await tables.Job.get(id=job["id"])
    assert (done.status, done.rows_done, done.attempts) == (tables.JobStatus.SUCCEEDED, 1000, 2)
    assert await tables.JobChunk.filter(job_id=done.id).count() == 20
    lines = [
        json.loads(x)["line"]
        for x in (await download(client, job["id"], iris["token"], "jsonl")).text.splitlines()
    ]
    assert lines == list(range(2, 1002))


async def test_a_job_whose_workers_keep_dying_fails_after_its_attempts(
    app, iris, submit, held_queue
):
    services = app.state.services
    job = created(await submit(iris["token"], "ada/iris", b"a,b,c,d\n1,2,3,4\n"))
    past = runner._now() - runner.timedelta(seconds=1)
    await tables.Job.filter(id=job["id"]).update(
        status=tables.JobStatus.RUNNING,
        attempts=services.jobs.config.max_attempts,
        lease_token=uuid.uuid4(),
        lease_expires_at=past,
    )

    await runner.reap(services)

    row = await tables.Job.get(id=job["id"])
    assert (row.status, row.error) == (tables.JobStatus.FAILED, "The worker was lost 3 times.")
    assert row.lease_token is None


async def test_a_job_whose_enqueue_was_lost_is_queued_again(app, iris, submit, held_queue):
    job = created(await submit(iris["token"], "ada/iris", b"a,b,c,d\n1,2,3,4\n"))
    old = runner._now() - runner.timedelta(seconds=3600)
    await tables.Job.filter(id=job["id"]).update(updated_at=old)

    await runner.reap(app.state.services)

    assert held_queue == [{"name": "jobs.run", "job_id": job["id"]}] * 2
    await runner.run_job(app.state.services, job_id=job["id"])
    await runner.run_job(app.state.services, job_id=job["id"])  # a duplicate delivery: no-op
    row = await tables.Job.get(id=job["id"])
    assert (row.status, row.rows_done, row.attempts) == (tables.JobStatus.SUCCEEDED, 1, 1)


# -- live progress ----------------------------------------------------------------------------

PROGRESS = """subscription($id: ID!) { jobProgress(id: $id) {
  jobId status rowsDone rowsFailed progress rowsPerSecond etaSeconds } }"""


async def test_job_progress_streams_until_the_job_ends(
    app, live_server, iris, submit, held_queue, signup
):
    from tests.graph.test_websocket import authenticated, receive, send

    services = app.state.services
    original = services.jobs.config
    services.jobs.config = dataclasses.replace(original, chunk_rows=200)
    job = created(await submit(iris["token"], "ada/iris", matrix_csv(np.ones((2000, 4)))))
    ws = await authenticated(live_server, iris["token"])
    try:
        payload = {"query": PROGRESS, "variables": {"id": job["id"]}}
        await send(ws, {"id": "p", "type": "subscribe", "payload": payload})
        first = await receive(ws, timeout=10)
        assert first["payload"]["data"]["jobProgress"]["status"] == "QUEUED"
        worker = asyncio.create_task(runner.run_job(services, job_id=job["id"]))
        seen = []
        while True:
            message = await receive(ws, timeout=30)
            if message["type"] == "complete":
                break
            seen.append(message["payload"]["data"]["jobProgress"])
        await worker
    finally:
        services.jobs.config = original
        await ws.close()

    done = [s["rowsDone"] for s in seen]
    assert done == sorted(done)
    assert len(seen) >= 3
    assert seen[-1]["status"] == "SUCCEEDED"
    assert (seen[-1]["rowsDone"], seen[-1]["progress"]) == (2000, 1.0)
    assert any(s["status"] == "RUNNING" and 0 < s["progress"] < 1 for s in seen)
    assert all(s["rowsPerSecond"] is not None for s in seen if s["status"] != "QUEUED")

    bob = await signup("bob@example.com")
    ws = await authenticated(live_server, bob["accessToken"])
    try:
        payload = {"query": PROGRESS, "variables": {"id": job["id"]}}
        await send(ws, {"id": "p", "type": "subscribe", "payload": payload})
        refused = await receive(ws)
    finally:
        await ws.close()
    assert refused["type"] == "next"
    assert [e["extensions"]["code"] for e in refused["payload"]["errors"]] == ["NOT_FOUND"]


async def test_progress_outlasts_a_subscription_slower_than_the_poll(
    app, live_server, iris, submit, held_queue, monkeypatch
):
    """A busy event stream subscribes after the first poll: its late "subscribed" mark is
    passed over, and the job's events still stream to the end."""
    from graph import jobs as job_fields
    from tests.graph.test_websocket import authenticated, receive, send

    services = app.state.services
    subscribe = services.pubsub.subscribe

    async def slow_subscribe(channel, *, subscribed=None):
        await asyncio.sleep(0.3)
        async for message in subscribe(channel, subscribed=subscribed):
            yield message

    monkeypatch.setattr(services.pubsub, "subscribe", slow_subscribe)
    monkeypatch.setattr(job_fields, "PROGRESS_POLL_S", 0.1)
    job = created(await submit(iris["token"], "ada/iris", matrix_csv(np.ones((600, 4)))))
    ws = await authenticated(live_server, iris["token"])
    try:
        payload = {"query": PROGRESS, "variables": {"id": job["id"]}}
        await send(ws, {"id": "p", "type": "subscribe", "payload": payload})
        first = await receive(ws, timeout=10)
        assert first["payload"]["data"]["jobProgress"]["status"] == "QUEUED"
        await asyncio.sleep(0.6)  # subscribed by now, well after the first poll
        await runner.run_job(services, job_id=job["id"])
        messages = []
        while (message := await receive(ws, timeout=30))["type"] != "complete":
            messages.append(message)
    finally:
        await ws.close()

    assert all("errors" not in m["payload"] for m in messages), messages
    assert messages[-1]["payload"]["data"]["jobProgress"]["status"] == "SUCCEEDED"


async def test_a_job_that_ends_is_announced_to_the_models_webhook_signed(
    app, gql, iris, submit, wait_job, monkeypatch
):
    # Given Ada's endpoint for job.completed and job.failed on her model, and a local receiver
    services = app.state.services
    monkeypatch.setattr(services.settings, "webhook_allow_loopback", True)
    receiver = Receiver()
    await receiver.start()
    try:
        token = iris["token"]
        endpoint = await register(
            gql,
            token,
            receiver.url(),
            ["JOB_COMPLETED", "JOB_FAILED"],
            modelId=iris["model"]["id"],
        )
        assert endpoint["__typename"] == "WebhookSecretSuccess", endpoint

        # When one job succeeds and another passes its failure threshold
        good = created(await submit(token, "ada/iris", b"a,b,c,d\n1,2,3,4\n"))
        bad = created(await submit(token, "ada/iris", b"a,b,c,d\nx,2,3,4\n", maxFailedRows=0))
        assert (await wait_job(token, good["id"]))["status"] == "SUCCEEDED"
        assert (await wait_job(token, bad["id"]))["status"] == "FAILED"
        await eventually(services.webhooks, lambda: len(receiver.received) >= 2, then_drains=3)

        # Then each end is one signed delivery naming the job, its version and its figures
        verified = [verify(endpoint["secret"], got) for got in receiver.received]
        payloads = {p["data"]["jobId"]: p for p in verified}
        assert len(receiver.received) == 2
        assert payloads[good["id"]]["type"] == "job.completed"
        assert payloads[good["id"]]["data"]["rowsDone"] == 1
        assert payloads[good["id"]]["data"]["version"]["id"] == iris["version"]["id"]
        assert payloads[bad["id"]]["type"] == "job.failed"
        assert payloads[bad["id"]]["data"]["error"] == "More than 0 rows failed."
    finally:
        await receiver.stop()
