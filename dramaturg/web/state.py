"""What every route reads from the app: the platform object, the web settings, a database connection."""

from __future__ import annotations

from contextlib import contextmanager

from fastapi import Request


def platform(request: Request):
    """The App/Runtime the web dyno was built on (settings, clock, engine, sessions, broker)."""
    return request.app.state.platform


def web_settings(request: Request):
    return request.app.state.web_settings


@contextmanager
def raw_connection(request: Request):
    """A pooled psycopg2 connection for reads; rolled back when done."""
    with platform(request).engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        try:
            yield raw
        finally:
            raw.rollback()
