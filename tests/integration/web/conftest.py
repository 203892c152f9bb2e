"""Fixtures for the web dyno: the app on a real uvicorn server on 127.0.0.1, API keys, an HTTP client.

The web dyno runs on the test's App (its own database) next to the real
in-process worker of ``tests/conftest.py``; requests go over real HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests

from tests.integration.web import actors  # declares the webtest actors before the worker starts


@dataclass
class Client:
    base: str
    key: str | None = None

    def __call__(self, method: str, path: str, *, key: str | None = "default", **kw) -> requests.Response:
        token = self.key if key == "default" else key
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.base + path, headers=headers, timeout=30, **kw)

    def as_key(self, key: str | None) -> Client:
        return Client(self.base, key)


@pytest.fixture
def web_settings():
    from dramaturg.web.config import WebSettings

    return WebSettings()


@pytest.fixture
def web(app, web_settings):
    """The web dyno serving this test's database on a free loopback port."""
    from dramaturg.web import create_app
    from dramaturg.web.server import ThreadedServer

    with ThreadedServer(create_app(app, settings=web_settings)) as server:
        yield server


@pytest.fixture
def client(web) -> Client:
    return Client(web.url)


@pytest.fixture
def make_key(app):
    """``make_key(org="acme")`` or ``make_key(admin=True)`` → a token."""
    from shared import api_keys

    def make(org: str | None = None, admin: bool = False) -> str:
        with app.engine.begin() as conn:
            token, _ = api_keys.create(
                conn.connection.dbapi_connection,
                scope="admin" if admin else "org",
                org_id=None if admin else org,
                now=app.clock.now(),
            )
        return token

    return make


@pytest.fixture
def gate():
    """Holds every ``webtest.block`` run until opened (always opened at the end)."""
    actors.GATE.clear()
    yield actors.GATE
    actors.GATE.set()
