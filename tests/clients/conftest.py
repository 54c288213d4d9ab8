"""Fixtures for the client tests: a user with a published model, and a second live server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn

from graph.app import create_app
from settings import Settings
from tests import factories
from tests.conftest import free_port, make_settings
from tests.graph.conftest import upload  # noqa: F401  (the multipart upload fixture)
from tests.graph.queries import CREATE_MODEL


@pytest.fixture
async def iris(gql, signup, upload) -> dict[str, Any]:  # noqa: F811
    """Ada, her model ``ada/iris`` and its first version."""
    ada = await signup("ada@example.com")
    token = ada["accessToken"]
    model = (await gql(CREATE_MODEL, {"name": "iris"}, token=token))["data"]["createModel"]["model"]
    body = await upload(token, model["id"], factories.skops_bytes(factories.logistic_regression()))
    version = body["data"]["uploadModelVersion"]["version"]
    return {"token": token, "model": model, "version": version}


async def serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    """Start ``app`` on a free loopback port; returns the server, its task and host:port."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    return server, task, f"127.0.0.1:{port}"


@pytest.fixture(scope="session")
async def impatient_server(app: Any, settings: Settings) -> AsyncIterator[str]:
    """A replica on the session's database that waits only 1 s for ``connection_init``."""
    replica = create_app(
        make_settings(
            settings.data_dir,
            settings.database_url,
            artifact_store_url=settings.artifact_store_url,
            ws_init_timeout_s=1.0,
        )
    )
    # The session app's lifespan owns the database connections; this replica shares them.
    replica.state.services.start()
    server, task, address = await serve(replica)
    yield address
    server.should_exit = True
    await asyncio.wait_for(task, timeout=10)
    await replica.state.services.close()
