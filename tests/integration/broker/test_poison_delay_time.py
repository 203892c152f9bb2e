"""Poison rows are rejected with a reason, delayed messages wait for their eta, timestamps are zone-proof."""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg2
import pytest
from psycopg2 import sql
from psycopg2.extras import Json

from shared.clock import SystemClock
from tests.integration.broker.conftest import QUEUE, effect_counts, record, states
from tests.support.waiting import wait_until


def _insert_raw(raw, message_id: str, body, eta) -> None:
    # eta from the test clock: the column's default is the real time, later than the frozen T0
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO dramatiq.queue (message_id, queue_name, state, message, eta) VALUES (%s, %s, 'queued', %s, %s)",
            (message_id, QUEUE, Json(body), eta),
        )


def test_poison_rows_are_rejected_with_a_reason_and_the_rest_still_run(runtime, effects, request):
    # Given valid messages enqueued around an undecodable body and an unknown actor
    broker = runtime.broker
    broker.enqueue_many([record.message(i) for i in range(5)])
    _insert_raw(effects, "00000000-0000-0000-0000-00000000bad1", {"not": "a dramatiq message"}, runtime.clock.now())
    unknown = record.message(99).asdict() | {
        "actor_name": "test.broker.nobody",
        "message_id": "00000000-0000-0000-0000-00000000bad2",
    }
    _insert_raw(effects, unknown["message_id"], unknown, runtime.clock.now())
    broker.enqueue_many([record.message(i) for i in range(5, 10)])
    # When the worker runs
    request.getfixturevalue("worker")
    wait_until(lambda: states(effects) == {"done": 10, "rejected": 2}, timeout=20, message="queue settled")
    # Then each poison row is rejected with why, and every valid message ran once
    with effects.cursor() as cur:
        cur.execute("SELECT message_id::text, reason FROM dramatiq.queue WHERE state = 'rejected' ORDER BY message_id")
        (bad1, reason1), (bad2, reason2) = cur.fetchall()
    assert bad1.endswith("bad1") and reason1.startswith("undecodable message")
    assert bad2.endswith("bad2") and reason2 == "unknown actor 'test.broker.nobody'"
    assert effect_counts(effects) == {i: 1 for i in range(10)}


def test_delayed_message_waits_for_its_eta_on_the_clock(runtime, worker, effects, clock):
    # Given a message delayed by one minute, then an immediate one (clock frozen at T0)
    delayed = record.send_with_options(args=(1,), delay=60_000)
    record.send(2)
    # When the worker has run the immediate one
    wait_until(lambda: effect_counts(effects) == {2: 1}, timeout=10)
    # Then the delayed one is still queued with its eta one minute ahead
    with effects.cursor() as cur:
        cur.execute("SELECT state::text, eta, claims FROM dramatiq.queue WHERE message_id = %s", (delayed.message_id,))
        assert cur.fetchone() == ("queued", clock.now() + timedelta(minutes=1), 0)
    # And it runs once the clock reaches its eta
    clock.advance(60)
    wait_until(lambda: effect_counts(effects) == {1: 1, 2: 1}, timeout=10)


class TestTimestampsInAnySessionZone:
    """Rows written by sessions in Los Angeles time still carry the real instant."""

    @pytest.fixture
    def clock(self):
        return SystemClock()

    def test_enqueued_at_and_mtime_are_the_real_instant(self, runtime, raw):
        # Given every new session of this database runs in America/Los_Angeles
        with raw.cursor() as cur:
            cur.execute("SELECT current_database()")
            (name,) = cur.fetchone()
            cur.execute(sql.SQL("ALTER DATABASE {} SET TIME ZONE 'America/Los_Angeles'").format(sql.Identifier(name)))
        # When a message is enqueued and a row is inserted with the table's defaults
        record.send(1)
        check = psycopg2.connect(runtime.engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
        try:
            with check, check.cursor() as cur:
                cur.execute("SHOW TIME ZONE")
                assert cur.fetchone() == ("America/Los_Angeles",)
                cur.execute("INSERT INTO dramatiq.queue (message_id, state) VALUES (gen_random_uuid(), 'done')")
                # Then, read from a Los Angeles session too, each instant is within seconds of real now
                cur.execute("SET TIME ZONE 'America/Los_Angeles'")
                cur.execute(
                    "SELECT extract(epoch FROM mtime), extract(epoch FROM enqueued_at), extract(epoch FROM eta) "
                    "FROM dramatiq.queue"
                )
                rows = cur.fetchall()
        finally:
            check.close()
        assert len(rows) == 2
        for instants in rows:
            for epoch in instants:
                assert abs(float(epoch) - time.time()) < 5, rows
