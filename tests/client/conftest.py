"""Fixtures for the Python client's tests: a signed-up user on the live server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import DEFAULT_PASSWORD

EMAIL = "ada@example.com"


@pytest.fixture
async def ada(signup) -> dict[str, Any]:
    """Ada, registered and signed in (her login payload), with her password."""
    payload = await signup(EMAIL)
    return {**payload, "email": EMAIL, "password": DEFAULT_PASSWORD}


@pytest.fixture
def url(live_server: str) -> str:
    return f"http://{live_server}"
