"""The web dashboard at /ui: plain ES modules and one stylesheet from graph/static/ui.

It talks to the public GraphQL API only (HTTP for queries and mutations, graphql-transport-ws
for subscriptions), so it opens nothing production keeps closed. No build step: each module's
relative imports are rewritten to carry the imported file's digest, so every URL the page
loads is versioned by content and may be cached for a year.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from graph.graphiql import IMMUTABLE

STATIC_DIR = Path(__file__).parent / "static" / "ui"
PAGE_PATH = "/ui"
STATIC_PATH = "/ui/static"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_ASSET_NAME = re.compile(r"[\w-]+\.(?:js|css|svg)")
# `import ... from "./x.js"`, `import "./x.js"` and `import("./x.js")`.
_MODULE_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])\./([\w-]+\.js)\2""")
_PAGE_REFERENCE = re.compile(rf'(src|href)="{re.escape(STATIC_PATH)}/([\w.-]+)"')

# Nothing inline, nothing from elsewhere; the charts are SVG drawn by the scripts.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "cache-control": "no-cache",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


@functools.cache
def asset(name: str) -> tuple[bytes, str] | None:
    """A served file's bytes (imports versioned) and its digest; None when not served."""
    path = STATIC_DIR / name
    if not _ASSET_NAME.fullmatch(name) or not path.is_file():
        return None
    body = path.read_bytes()
    if path.suffix == ".js":
        body = _MODULE_IMPORT.sub(
            lambda m: f"{m[1]}{m[2]}./{m[3]}?v={_digest_of(m[3])}{m[2]}", body.decode()
        ).encode()
    return body, hashlib.sha256(body).hexdigest()[:16]


def _digest_of(name: str) -> str:
    found = asset(name)
    if found is None:
        raise FileNotFoundError(f"graph/static/ui/{name} is referenced but missing")
    return found[1]


_GRAPHIQL_LINK = re.compile(r'\s*<a href="/graphql">GraphiQL</a>')


@functools.cache
def page_html(*, graphiql: bool = True) -> bytes:
    """index.html, each asset URL versioned by its content (``?v=<digest>``); the link to
    GraphiQL only where it is served."""
    html = (STATIC_DIR / "index.html").read_text()
    if not graphiql:
        html = _GRAPHIQL_LINK.sub("", html)
    return _PAGE_REFERENCE.sub(
        lambda m: f'{m[1]}="{STATIC_PATH}/{m[2]}?v={_digest_of(m[2])}"', html
    ).encode()


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    found = asset(name)
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    body, digest = found
    versioned = request.query_params.get("v") == digest
    return Response(
        body,
        media_type=MEDIA_TYPES[Path(name).suffix],
        headers={
            "cache-control": IMMUTABLE if versioned else "no-cache",
            "x-content-type-options": "nosniff",
            "etag": f'"{digest}"',
        },
    )


async def _to_dashboard(request: Request) -> Response:
    return RedirectResponse(PAGE_PATH)


def routes(*, root_redirect: bool, graphiql: bool) -> list[BaseRoute]:
    """The page, its assets and, when ``root_redirect``, ``/`` pointing at it."""
    page = page_html(graphiql=graphiql)

    async def _page(request: Request) -> Response:
        return HTMLResponse(page, headers=PAGE_HEADERS)

    served: list[BaseRoute] = [
        Route(PAGE_PATH, _page, methods=["GET"]),
        Route(f"{STATIC_PATH}/{{name:str}}", _asset, methods=["GET"]),
    ]
    if root_redirect:
        served.append(Route("/", _to_dashboard, methods=["GET"]))
    return served
