"""What every route reads from the app: the platform object, the web settings, a database connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from fastapi import Request
from psycopg2.extensions import connection as PgConnection

from dramaturg.web.config import WebSettings
from shared.app import App
from shared.db import pg_connection


def platform(request: Request) -> App:
    """The App/Runtime the web dyno was built on (settings, clock, engine, sessions, broker)."""
    return cast(App, request.app.state.platform)


def web_settings(request: Request) -> WebSettings:
    return cast(WebSettings, request.app.state.web_settings)


@contextmanager
def raw_connection(request: Request) -> Iterator[PgConnection]:
    """A pooled psycopg2 connection for reads; rolled back when done."""
    with platform(request).engine.connect() as conn:
        raw = pg_connection(conn)
        try:
            yield raw
        finally:
            raw.rollback()
