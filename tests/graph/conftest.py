"""Fixtures for GraphQL tests: uploads over multipart, a user with a model."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.graph.queries import CREATE_MODEL, UPLOAD


async def post_multipart(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    file: tuple[str, bytes, str],
    headers: dict[str, str],
) -> dict[str, Any]:
    """One file at ``variables.input.file``, as the GraphQL multipart request spec sends it
    (operations, then map, then the file); the decoded body, with the status in ``_status``."""
    response = await client.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": query, "variables": variables}),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": file},
        headers=headers,
    )
    body = response.json()
    body["_status"] = response.status_code
    return body


@pytest.fixture
def upload(client: httpx.AsyncClient):
    """Send ``uploadModelVersion`` as a GraphQL multipart request."""

    async def run(
        token: str,
        model_id: str,
        data: bytes,
        filename: str = "model.skops",
        csrf: bool = True,
        **fields: Any,
    ) -> dict[str, Any]:
        variables = {"input": {"modelId": model_id, "file": None, **fields}}
        headers = {"Authorization": f"Bearer {token}"}
        if csrf:
            headers["X-ModelServe-CSRF"] = "1"
        file = (filename, data, "application/octet-stream")
        return await post_multipart(client, UPLOAD, variables, file, headers)

    return run


@pytest.fixture
async def owner(signup) -> dict[str, Any]:
    return await signup("ada@example.com")


@pytest.fixture
async def create_model(gql):
    async def run(token: str, name: str = "iris") -> dict[str, Any]:
        body = await gql(CREATE_MODEL, {"name": name}, token=token)
        assert body["data"]["createModel"]["__typename"] == "ModelSuccess", body
        return body["data"]["createModel"]["model"]

    return run
