"""The jobs every built-in domain declares, for tests that need their names without building an App."""

from __future__ import annotations

from shared.jobs import Registry


def declared_jobs() -> Registry:
    import actors  # noqa: F401  (declares every built-in domain's actors on the broker)
    from shared.broker import broker

    return Registry.from_actors(broker.actors.values())
