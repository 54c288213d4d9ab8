"""AsyncClient against a live server: publish, promote, predict, jobs, keys and streams."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest
from modelserve_client import (
    AsyncClient,
    Forbidden,
    JobFailed,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from tests import factories

HANG_GUARD_S = 60


async def signed_in(url: str, ada: dict) -> AsyncClient:
    client = AsyncClient(url)
    await client.login(ada["email"], ada["password"])
    return client


async def test_upload_promote_and_predict_rows(url, ada):
    # Given a signed-in client and a fitted estimator
    client = await signed_in(url, ada)
    X, y = factories.training_data()

    # When it is uploaded twice under a new name and the second version promoted
    first = await client.upload(LogisticRegression().fit(X, y), name="iris")
    second = await client.upload(
        LogisticRegression(C=0.1).fit(X, y), name="iris", description="weaker"
    )
    alias = await client.promote("iris", 2)

    # Then both versions exist, saved as skops, and production serves the second
    assert (first.number, second.number) == (1, 2)
    assert second.source_format == "skops" and second.description == "weaker"
    assert (alias.name, alias.version_number, alias.version_id) == ("production", 2, second.id)
    model = await client.model("iris")
    assert model.full_name == "ada/iris" and model.aliases == {"production": 2}
    assert [m.full_name for m in await client.models()] == ["ada/iris"]

    # And predictions come back typed, for one row and for a batch
    predicted = await client.predict("iris@production", [list(X[0])])
    assert predicted.version_number == 2 and len(predicted.rows) == 1
    assert predicted.rows[0].value in {0, 1}
    assert set(predicted.rows[0].probabilities) == {0, 1}
    batch = await client.predict_batch("ada/iris:1", X[:5])
    assert (batch.rows, batch.version_number, batch.classes) == (5, 1, [0, 1])
    assert len(batch.predictions) == 5 and len(batch.probabilities) == 5
    await client.aclose()


async def test_a_dataframe_model_with_categorical_columns(url, ada):
    # Given a pipeline fit on a DataFrame with a string column
    frame = pd.DataFrame(
        {
            "city": ["lyon", "paris", "nice", "lyon", "paris", "nice"] * 5,
            "tenure": [1.0, 5.0, 3.0, 8.0, 2.0, 9.0] * 5,
        }
    )
    churned = [0, 1, 0, 1, 0, 1] * 5
    pipeline = make_pipeline(
        ColumnTransformer(
            [("city", OneHotEncoder(handle_unknown="ignore"), ["city"])], remainder="passthrough"
        ),
        LogisticRegression(),
    ).fit(frame, churned)
    client = await signed_in(url, ada)

    # When it is uploaded with a DataFrame as its input example and predicted from one
    version = await client.upload(pipeline, name="churn", input_example=frame.head(2))
    predicted = await client.predict("churn", frame.head(3))

    # Then the signature names the columns and each row is answered
    columns = version.signature["columns"]
    assert [(c["name"], c["type"]) for c in columns] == [("city", "string"), ("tenure", "number")]
    assert predicted.values == [int(v) for v in pipeline.predict(frame.head(3))]
    # And records work as well as a DataFrame
    again = await client.predict("churn", {"city": "nice", "tenure": 3.0})
    assert again.values == [int(pipeline.predict(frame.iloc[[2]])[0])]
    await client.aclose()


async def test_errors_are_typed(url, ada):
    # Given a client without credentials and a signed-in one
    anonymous = AsyncClient(url)
    client = await signed_in(url, ada)

    # Then each failure raises its own class, with the server's code and details
    with pytest.raises(Unauthenticated) as refused:
        await anonymous.login(ada["email"], "not the password")
    assert refused.value.code == "UNAUTHENTICATED" and refused.value.exit_code == 3
    with pytest.raises(NotFound) as missing:
        await client.predict("ada/nothing", [[1.0, 2.0, 3.0, 4.0]])
    assert missing.value.code == "NOT_FOUND"
    with pytest.raises(NotFound):
        await client.promote("nothing", 1)
    await client.upload(factories.logistic_regression(), name="iris")
    with pytest.raises(ValidationFailed) as bad_rows:
        await client.predict("iris", [[1.0, "x", 3.0]])
    assert bad_rows.value.code == "BAD_USER_INPUT" and bad_rows.value.fields
    with pytest.raises(ValidationFailed) as bad_name:
        await client.create_model("no spaces allowed here!")
    assert bad_name.value.fields[0].path == ("input", "name")
    await anonymous.aclose()
    await client.aclose()


async def test_a_key_predicts_and_is_refused_the_rest(url, ada):
    # Given a predict-only key made through the client
    client = await signed_in(url, ada)
    await client.upload(factories.logistic_regression(), name="iris")
    created = await client.create_key("iris-client", ["predict"])
    keyed = AsyncClient(url, api_key=created.secret)

    # Then it predicts, is refused listing models, and stops working once revoked
    assert created.secret.startswith("msk_") and created.key.scopes == ["PREDICT"]
    assert len((await keyed.predict("ada/iris", [[1.0, 2.0, 3.0, 4.0]])).rows) == 1
    with pytest.raises(Forbidden):
        await keyed.models()
    assert [k.name for k in await client.keys()] == ["iris-client"]
    revoked = await client.revoke_key(created.key.id)
    assert revoked.is_active is False
    with pytest.raises(Unauthenticated):
        await keyed.predict("ada/iris", [[1.0, 2.0, 3.0, 4.0]])
    await keyed.aclose()
    await client.aclose()


async def test_a_job_is_followed_to_its_end_and_downloaded(url, ada, tmp_path):
    # Given a model and a CSV of rows, one of them malformed
    client = await signed_in(url, ada)
    await client.upload(factories.logistic_regression(), name="iris")
    rows = tmp_path / "rows.csv"
    rows.write_text("a,b,c,d\n" + "1,2,3,4\n" * 30 + "x,2,3,4\n")

    # When it is submitted and followed through its progress
    job = await client.submit_job("iris", rows)
    seen = [p async for p in job.progress()]
    done = await job.wait()
    results = await job.download(tmp_path / "results.csv")

    # Then the progress ended with the job, and the results hold every good row
    assert seen[-1].status == "SUCCEEDED" and seen[-1].rows_done == 30
    assert (done.status, done.rows_done, done.rows_failed) == ("SUCCEEDED", 30, 1)
    assert done.row_errors[0].line == 32
    lines = results.read_text().splitlines()
    assert lines[0].startswith("line,a,b,c,d,prediction") and len(lines) == 31
    assert (await job.download(format="jsonl")).count(b"\n") == 30
    await client.aclose()


async def test_a_failed_job_raises(url, ada, tmp_path):
    client = await signed_in(url, ada)
    await client.upload(factories.logistic_regression(), name="iris")
    rows = tmp_path / "rows.csv"
    rows.write_text("a,b,c,d\n" + "x,2,3,4\n" * 3)

    job = await client.submit_job("iris", rows, max_failed_rows=1)
    with pytest.raises(JobFailed) as failed:
        await job.wait()

    assert failed.value.job.status == "FAILED" and failed.value.exit_code == 13
    assert (await job.wait(raise_on_failure=False)).status == "FAILED"
    await client.aclose()


async def test_predictions_stream_as_they_are_logged(url, ada):
    # Given a subscriber to a model's predictions
    client = await signed_in(url, ada)
    await client.upload(factories.logistic_regression(), name="iris")
    stream = client.subscribe_predictions("iris")
    first = asyncio.ensure_future(anext(stream))
    # (the subscription is open once the server has acknowledged it; retry until one arrives)
    for _ in range(100):
        await client.predict("iris", [[1.0, 2.0, 3.0, 4.0]])
        done, _ = await asyncio.wait({first}, timeout=0.2)
        if done:
            break

    # Then the logged prediction arrives, typed
    event = await asyncio.wait_for(first, HANG_GUARD_S)
    assert (event.status, event.rows, event.version_number) == ("ok", 1, 1)
    assert event.shadow is False
    await stream.aclose()
    await client.aclose()
