"""gql, the Python GraphQL client, meets a spent rate limit alike over websockets and HTTP."""

from __future__ import annotations

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from tests.clients.test_gql_client import PREDICT, http_client
from tests.graph.test_accounts import make_admin

SET_LIMITS = """
mutation($user: ID!) { setUserLimits(input: {userId: $user, predictionUnitsPerMinute: 2}) {
  __typename } }"""


async def test_a_spent_limit_is_rate_limited_over_websockets_and_http(app, gql, live_server, iris):
    # Given Ada's limit lowered to 2 units a minute
    admin = await make_admin(app, gql)
    me = await gql("{ me { id } }", token=iris["token"])
    limited = await gql(SET_LIMITS, {"user": me["data"]["me"]["id"]}, token=admin["accessToken"])
    assert limited["data"]["setUserLimits"]["__typename"] == "SetUserLimitsSuccess"
    request = GraphQLRequest(PREDICT, variable_values={"rows": [[0.1, 0.2, 0.3, 0.4]]})
    transport = WebsocketsTransport(
        url=f"ws://{live_server}/graphql",
        init_payload={"authorization": f"Bearer {iris['token']}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    async with Client(transport=transport) as ws, http_client(live_server, iris["token"]) as http:
        # When she predicts twice over the websocket, then once more over each transport
        for _ in range(2):
            assert (await ws.execute(request))["predict"]["version"] == {"number": 1}
        with pytest.raises(TransportQueryError) as over_ws:
            await ws.execute(request)
        with pytest.raises(TransportQueryError) as over_http:
            await http.execute(request)
    # Then both refusals carry the code and the window's figures
    for refused in (over_ws.value, over_http.value):
        assert refused.errors is not None
        extensions = refused.errors[0]["extensions"]
        assert extensions["code"] == "RATE_LIMITED"
        assert extensions["retryAfter"] >= 1
        assert extensions["rateLimit"] == {"limit": 2, "remaining": 0, "limitedBy": "predictions"}
