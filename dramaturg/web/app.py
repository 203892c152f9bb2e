"""The app factory: ``create_app(platform)`` → a FastAPI app, no I/O until a request comes.

It takes the already-built platform object (``Runtime`` today, ``App`` after
the composition-root change; the same attributes) instead of building one, so
tests, ``dramaturg web`` and ``dramaturg up`` share one construction path.
OpenAPI docs are at ``/docs``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dramaturg.web import api_admin, api_jobs, errors, health, metrics, pages
from dramaturg.web.config import WebSettings, load_web_settings

if TYPE_CHECKING:
    from shared.app import App


def create_app(platform: App, *, settings: WebSettings | None = None) -> FastAPI:
    """Build the web dyno on ``platform``.

    Parameters:
        platform: the platform (settings, clock, engine, sessions, broker).
        settings: the web settings (default: from the environment).

    Raises:
        ConfigError: invalid web settings.
    """
    web = FastAPI(
        title="dramaturg",
        summary="Background jobs and cron on PostgreSQL: job API, admin triggers, health, metrics, dashboard.",
        version="0.1.0",
    )
    web.state.platform = platform
    web.state.web_settings = settings or load_web_settings()
    errors.install(web)
    pages.install(web)
    web.state.metrics_registry = metrics.registry_for(platform)
    web.include_router(api_jobs.router)
    web.include_router(api_admin.router)
    web.include_router(health.router)
    web.include_router(metrics.router)
    web.include_router(pages.router)
    web.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    return web
