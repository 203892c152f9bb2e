"""The connection budget of a worker: one shared LISTEN connection, one per consumed queue, the pool."""

from __future__ import annotations

import threading

import pytest

from shared.budget import pool_max, process_connections
from shared.postgres_consumer import PostgresConsumer
from tests.integration.broker.conftest import QUEUE, noop, states
from tests.support.waiting import wait_until


def _connections(raw) -> dict[str, int]:
    """This database's connections opened by dramaturg, by application name."""
    with raw.cursor() as cur:
        cur.execute(
            "SELECT application_name, count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE 'dramaturg%%' GROUP BY 1"
        )
        return dict(cur.fetchall())


def test_a_worker_shares_one_listen_connection_across_its_queues_and_stays_within_its_budget(app, worker, raw):
    # Given a worker consuming every declared queue
    queues = len(worker.consumers)
    assert queues > 1
    wait_until(
        lambda: _connections(raw).get("dramaturg-consumer") == queues,
        timeout=10,
        message=lambda: str(_connections(raw)),
    )
    # When a burst runs through one queue
    app.broker.enqueue_many([noop.message(i) for i in range(500)])
    app.broker.join(QUEUE, timeout=30)
    # Then the worker holds one LISTEN connection for all its queues, one per consumer,
    # and no more than its pool: within pool + 1 + queues
    seen = _connections(raw)
    assert seen["dramaturg-listen"] == 1
    assert seen["dramaturg-consumer"] == queues
    assert seen.get("dramaturg", 0) <= pool_max(app.settings)
    assert sum(seen.values()) <= process_connections(app.settings, queues)


def _listen_pids(raw) -> list[int]:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'dramaturg-listen' "
            "AND datname = current_database()"
        )
        return [r[0] for r in cur.fetchall()]


class TestAPoolSizeSetting:
    @pytest.fixture
    def settings_overrides(self):
        return {"DRAMATURG_DB_POOL_SIZE": "3"}

    def test_caps_the_pool_and_the_worker_still_drains(self, app, worker, raw):
        # Given DRAMATURG_DB_POOL_SIZE=3 for a worker with 4 threads
        assert (app.engine.pool.size(), app.engine.pool._max_overflow) == (3, 0)
        # When 200 messages run, sampling the pool's connections meanwhile
        app.broker.enqueue_many([noop.message(i) for i in range(200)])
        samples: list[int] = []

        def drained() -> bool:
            samples.append(_connections(raw).get("dramaturg", 0))
            return states(raw) == {"done": 200}

        wait_until(drained, timeout=30, message=lambda: str(states(raw)))
        # Then all ran, and the pool never held more than 3
        assert max(samples) <= 3


class TestTheListener:
    @pytest.fixture
    def settings_overrides(self):
        return {"DRAMATURG_POLL_SECONDS": "60"}  # only a notify can wake an idle consumer within the test

    def test_wakes_an_idle_consumer_on_enqueue_also_after_losing_its_connection(self, app, raw):
        broker = app.broker
        consumer = PostgresConsumer(broker=broker, queue_name=QUEUE, prefetch=4, timeout=60_000)
        got: list = []
        stop = threading.Event()

        def consume() -> None:
            while not stop.is_set():
                message = next(consumer)
                if message is not None:
                    got.append(message)

        thread = threading.Thread(target=consume, daemon=True)
        thread.start()
        try:
            # Given an idle consumer asleep on the process's listener
            wait_until(lambda: _connections(raw).get("dramaturg-listen") == 1, timeout=10)
            # When a message is sent, it is woken and claims it (long before its 60 s poll)
            noop.send(1)
            wait_until(lambda: len(got) == 1, timeout=10, message="woken by the notify")
            # And when the LISTEN connection is cut (a database restart, a proxy), the
            # listener reconnects and the next enqueue wakes the consumer again
            (old,) = _listen_pids(raw)
            with raw.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(%s)", (old,))
            wait_until(lambda: (pids := _listen_pids(raw)) and old not in pids, timeout=15, message="reconnected")
            assert len(_listen_pids(raw)) == 1
            noop.send(2)
            wait_until(lambda: len(got) == 2, timeout=10, message="woken after the listener reconnected")
        finally:
            stop.set()
            noop.send(3)  # wake it so the thread ends
            thread.join(timeout=10)
            consumer.close()
