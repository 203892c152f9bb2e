"""The web dyno: one FastAPI app serving the job API, admin triggers, /health, /metrics and the dashboard.

``create_app(app_or_runtime)`` builds it on an already-built platform object
(``shared.runtime.start()``'s Runtime or the App that replaces it:
settings, clock, engine, sessions, broker). ``dramaturg web`` serves it with
uvicorn; ``dramaturg up`` starts it beside the worker and the scheduler.
"""

from __future__ import annotations


def create_app(app_or_runtime, **kwargs):
    """See :func:`dramaturg.web.app.create_app` (imported here on first use, so the CLI starts without FastAPI)."""
    from dramaturg.web.app import create_app as build

    return build(app_or_runtime, **kwargs)


__all__ = ["create_app"]
