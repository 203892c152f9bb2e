"""The jobs every built-in domain declares, for tests that need their names without building an App."""

from __future__ import annotations

import importlib

from shared.domains import DOMAINS, PLATFORM_ACTOR_MODULES
from shared.jobs import Registry

#: Every seed domain: the test suite's template database and apps enable them all.
ALL_APPS = tuple(DOMAINS)


def import_every_domain() -> None:
    """Declare the maintenance jobs and every seed domain's actors on the broker (and their tables)."""
    for module in (*PLATFORM_ACTOR_MODULES, *(d.module for d in DOMAINS.values())):
        importlib.import_module(module)


def declared_jobs() -> Registry:
    from shared.broker import broker

    import_every_domain()
    return Registry.from_actors(broker.actors.values())
