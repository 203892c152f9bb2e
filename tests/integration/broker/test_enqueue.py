"""Enqueue: an existing id is a no-op, a rolled-back transaction leaves nothing, an outage fails fast."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from dramatiq import Middleware

from shared.errors import DatabaseUnavailable
from tests.integration.broker.conftest import QUEUE, consumer_of, effect_counts, noop, other_broker, record, states
from tests.support.waiting import wait_until


def test_enqueueing_an_existing_id_again_changes_nothing(app, raw):
    # Given a queued message
    message = noop.message(1)
    assert app.broker.enqueue_many([message]) == [message.message_id]
    # When the same id is enqueued again, alone and in a batch with a new one
    again = app.broker.enqueue_many([message])
    fresh = noop.message(2)
    mixed = app.broker.enqueue_many([message, fresh])
    # Then only the new id was inserted
    assert again == [] and mixed == [fresh.message_id]
    assert states(raw) == {"queued": 2}


def test_enqueueing_the_id_of_a_finished_message_does_not_run_it_again(app, worker, effects):
    # Given a message that ran to completion
    message = record.message(7)
    app.broker.enqueue(message)
    app.broker.join(QUEUE, timeout=10)
    assert effect_counts(effects) == {7: 1}
    # When the same id is sent again (a replayed fan-out, a retried request)
    app.broker.enqueue(message)
    sentinel = record.send(8)
    # Then it stays done and does not run twice
    app.broker.join(QUEUE, timeout=10)
    assert effect_counts(effects) == {7: 1, 8: 1}
    with effects.cursor() as cur:
        cur.execute(
            "SELECT state::text, claims FROM dramatiq.queue WHERE message_id IN (%s, %s) ORDER BY enqueued_at, mtime",
            (message.message_id, sentinel.message_id),
        )
        assert cur.fetchall() == [("done", 1), ("done", 1)]


def test_send_inside_a_rolled_back_transaction_leaves_no_message(app, raw):
    # Given a session transaction that sends through the broker
    with app.sessions() as session:
        with app.broker.transaction(session):
            noop.send(1)
            noop.send(2)
        # The messages are visible inside the transaction…
        assert session.connection().exec_driver_sql("SELECT count(*) FROM dramatiq.queue").scalar() == 2
        # When it rolls back
        session.rollback()
    # Then nothing was enqueued
    assert states(raw) == {}


def test_bulk_enqueue_joined_to_a_rolled_back_session_leaves_nothing(app, raw):
    # Given a session that also wrote domain data
    with app.sessions() as session:
        session.connection().exec_driver_sql("CREATE TEMP TABLE marker (x int)")
        new = app.broker.enqueue_many([noop.message(i) for i in range(100)], conn=session)
        assert len(new) == 100
        # When the transaction rolls back
        session.rollback()
    # Then none of the 100 messages exists
    assert states(raw) == {}
    # And a committed one does
    with app.sessions.begin() as session:
        app.broker.enqueue_many([noop.message(0)], conn=session)
    assert states(raw) == {"queued": 1}


def _queued_ids(raw) -> set[str]:
    with raw.cursor() as cur:
        cur.execute("SELECT message_id::text FROM dramatiq.queue")
        rows = {r[0] for r in cur.fetchall()}
    raw.rollback()
    return rows


def test_a_large_batch_with_some_existing_ids_inserts_only_the_new_ones_and_keeps_the_transaction(app, raw):
    # Given 10 queued messages, and a session that has written its own data
    old = [noop.message(i) for i in range(10)]
    app.broker.enqueue_many(old)
    fresh = [noop.message(i) for i in range(10, 200)]
    batch = old[:5] + fresh[:100] + old[5:] + fresh[100:] + [fresh[0]]  # and one id twice in the batch
    with app.sessions() as session:
        session.connection().exec_driver_sql("CREATE TEMP TABLE marker (x int); INSERT INTO marker VALUES (1)")
        # When a batch large enough for COPY mixes them with 190 new ones
        new = app.broker.enqueue_many(batch, conn=session)
        # Then the caller's transaction is intact and goes on
        assert session.connection().exec_driver_sql("SELECT count(*) FROM marker").scalar() == 1
        session.commit()
    # And exactly the new ids were inserted, in the batch's order, and the old rows are untouched
    assert new == [m.message_id for m in fresh]
    assert _queued_ids(raw) == {m.message_id for m in old + fresh}
    assert states(raw) == {"queued": 200}


def test_a_large_batch_of_new_ids_lands_whole_with_its_eta_and_runs(app, raw, worker, effects):
    # Given a batch of new ids due in the future, and one due now
    later = app.broker.clock.now() + timedelta(hours=1)
    delayed = [noop.message(i) for i in range(100)]
    assert app.broker.enqueue_many(delayed, eta=later) == [m.message_id for m in delayed]
    due = [record.message(i) for i in range(100)]
    # When the due one is enqueued (COPY, with no transaction of the caller's)
    assert app.broker.enqueue_many(due) == [m.message_id for m in due]
    # Then the worker runs the due ones (the NOTIFY rode along), and the delayed ones wait
    wait_until(lambda: effect_counts(effects) == {i: 1 for i in range(100)}, timeout=30)
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM dramatiq.queue WHERE state = 'queued' AND eta = %s", (later,))
        assert cur.fetchone()[0] == 100
    raw.rollback()


def test_a_large_batch_on_an_autocommit_connection_skips_existing_ids(app, raw):
    # Given a psycopg2 connection in autocommit, and one id already queued
    existing = noop.message(0)
    app.broker.enqueue_many([existing])
    pooled = app.engine.raw_connection()
    conn = pooled.dbapi_connection
    try:
        conn.autocommit = True
        batch = [noop.message(i) for i in range(1, 100)]
        # When a COPY-sized batch is enqueued through it, fresh, then with the existing id
        assert app.broker.enqueue_many(batch, conn=conn) == [m.message_id for m in batch]
        more = [noop.message(i) for i in range(100, 170)]
        assert app.broker.enqueue_many([existing, *more], conn=conn) == [m.message_id for m in more]
    finally:
        conn.autocommit = False
        pooled.close()
    # Then every message is there once
    assert states(raw) == {"queued": 170}


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers (a hung database host)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield sock.getsockname()[1]
    sock.close()


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    return port


@pytest.mark.parametrize("where", ["closed port", "silent server"])
def test_send_with_the_database_unreachable_fails_within_the_send_timeout(where, clock, silent_server):
    from shared.runtime import build_app
    from shared.settings import load_settings

    # Given a app bound to a database that cannot be reached, with a 2 s send timeout
    port = _closed_port() if where == "closed port" else silent_server
    url = f"postgresql://postgres:hunter2@127.0.0.1:{port}/nowhere"
    rt = build_app(load_settings({"DATABASE_URL": url, "DRAMATURG_SEND_TIMEOUT": "2"}), clock=clock)
    try:
        # When an actor is sent
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable) as caught:
            noop.send(1)
        elapsed = time.monotonic() - started
    finally:
        rt.engine.dispose()
    # Then it fails with a readable error within the timeout, without the password
    assert elapsed < 2 + 1.0, f"send took {elapsed:.1f}s"
    assert f"127.0.0.1:{port}" in str(caught.value) and "hunter2" not in str(caught.value)


class _RecordsEnqueues(Middleware):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int | None]] = []

    def before_enqueue(self, broker, message, delay):
        self.seen.append(("before", message.message_id, delay))

    def after_enqueue(self, broker, message, delay):
        self.seen.append(("after", message.message_id, delay))


def test_bulk_enqueue_and_a_saved_retry_emit_the_enqueue_hooks_for_each_message(app, clock):
    # Given a broker with a middleware that records the enqueue hooks
    broker = other_broker(app)
    recorder = _RecordsEnqueues()
    broker.add_middleware(recorder)
    # When a batch is enqueued, due in 2 s
    a, b = noop.message(1), noop.message(2)
    broker.enqueue_many([a, b], eta=clock.now() + timedelta(seconds=2))
    # Then each message went through before_enqueue, then after_enqueue, with its delay
    assert recorder.seen == [
        ("before", a.message_id, 2000),
        ("before", b.message_id, 2000),
        ("after", a.message_id, 2000),
        ("after", b.message_id, 2000),
    ]
    # And when a claimed message's retry is saved (what the Retries middleware does)
    recorder.seen.clear()
    clock.advance(2)
    consumer = consumer_of(broker, prefetch=2)
    consumer._cycle(True, 1)
    claimed = consumer.buffer.popleft()
    broker.enqueue(claimed, delay=500)
    # Then the retry emits them too
    assert recorder.seen == [("before", claimed.message_id, 500), ("after", claimed.message_id, 500)]
    consumer.close()
