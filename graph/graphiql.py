"""GraphiQL served by ModelServe itself: our page and vendored assets, nothing from a CDN."""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static" / "graphiql"
STATIC_PATH = "/graphql/static"
# What the page loads; the directory's README, licences and vendor script are not served.
SERVED_SUFFIXES = frozenset({".js", ".css", ".svg"})

# GraphiQL's stylesheet embeds its fonts and a few icons as data: URLs; nothing else is
# needed beyond 'self' (no inline script or style, no eval). 'self' covers ws:// and wss://
# to the same host, which the subscriptions use.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "cache-control": "no-cache",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}
# Asset URLs in the page carry their content digest, so a cached copy is never stale.
IMMUTABLE = "public, max-age=31536000, immutable"

_ASSET_REFERENCE = re.compile(rf'(src|href)="{re.escape(STATIC_PATH)}/([\w.-]+)"')


@functools.cache
def _digest(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:16]


@functools.cache
def page_html() -> bytes:
    """index.html, each asset URL versioned by its content (``?v=<digest>``)."""
    html = (STATIC_DIR / "index.html").read_text()
    return _ASSET_REFERENCE.sub(
        lambda match: f'{match[1]}="{STATIC_PATH}/{match[2]}?v={_digest(match[2])}"', html
    ).encode()


def page_response() -> Response:
    return HTMLResponse(page_html(), headers=PAGE_HEADERS)


class Assets(StaticFiles):
    """The page's scripts, styles and icon; versioned URLs may be cached for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if PurePosixPath(path).suffix not in SERVED_SUFFIXES:
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        versioned = b"v=" in scope.get("query_string", b"")
        response.headers["cache-control"] = IMMUTABLE if versioned else "no-cache"
        response.headers["x-content-type-options"] = "nosniff"
        return response


async def _to_ide(request: Request) -> Response:
    return RedirectResponse("/graphql")


def routes() -> list[BaseRoute]:
    """The assets under ``STATIC_PATH``, and ``/`` pointing people at the IDE."""
    return [
        Mount(STATIC_PATH, app=Assets(directory=STATIC_DIR), name="graphiql-static"),
        Route("/", _to_ide, methods=["GET"]),
    ]
