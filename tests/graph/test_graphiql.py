"""GraphiQL from ModelServe itself: the page, its CSP, the vendored assets, and when it is off."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from graph import graphiql
from graph.app import create_app
from tests.conftest import make_settings

HTML = {"Accept": "text/html"}
ASSET_URL = re.compile(r'(?:src|href)="([^"]+)"')
# An absolute or protocol-relative URL: anything that could leave the server.
EXTERNAL = re.compile(r"(?:https?:|wss?:)?//[\w.-]+\.\w", re.I)
OURS = ("index.html", "init.js", "style.css")


@asynccontextmanager
async def other_app(tmp_path: Any, settings: Any, **overrides: Any) -> AsyncIterator[Any]:
    """An app with other settings, on the session's database, spoken to in-process."""
    application = create_app(
        make_settings(tmp_path, settings.database_url, secret_key="k" * 40, **overrides)
    )
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await application.state.services.close()


async def test_the_page_is_ours_with_a_strict_policy(client):
    response = await client.get("/graphql", headers=HTML)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["cache-control"] == "no-cache"
    html = response.text
    assert "<style" not in html and " style=" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # no inline script
    urls = ASSET_URL.findall(html)
    assert urls and all(re.fullmatch(r"/graphql/static/[\w.-]+\?v=[0-9a-f]{16}", u) for u in urls)
    assert not EXTERNAL.search(html)


@pytest.mark.parametrize("name", OURS)
def test_what_we_wrote_names_no_other_host(name):
    text = (graphiql.STATIC_DIR / name).read_text()

    assert not EXTERNAL.search(text), EXTERNAL.search(text)


async def test_every_asset_the_page_names_is_served_and_cacheable(client):
    html = (await client.get("/graphql", headers=HTML)).text
    types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}

    for url in ASSET_URL.findall(html):
        response = await client.get(url)
        name = url.split("?")[0].rsplit("/", 1)[1]
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(types["." + name.split(".")[-1]])
        assert response.headers["cache-control"] == graphiql.IMMUTABLE
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content == (graphiql.STATIC_DIR / name).read_bytes()


async def test_an_unversioned_asset_is_revalidated(client):
    response = await client.get("/graphql/static/init.js")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    again = await client.get(
        "/graphql/static/init.js", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/graphql/static/index.html",
        "/graphql/static/README.md",
        "/graphql/static/vendor.sh",
        "/graphql/static/SHA256SUMS",
        "/graphql/static/licenses/react.LICENSE",
        "/graphql/static/missing.js",
        "/graphql/static/../graphiql.py",
        "/graphql/static/%2e%2e/%2e%2e/graphiql.py",
    ],
)
async def test_only_the_page_assets_are_served(client, path):
    response = await client.get(path)

    assert response.status_code == 404


async def test_the_root_points_at_the_ide_when_the_dashboard_is_off(tmp_path, settings):
    async with other_app(tmp_path, settings, ui_enabled=False) as http:
        response = await http.get("/")

    assert response.status_code == 307
    assert response.headers["location"] == "/graphql"


async def test_json_clients_still_get_graphql_on_get(client):
    response = await client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"Accept": "application/json"}
    )

    assert response.json()["data"] == {"__typename": "Query"}


async def test_production_serves_no_ide_no_assets_no_redirect(tmp_path, settings):
    async with other_app(tmp_path, settings, environment="production") as http:
        page = await http.get("/graphql", headers=HTML)
        asset = await http.get("/graphql/static/init.js")
        root = await http.get("/")

    assert [page.status_code, asset.status_code, root.status_code] == [404, 404, 404]
    assert "content-security-policy" not in page.headers


async def test_production_may_turn_it_on(tmp_path, settings):
    async with other_app(
        tmp_path, settings, environment="production", graphiql=True, production_allow="graphiql"
    ) as http:
        page = await http.get("/graphql", headers=HTML)
        asset = await http.get("/graphql/static/init.js")

    assert page.status_code == 200
    assert "content-security-policy" in page.headers
    assert asset.status_code == 200


@pytest.mark.parametrize("environment", ["development", "production"])
async def test_serve_says_where_graphiql_is(monkeypatch, caplog, tmp_path, settings, environment):
    import logging.config

    import uvicorn

    from graph import cli

    chosen = make_settings(
        tmp_path, settings.database_url, environment=environment, secret_key="k" * 40
    )
    served: dict[str, Any] = {}
    monkeypatch.setattr(cli, "get_settings", lambda: chosen)
    monkeypatch.setattr(cli.signal, "signal", lambda *args: None)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.update(kwargs))
    # The test's own log capture stays in place of the server's handlers.
    monkeypatch.setattr(logging.config, "dictConfig", lambda config: None)
    caplog.set_level("INFO", logger="modelserve")

    assert cli.main(["serve", "--port", "8123"]) == 0

    lines = [r.getMessage() for r in caplog.records if r.name == "modelserve"]
    expected = ["GraphiQL at http://127.0.0.1:8123/graphql"]
    assert lines == (expected if environment == "development" else [])
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
