"""Actors for the per-queue limit tests, in-process and in ``dramaturg worker`` subprocesses
(``DRAMATURG_ACTOR_MODULES=tests.integration.broker.limit_actors``).

``hold(n, queue, work_ms, gated)`` records its start in ``limit_runs`` (with its process id),
waits until the test opens ``limit_gate`` (when gated), works ``work_ms`` and records its end: the
rows say how many ran at once, in which process, and how often each message ran.
The capped queue's cap is declared here in code (2); the tests set a higher one
in the environment, which wins.
"""

from __future__ import annotations

import os
import time

import dramatiq
import psycopg2.extensions

from shared.app import App
from shared.broker import broker
from shared.postgres_broker import PostgresBroker
from shared.postgres_consumer import PostgresConsumer

CAPPED = "test-capped"
LEASED = "test-leased"
UNCAPPED = "test-uncapped"
CODE_CAP = 2
#: A held job gives up waiting for its gate after this long (a test that failed never opens it).
GATE_TIMEOUT_S = 120.0

broker.limit_queue(CAPPED, concurrency=CODE_CAP)

TABLES = """
CREATE TABLE limit_runs (
    id bigserial PRIMARY KEY, n integer NOT NULL, queue text NOT NULL, pid integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(), ended_at timestamptz
);
CREATE TABLE limit_gate (opened_at timestamptz NOT NULL DEFAULT clock_timestamp());
"""


def _gate_open(cur: psycopg2.extensions.cursor) -> bool:
    cur.execute("SELECT EXISTS (SELECT FROM limit_gate)")
    return bool(cur.fetchone()[0])


def hold(n: int, queue: str, work_ms: int = 0, gated: bool = True) -> None:
    with broker.pooled() as raw, raw.cursor() as cur:
        cur.execute("INSERT INTO limit_runs (n, queue, pid) VALUES (%s, %s, %s) RETURNING id", (n, queue, os.getpid()))
        (run_id,) = cur.fetchone()
        raw.commit()
        deadline = time.monotonic() + GATE_TIMEOUT_S
        while gated and not _gate_open(cur) and time.monotonic() < deadline:
            raw.rollback()
            time.sleep(0.02)  # sleep-ok: the job's own wait for its gate (the work under test)
        if work_ms:
            time.sleep(work_ms / 1000)  # sleep-ok: the work itself, a slow-ish job
        cur.execute("UPDATE limit_runs SET ended_at = clock_timestamp() WHERE id = %s", (run_id,))
        raw.commit()


ACTORS = {
    queue: dramatiq.actor(hold, actor_name=f"test.limits.hold.{queue}", queue_name=queue, broker=broker, max_retries=0)
    for queue in (CAPPED, LEASED, UNCAPPED)
}


def worker_broker(app: App, lease_seconds: float | None = None) -> PostgresBroker:
    """Another worker process's broker (its own worker id) on the same database, knowing the same
    actors and code-declared limits; it renews nothing unless the test calls ``heartbeat_once``.

    ``lease_seconds`` replaces the global lease: a test that only looks at claimed rows gives them
    one long enough that no heartbeat on a loaded machine rescues them while it looks.
    """
    settings = app.settings
    if lease_seconds is not None:
        settings = settings.model_copy(update={"lease_seconds": lease_seconds})
    other = PostgresBroker(middleware=[])
    other.bind(engine=app.engine, clock=app.clock, settings=settings)
    other.declared_limits = dict(broker.declared_limits)
    for queue, actor in ACTORS.items():
        dramatiq.actor(actor.fn, actor_name=actor.actor_name, queue_name=queue, broker=other)
    return other


def consumer(on: PostgresBroker, queue: str, prefetch: int = 50) -> PostgresConsumer:
    return PostgresConsumer(broker=on, queue_name=queue, prefetch=prefetch, timeout=100)


def enqueue(app: App, queue: str, n: int) -> list[str]:
    return app.broker.enqueue_many([ACTORS[queue].message(i, queue) for i in range(n)])
