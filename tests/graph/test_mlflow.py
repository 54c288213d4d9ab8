"""MLflow's scoring protocol per model: every documented input format, CSV, and MLflow's errors,
on the same engine, keys and limits as GraphQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graph.test_inference_v2 import ROWS, churn, iris  # noqa: F401  (fixtures)
from tests.graph.test_quotas import SET_MODEL_QUOTA


async def invoke(client, body: Any, token: str, path: str = "ada/iris", **headers: str) -> Any:
    sent = {"Authorization": f"Bearer {token}", **headers}
    if isinstance(body, str):
        sent.setdefault("Content-Type", "text/csv")
        return await client.post(f"/models/{path}/invocations", content=body, headers=sent)
    return await client.post(f"/models/{path}/invocations", json=body, headers=sent)


def csv(header: list[str], rows: list[list[Any]]) -> str:
    return "\n".join([",".join(header), *(",".join(str(v) for v in row) for row in rows)]) + "\n"


NAMES = ["a", "b", "c", "d"]


async def test_every_format_answers_as_mlflows_scoring_server(client, iris):  # noqa: F811
    # Given a model fit on a plain matrix, and the same five rows in each of MLflow's formats
    rows = ROWS.tolist()
    expected = {"predictions": iris["model"].predict(ROWS).tolist()}
    records = [dict(zip(NAMES, row, strict=True)) for row in rows]
    bodies = {
        "dataframe_split": {"dataframe_split": {"columns": NAMES, "data": rows}},
        "dataframe_split without columns": {"dataframe_split": {"data": rows, "index": [0] * 5}},
        "dataframe_records": {"dataframe_records": records},
        "instances": {"instances": rows},
        "instances as records": {"instances": records},
        "inputs": {"inputs": rows},
        "inputs as columns": {
            "inputs": {name: [row[j] for row in rows] for j, name in enumerate(NAMES)}
        },
        "with params": {"inputs": rows, "params": {"anything": 1}},
    }

    # Then each answers the model's predictions, as MLflow does
    for case, body in bodies.items():
        response = await invoke(client, body, iris["token"])
        assert (response.status_code, response.json()) == (200, expected), case

    # And CSV too (a header line, then rows), with a charset, through an alias and a version
    for path in ("ada/iris", "ada/iris@production", "ada/iris:1"):
        answered = await invoke(
            client,
            csv(NAMES, rows),
            iris["token"],
            path,
            **{"Content-Type": "text/csv; charset=utf-8"},
        )
        assert (answered.status_code, answered.json()) == (200, expected), path


async def test_a_dataframe_model_takes_columns_by_name_in_every_format(client, churn):  # noqa: F811
    # Given a ColumnTransformer over a number, a string and a boolean column
    frame = churn["frame"]
    expected = {"predictions": churn["model"].predict(frame).tolist()}
    swapped = frame[["active", "city", "age"]]
    bodies = {
        "dataframe_split": {"dataframe_split": swapped.to_dict(orient="split")},
        "dataframe_records": {"dataframe_records": swapped.to_dict(orient="records")},
        "instances": {"instances": frame.to_dict(orient="records")},
        "inputs": {"inputs": swapped.to_dict(orient="list")},
    }

    # Then columns are taken by name, whatever their order, as the model was fit
    for case, body in bodies.items():
        response = await invoke(client, body, churn["token"], "ada/churn")
        assert (response.status_code, response.json()) == (200, expected), case
    as_csv = await invoke(client, swapped.to_csv(index=False), churn["token"], "ada/churn")
    assert (as_csv.status_code, as_csv.json()) == (200, expected)

    # And a number where the string column is, or a column it does not know, is a 400 naming it
    wrong = await invoke(
        client,
        {"dataframe_split": {"columns": ["age", "city", "active"], "data": [[30, 4, True]]}},
        churn["token"],
        "ada/churn",
    )
    assert wrong.status_code == 400
    assert wrong.json() == {
        "error_code": "BAD_REQUEST",
        "message": "Invalid input: inputs.0.city: Expected a string, got int.",
    }
    unknown = await invoke(
        client,
        {"dataframe_records": [{"age": 30, "city": "paris", "active": True, "zip": 1}]},
        churn["token"],
        "ada/churn",
    )
    assert (
        unknown.status_code == 400 and "inputs.0.zip: Unknown feature." in unknown.json()["message"]
    )


async def test_errors_are_mlflows(client, gql, iris):  # noqa: F811
    token = iris["token"]
    rows = {"inputs": ROWS.tolist()}

    def error(response: Any) -> tuple[int, str]:
        body = response.json()
        assert set(body) == {"error_code", "message"}, body
        return response.status_code, body["error_code"]

    # Bodies MLflow refuses
    none = await invoke(client, {"data": []}, token)
    assert error(none) == (400, "BAD_REQUEST")
    assert none.json()["message"].startswith("The input must be a JSON object with exactly one")
    both = await invoke(client, {"inputs": [[1, 2, 3, 4]], "instances": [[1, 2, 3, 4]]}, token)
    assert error(both) == (400, "BAD_REQUEST")
    assert error(await invoke(client, [[1, 2, 3, 4]], token)) == (400, "BAD_REQUEST")
    garbage = await client.post(
        "/models/ada/iris/invocations",
        content=b"{nope",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert error(garbage) == (400, "BAD_REQUEST")
    plain = await invoke(client, "1,2", token, **{"Content-Type": "text/plain"})
    assert error(plain) == (415, "BAD_REQUEST")
    latin = await invoke(client, "a\n1\n", token, **{"Content-Type": "text/csv; charset=latin-1"})
    assert error(latin) == (415, "BAD_REQUEST")
    assert error(await invoke(client, "", token)) == (400, "BAD_REQUEST")
    header_only = await invoke(client, csv(NAMES, []), token)
    assert error(header_only) == (400, "BAD_REQUEST")
    short = await invoke(client, {"inputs": [[1, 2, 3]]}, token)
    assert error(short) == (400, "BAD_REQUEST")
    assert "Expected 4 features, got 3" in short.json()["message"]

    # Callers and models, as everywhere else
    assert error(await invoke(client, rows, token, "ada/nothing")) == (
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )
    assert error(await client.post("/models/ada/iris/invocations", json=rows)) == (
        401,
        "UNAUTHENTICATED",
    )
    assert error(await invoke(client, rows, iris["read_key"])) == (403, "PERMISSION_DENIED")
    assert (await invoke(client, rows, iris["predict_key"])).status_code == 200
    await gql(SET_MODEL_QUOTA, {"model": iris["model_id"], "perMinute": 1}, token=token)
    assert (await invoke(client, rows, token)).status_code == 200
    limited = await invoke(client, rows, token)
    assert error(limited) == (429, "REQUEST_LIMIT_EXCEEDED")
    assert int(limited.headers["retry-after"]) >= 1


@pytest.mark.parametrize("route", ["ping", "health"])
async def test_ping_says_whether_the_model_serves(client, iris, route):  # noqa: F811
    headers = {"Authorization": f"Bearer {iris['read_key']}"}
    served = await client.get(f"/models/ada/iris@production/{route}", headers=headers)
    assert (served.status_code, served.text) == (200, "\n")
    missing = await client.get(f"/models/ada/nothing/{route}", headers=headers)
    assert missing.json() == {
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "message": "Model not found.",
    }


async def test_rows_past_the_cap_are_refused_before_any_is_built(client, app, iris):  # noqa: F811
    token = iris["token"]
    cap = app.state.settings.predict_batch_max_rows
    over = f"At most {cap} rows per call; got {cap + 1}."
    # A malformed row after the cap is never reached: the count refuses the body first
    records = [{}] * cap + ["not a record"]
    bodies = {
        "dataframe_records": {"dataframe_records": records},
        "instances as records": {"instances": records},
        "inputs": {"inputs": [[1, 2, 3, 4]] * (cap + 1)},
        "inputs as columns": {"inputs": {"a": [1] * (cap + 1), "b": [2] * (cap + 1)}},
        "dataframe_split": {"dataframe_split": {"columns": NAMES, "data": [[]] * (cap + 1)}},
    }
    for case, body in bodies.items():
        refused = await invoke(client, body, token)
        assert refused.status_code == 400, case
        assert refused.json() == {"error_code": "BAD_REQUEST", "message": over}, case

    # And CSV is read one row past the cap, no further: a broken line after it is not seen
    text = csv(NAMES, [[1, 2, 3, 4]] * (cap + 1)) + "1,2,3,4,5,6,7\n"
    refused = await invoke(client, text, token)
    assert refused.json() == {
        "error_code": "BAD_REQUEST",
        "message": f"At most {cap} rows per call; got more.",
    }
    at_cap = await invoke(client, csv(NAMES, [[1, 2, 3, 4]] * cap), token)
    assert at_cap.status_code == 200 and len(at_cap.json()["predictions"]) == cap


async def test_split_columns_must_match_each_row_for_a_matrix_model(client, iris):  # noqa: F811
    # Given a model fit on a plain matrix (no feature names), and rows of four values
    for columns in (["a", "b"], ["a", "b", "c", "d", "e", "f"]):
        body = {"dataframe_split": {"columns": columns, "data": [[5.1, 3.5, 1.4, 0.2]]}}
        # Then more or fewer columns than values is a 400, as a DataFrame refuses it
        refused = await invoke(client, body, iris["token"])
        assert (refused.status_code, refused.json()) == (
            400,
            {
                "error_code": "BAD_REQUEST",
                "message": f"Invalid input: inputs.0: Expected {len(columns)} values, "
                "one per column.",
            },
        ), columns


async def test_a_csv_row_longer_than_its_header_is_refused(client, iris):  # noqa: F811
    # pandas would make the extra leading fields the index and shift the rest into the columns
    for text in ("a,b,c,d\n5.1,3.5,1.4,0.2,9,9\n", "a,b,c,d\n5.1,3.5,1.4,0.2,9\n1,2,3,4,5\n"):
        refused = await invoke(client, text, iris["token"])
        assert (refused.status_code, refused.json()) == (
            400,
            {
                "error_code": "BAD_REQUEST",
                "message": "Failed to parse input as a CSV table: "
                "a row has more fields than the header.",
            },
        ), text
    # And a well-formed row is served
    served = await invoke(client, "a,b,c,d\n5.1,3.5,1.4,0.2\n", iris["token"])
    assert served.status_code == 200
