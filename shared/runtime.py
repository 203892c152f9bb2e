"""Start-up: turn settings into a running platform (database URL, engine, clock, bound broker).

Every entry point — CLI commands, the worker, the scheduler, tests, an app
that calls ``actor.send()`` — goes through :func:`start` once and passes the
returned :class:`Runtime` down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.clock import Clock, clock_from_settings
from shared.settings import Settings, load_settings

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    engine: Engine
    sessions: sessionmaker[Session]
    broker: object
    url: str


def database_url(settings: Settings) -> str:
    """``DATABASE_URL``, or the embedded server's URL when it is unset."""
    if settings.database_url:
        return settings.database_url
    from shared.embedded import embedded_url

    logger.info("DATABASE_URL is not set: using the embedded PostgreSQL under %s", settings.data_dir)
    return embedded_url(settings.data_dir)


def start(
    settings: Settings | None = None, *, clock: Clock | None = None, url: str | None = None, import_actors: bool = True
) -> Runtime:
    """Bind the broker to the database and load every actor. No connection is opened yet.

    Parameters:
        settings: defaults to :func:`load_settings` from the environment.
        clock: defaults to the one ``DRAMATURG_NOW`` asks for, else the system clock.
        url: overrides the database URL (tests).

    Raises:
        ConfigError: invalid settings.
    """
    from shared.broker import broker
    from shared.db import make_engine, make_session_factory

    settings = settings or load_settings()
    clock = clock or clock_from_settings(settings)
    url = url or database_url(settings)
    # Worker threads, consumer threads and the heartbeat share this pool.
    # A connect attempt is also bounded by the send timeout: send() must fail within it.
    engine = make_engine(
        url,
        pool_size=settings.worker_threads + 4,
        pool_timeout=settings.send_timeout,
        connect_timeout=min(settings.db_connect_timeout, settings.send_timeout),
    )
    runtime = Runtime(settings, clock, engine, make_session_factory(engine), broker, url)
    broker.bind(engine=engine, clock=clock, settings=settings)
    broker.runtime = runtime
    if import_actors:
        import_actor_modules(settings)
    return runtime


def import_actor_modules(settings: Settings) -> None:
    """Declare dramaturg's actors and the app's own (``DRAMATURG_ACTOR_MODULES=myapp.jobs,…``).

    Raises:
        ConfigError: a listed module cannot be imported.
    """
    import importlib

    import actors  # noqa: F401  (declares every built-in domain's actors)
    from shared.errors import ConfigError

    for name in filter(None, (m.strip() for m in settings.actor_modules.split(","))):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(f"DRAMATURG_ACTOR_MODULES: cannot import {name!r}: {exc}") from None
