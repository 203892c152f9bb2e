"""Broker test actors and helpers: a side-effect table, a second broker standing in for another worker.

The actors are declared on the global broker at import (Dramatiq keeps
them), on their own queue so no platform job shares it. ``record(n)``
inserts one row per run into ``broker_effects``, so a test can count how
many times each message ran.
"""

from __future__ import annotations

import dramatiq
import pytest

from shared.broker import broker as global_broker
from shared.postgres_broker import PostgresBroker
from shared.postgres_consumer import PostgresConsumer

QUEUE = "test-broker"


def _noop(n: int) -> None:
    """Does nothing: measures the broker alone."""


def _record(n: int) -> None:
    # The worker's own pool: the row commits before Dramatiq acks the message.
    with global_broker.pooled() as raw, raw.cursor() as cur:
        cur.execute("INSERT INTO broker_effects (n) VALUES (%s)", (n,))
        raw.commit()


noop = dramatiq.actor(_noop, actor_name="test.broker.noop", queue_name=QUEUE, broker=global_broker, max_retries=0)
record = dramatiq.actor(_record, actor_name="test.broker.record", queue_name=QUEUE, broker=global_broker, max_retries=0)
record_retried = dramatiq.actor(
    _record, actor_name="test.broker.record_retried", queue_name=QUEUE, broker=global_broker, max_retries=3
)


def other_broker(app, lease_seconds: float | None = None) -> PostgresBroker:
    """Another worker's broker (its own worker_id) on the same database, knowing the same actors.

    It never starts a heartbeat unless the test calls ``heartbeat_once``: a
    consumer built on it with :func:`consumer_of` behaves like a worker that
    claims rows and then dies. ``lease_seconds`` gives its claims a lease of
    their own, so a test can let a dead worker's lease run out while the live
    worker's stays far from expiry on a loaded machine.
    """
    settings = app.settings
    if lease_seconds is not None:
        settings = settings.model_copy(update={"lease_seconds": lease_seconds})
    other = PostgresBroker(middleware=[])
    other.bind(engine=app.engine, clock=app.clock, settings=settings)
    for actor in (noop, record):
        dramatiq.actor(actor.fn, actor_name=actor.actor_name, queue_name=QUEUE, broker=other)
    return other


def consumer_of(broker: PostgresBroker, prefetch: int = 50) -> PostgresConsumer:
    return PostgresConsumer(broker=broker, queue_name=QUEUE, prefetch=prefetch, timeout=100)


def states(raw, queue: str = QUEUE) -> dict[str, int]:
    with raw.cursor() as cur:
        cur.execute("SELECT state::text, count(*) FROM dramatiq.queue WHERE queue_name = %s GROUP BY 1", (queue,))
        return dict(cur.fetchall())


def effect_counts(raw) -> dict[int, int]:
    with raw.cursor() as cur:
        cur.execute("SELECT n, count(*) FROM broker_effects GROUP BY n")
        return dict(cur.fetchall())


@pytest.fixture
def effects(raw):
    """The table ``record(n)`` writes to, one row per run."""
    with raw.cursor() as cur:
        cur.execute("CREATE TABLE broker_effects (id bigserial PRIMARY KEY, n integer NOT NULL)")
    return raw
