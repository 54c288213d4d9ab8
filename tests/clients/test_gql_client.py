"""gql, the Python GraphQL client, against a live server: httpx (with an upload) and websockets."""

from __future__ import annotations

import asyncio
import contextlib

from gql import Client, FileVar, GraphQLRequest, gql
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from tests import factories

ME = gql("query Me { me { email username } }")
UPLOAD = gql(
    """mutation Upload($input: UploadModelVersionInput!) {
  uploadModelVersion(input: $input) {
    __typename
    ... on UploadModelVersionSuccess { version { id number sourceFormat originalFilename } }
    ... on ModelRejectedError { reason message }
  }
}"""
)
PREDICT = gql(
    """query Predict($rows: FeatureMatrix!) {
  predict(model: "ada/iris", rows: $rows) { requestId version { number } } }"""
)
PREDICTIONS = gql(
    """subscription Predictions { predictions(model: "ada/iris") {
  requestId status rows versionNumber } }"""
)
# Hang guards only: each step takes well under a second when the server answers.
HANG_GUARD_S = 30


def http_client(live_server: str, token: str) -> Client:
    transport = HTTPXAsyncTransport(
        url=f"http://{live_server}/graphql",
        # A multipart post must prove it is no cross-site form: our CSRF header.
        headers={"Authorization": f"Bearer {token}", "X-ModelServe-CSRF": "1"},
        timeout=HANG_GUARD_S,
    )
    return Client(transport=transport)


async def test_a_query_over_httpx(live_server, signup):
    user = await signup()
    async with http_client(live_server, user["accessToken"]) as session:
        result = await session.execute(ME)
    assert result == {"me": {"email": "ada@example.com", "username": "ada"}}


async def test_an_upload_over_httpx_then_a_prediction(live_server, iris, tmp_path):
    path = tmp_path / "second.skops"
    path.write_bytes(factories.skops_bytes(factories.logistic_regression(seed=5)))
    async with http_client(live_server, iris["token"]) as session:
        # A path, so gql opens (and closes) the file and names the part after it.
        file = FileVar(str(path))
        request = GraphQLRequest(
            UPLOAD, variable_values={"input": {"modelId": iris["model"]["id"], "file": file}}
        )
        uploaded = (await session.execute(request, upload_files=True))["uploadModelVersion"]
        assert uploaded["__typename"] == "UploadModelVersionSuccess", uploaded
        assert uploaded["version"]["number"] == 2
        assert uploaded["version"]["sourceFormat"] == "skops"
        assert uploaded["version"]["originalFilename"] == "second.skops"
        predicted = await session.execute(
            GraphQLRequest(PREDICT, variable_values={"rows": [[5.1, 3.5, 1.4, 0.2]]})
        )
    assert predicted["predict"]["version"] == {"number": 2}


async def test_a_subscription_over_websockets_sees_a_prediction(live_server, iris):
    transport = WebsocketsTransport(
        url=f"ws://{live_server}/graphql",
        init_payload={"authorization": f"Bearer {iris['token']}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    made: list[str] = []

    async def predict_until_seen(http) -> None:
        # The protocol has no "subscribed" message: predict until the stream has one.
        while True:
            result = await http.execute(
                GraphQLRequest(PREDICT, variable_values={"rows": [[0.1, 0.2, 0.3, 0.4]]})
            )
            made.append(result["predict"]["requestId"])
            await asyncio.sleep(0.5)

    async with (
        Client(transport=transport) as ws,
        http_client(live_server, iris["token"]) as http,
    ):
        assert transport.subprotocol == "graphql-transport-ws"
        predicting = asyncio.create_task(predict_until_seen(http))
        subscription = ws.subscribe(PREDICTIONS)
        try:
            async with asyncio.timeout(HANG_GUARD_S):
                event = await anext(subscription)
        finally:
            await subscription.aclose()
            predicting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await predicting

    seen = event["predictions"]
    assert seen["requestId"] in made
    assert (seen["status"], seen["rows"], seen["versionNumber"]) == ("ok", 1, 1)
