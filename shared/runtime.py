"""The composition root: turn settings into one :class:`~shared.app.App` per process.

Every entry point — the CLI's verbs, the worker, the scheduler, the web
dyno, tests, an admin script — calls :func:`build_app` once and passes the
App down. Building it opens no connection, and builds no pool: the engine
is made by its first use, so a verb that only reads imports no SQLAlchemy.

Order matters and is kept here only: settings and clock first; then the
engine's recipe; then the actor modules are imported (they declare their actors on
Dramatiq's global broker, ``shared.broker``): the built-in maintenance jobs,
the seed domains named in ``DRAMATURG_APPS`` (shared/domains.py) and the
app's own ``DRAMATURG_ACTOR_MODULES``; then the registry of jobs and each
domain's settings are taken from the declared actors of enabled domains and
validated; last the broker is bound to the App, so a worker can run nothing
before everything it needs is valid.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Iterable, Mapping

from pydantic import BaseModel

from shared.app import App
from shared.broker import app_context, broker
from shared.budget import pool_limits
from shared.clock import Clock, clock_from_settings
from shared.db import EngineOnDemand, database_url, make_engine
from shared.domains import DOMAINS, PLATFORM_ACTOR_MODULES, domain_of
from shared.errors import ConfigError
from shared.jobs import Registry
from shared.settings import Settings, load_settings, validate_env

logger = logging.getLogger(__name__)


def build_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    url: str | None = None,
    environ: Mapping[str, str] | None = None,
    load_actors: bool = True,
    pooled: bool = True,
) -> App:
    """Build the App: settings, clock, engine, registry, domain configs, bound broker. No I/O.

    Parameters:
        settings: defaults to :func:`load_settings` from ``environ``.
        clock: defaults to the one ``DRAMATURG_NOW`` asks for, else the system clock.
        url: overrides the database URL (tests).
        environ: where domain settings are read from (default ``os.environ``).
        load_actors: import the actor modules (off for verbs that run no job, e.g. ``migrate``).
        pooled: off for a process that asks a few things and exits (``App.connection`` then connects directly).

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
    engine = EngineOnDemand(
        lambda: make_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=settings.send_timeout,
            connect_timeout=min(settings.db_connect_timeout, settings.send_timeout),
        )
    )
    if load_actors:
        domains = [DOMAINS[name].module for name in settings.apps]
        import_actor_modules((*PLATFORM_ACTOR_MODULES, *domains, *_listed(settings.actor_modules)))
    # The broker is global: a disabled domain imported elsewhere in this process stays out of this App.
    actors = [a for a in broker.actors.values() if _enabled(a, settings)]
    app = App(
        settings=settings,
        clock=clock,
        engine_on_demand=engine,
        broker=broker,
        registry=Registry.from_actors(actors, not_enabled=lambda job: app_declaring(job, settings)),
        url=url,
        configs=domain_configs(actors, environ),
        pooled=pooled,
    )
    broker.bind(engine=engine, clock=clock, settings=settings)
    app_context.bind(app)
    return app


def _enabled(actor: object, settings: Settings) -> bool:
    domain = domain_of(actor)
    return domain is None or domain in settings.apps


def app_declaring(job: str, settings: Settings) -> str | None:
    """The seed domain that declares ``job`` but is not enabled in ``settings``, else None.

    For the error that says which app to enable. Only this error path imports
    a disabled domain: its actors are then declared on the global broker, and
    stay out of every App that does not enable it.
    """
    for domain in DOMAINS.values():
        if domain.name in settings.apps:
            continue
        try:
            importlib.import_module(domain.module)
        except ImportError:
            continue
        for actor in list(broker.actors.values()):
            spec = getattr(actor, "job_spec", None)
            if spec is not None and spec.name == job and domain_of(actor) == domain.name:
                return domain.name
    return None


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


def domain_configs(actors: Iterable[object], environ: Mapping[str, str]) -> dict[type[BaseModel], BaseModel]:
    """Validate each settings class the actors declare (``config=GameConfig``) once, from ``environ``.

    Raises:
        ConfigError: naming each invalid variable.
    """
    models = {m for a in actors if (m := getattr(a, "config_model", None)) is not None}
    return {m: validate_env(m, environ, _what(m)) for m in sorted(models, key=lambda m: m.__name__)}


def _what(model: type[BaseModel]) -> str:
    return str(model.model_config.get("title") or model.__name__)
