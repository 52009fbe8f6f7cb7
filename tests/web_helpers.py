"""Signing in through the real login form (with its CSRF token), for TestClient-based tests."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.world import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in and return the session's CSRF token (read from the first page after sign-in)."""
    client.cookies.clear()
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_from(page.text)})
    assert response.status_code == 303, response.text
    landing = client.get("/account")
    return csrf_from(landing.text)
