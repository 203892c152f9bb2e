"""The web dyno: one FastAPI app serving the job API, admin triggers, /health, /metrics and the dashboard.

``create_app(app)`` builds it on the process's App (``shared.runtime.build_app``:
settings, clock, engine, sessions, broker, registry). ``dramaturg web`` serves it with
uvicorn; ``dramaturg up`` starts it beside the worker and the scheduler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.app import App


def create_app(platform: App, **kwargs: Any) -> FastAPI:
    """See :func:`dramaturg.web.app.create_app` (imported here on first use, so the CLI starts without FastAPI)."""
    from dramaturg.web.app import create_app as build

    return build(platform, **kwargs)


__all__ = ["create_app"]
