"""The dashboard's page and assets at /ui: versioned by digest, a strict policy, a switch."""

from __future__ import annotations

import re

import pytest

from tests.graph.test_graphiql import other_app

ASSET = re.compile(r'(?:src|href)="(/ui/static/[\w.-]+)\?v=(\w{16})"')
IMPORT = re.compile(r"""from '\./([\w-]+\.js)\?v=(\w{16})'""")


async def test_the_page_has_a_strict_policy_and_versioned_assets(client):
    response = await client.get("/ui")

    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["cache-control"] == "no-cache"
    assets = ASSET.findall(response.text)
    assert [path for path, _ in assets] == [
        "/ui/static/app.css",
        "/ui/static/gql.js",
        "/ui/static/dom.js",
        "/ui/static/app.js",
    ]
    assert "<script>" not in response.text and "style=" not in response.text


async def test_a_versioned_asset_is_immutable_and_its_imports_are_versioned(client):
    page = (await client.get("/ui")).text
    path, digest = next((p, d) for p, d in ASSET.findall(page) if p.endswith("app.js"))

    versioned = await client.get(path, params={"v": digest})
    unversioned = await client.get(path)

    assert versioned.status_code == 200
    assert versioned.headers["content-type"] == "text/javascript; charset=utf-8"
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert unversioned.headers["cache-control"] == "no-cache"
    imports = dict(IMPORT.findall(versioned.text))
    assert set(imports) == {"dom.js", "gql.js"}
    served = await client.get(f"/ui/static/dom.js?v={imports['dom.js']}")
    assert served.headers["cache-control"].endswith("immutable")


@pytest.mark.parametrize(
    "path",
    [
        "/ui/static/missing.js",
        "/ui/static/index.html",
        "/ui/static/..%2Fdashboard.py",
        "/ui/static/%2e%2e",
    ],
)
async def test_only_the_assets_are_served(client, path):
    response = await client.get(path)

    assert response.status_code == 404


async def test_the_root_points_at_the_dashboard_in_development(client):
    response = await client.get("/")

    assert response.status_code == 307
    assert response.headers["location"] == "/ui"
    assert 'href="/graphql">GraphiQL' in (await client.get("/ui")).text


async def test_production_serves_the_dashboard_without_the_redirect(tmp_path, settings):
    async with other_app(tmp_path, settings, environment="production") as http:
        page = await http.get("/ui")
        root = await http.get("/")

    assert page.status_code == 200
    assert root.status_code == 404
    # GraphiQL is off in production: the page does not link to it.
    assert 'href="/graphql"' not in page.text


async def test_the_setting_turns_it_off(tmp_path, settings):
    async with other_app(tmp_path, settings, ui_enabled=False) as http:
        page = await http.get("/ui")
        asset = await http.get("/ui/static/app.js")

    assert [page.status_code, asset.status_code] == [404, 404]
