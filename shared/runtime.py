"""The composition root: turn settings into one :class:`~shared.app.App` per process.

Every entry point — the CLI's verbs, the worker, the scheduler, the web
dyno, tests, an admin script — calls :func:`build_app` once and passes the
App down. Building it opens no connection.

Order matters and is kept here only: settings and clock first; then the
engine; then the actor modules are imported (they declare their actors on
Dramatiq's global broker, ``shared.broker``); then the registry of jobs and
each domain's settings are taken from the declared actors and validated;
last the broker is bound to the App, so a worker can run nothing before
everything it needs is valid.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Iterable, Mapping

from pydantic_settings import BaseSettings

from shared.app import App
from shared.broker import app_context, broker
from shared.budget import pool_limits
from shared.clock import Clock, clock_from_settings
from shared.db import database_url, make_engine, make_session_factory
from shared.errors import ConfigError
from shared.jobs import Registry
from shared.settings import Settings, load_settings, validate_env

logger = logging.getLogger(__name__)

#: The domains dramaturg ships; each is a package under ``actors/``.
BUILTIN_ACTOR_MODULES = ("actors",)


def build_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    url: str | None = None,
    environ: Mapping[str, str] | None = None,
    load_actors: bool = True,
) -> App:
    """Build the App: settings, clock, engine, registry, domain configs, bound broker. No I/O.

    Parameters:
        settings: defaults to :func:`load_settings` from ``environ``.
        clock: defaults to the one ``DRAMATURG_NOW`` asks for, else the system clock.
        url: overrides the database URL (tests).
        environ: where domain settings are read from (default ``os.environ``).
        load_actors: import the actor modules (off for verbs that run no job, e.g. ``migrate``).

    Raises:
        ConfigError: invalid settings, an actor module that cannot be imported,
            invalid domain settings, or a job declared twice.
    """
    environ = os.environ if environ is None else environ
    settings = settings or load_settings(environ)
    clock = clock or clock_from_settings(settings)
    url = url or database_url(settings)
    # Worker threads, the heartbeat, enqueues and history share this pool; its size is
    # part of the process's connection budget (shared/budget.py).
    # A connect attempt is also bounded by the send timeout: send() must fail within it.
    pool_size, max_overflow = pool_limits(settings)
    engine = make_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=settings.send_timeout,
        connect_timeout=min(settings.db_connect_timeout, settings.send_timeout),
    )
    if load_actors:
        import_actor_modules((*BUILTIN_ACTOR_MODULES, *_listed(settings.actor_modules)))
    actors = list(broker.actors.values())
    app = App(
        settings=settings,
        clock=clock,
        engine=engine,
        sessions=make_session_factory(engine),
        broker=broker,
        registry=Registry.from_actors(actors),
        url=url,
        configs=domain_configs(actors, environ),
    )
    broker.bind(engine=engine, clock=clock, settings=settings)
    app_context.bind(app)
    return app


def _listed(text: str) -> list[str]:
    return [m.strip() for m in text.split(",") if m.strip()]


def import_actor_modules(names: Iterable[str]) -> None:
    """Import modules that declare actors (``DRAMATURG_ACTOR_MODULES=myapp.jobs,…`` adds the app's own).

    Raises:
        ConfigError: a listed module cannot be imported.
    """
    for name in names:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(f"DRAMATURG_ACTOR_MODULES: cannot import {name!r}: {exc}") from None


def domain_configs(actors: Iterable[object], environ: Mapping[str, str]) -> dict[type[BaseSettings], BaseSettings]:
    """Validate each settings class the actors declare (``config=GameConfig``) once, from ``environ``.

    Raises:
        ConfigError: naming each invalid variable.
    """
    models = {m for a in actors if (m := getattr(a, "config_model", None)) is not None}
    return {m: validate_env(m, environ, _what(m)) for m in sorted(models, key=lambda m: m.__name__)}


def _what(model: type[BaseSettings]) -> str:
    return str(model.model_config.get("title") or model.__name__)
