"""Enqueue: an existing id is a no-op, a rolled-back transaction leaves nothing, an outage fails fast."""

from __future__ import annotations

import socket
import time

import pytest

from shared.errors import DatabaseUnavailable
from tests.integration.broker.conftest import QUEUE, effect_counts, noop, record, states


def test_enqueueing_an_existing_id_again_changes_nothing(runtime, raw):
    # Given a queued message
    message = noop.message(1)
    assert runtime.broker.enqueue_many([message]) == [message.message_id]
    # When the same id is enqueued again, alone and in a batch with a new one
    again = runtime.broker.enqueue_many([message])
    fresh = noop.message(2)
    mixed = runtime.broker.enqueue_many([message, fresh])
    # Then only the new id was inserted
    assert again == [] and mixed == [fresh.message_id]
    assert states(raw) == {"queued": 2}


def test_enqueueing_the_id_of_a_finished_message_does_not_run_it_again(runtime, worker, effects):
    # Given a message that ran to completion
    message = record.message(7)
    runtime.broker.enqueue(message)
    runtime.broker.join(QUEUE, timeout=10)
    assert effect_counts(effects) == {7: 1}
    # When the same id is sent again (a replayed fan-out, a retried request)
    runtime.broker.enqueue(message)
    sentinel = record.send(8)
    # Then it stays done and does not run twice
    runtime.broker.join(QUEUE, timeout=10)
    assert effect_counts(effects) == {7: 1, 8: 1}
    with effects.cursor() as cur:
        cur.execute(
            "SELECT state::text, claims FROM dramatiq.queue WHERE message_id IN (%s, %s) ORDER BY enqueued_at, mtime",
            (message.message_id, sentinel.message_id),
        )
        assert cur.fetchall() == [("done", 1), ("done", 1)]


def test_send_inside_a_rolled_back_transaction_leaves_no_message(runtime, raw):
    # Given a session transaction that sends through the broker
    with runtime.sessions() as session:
        with runtime.broker.transaction(session):
            noop.send(1)
            noop.send(2)
        # The messages are visible inside the transaction…
        assert session.connection().exec_driver_sql("SELECT count(*) FROM dramatiq.queue").scalar() == 2
        # When it rolls back
        session.rollback()
    # Then nothing was enqueued
    assert states(raw) == {}


def test_bulk_enqueue_joined_to_a_rolled_back_session_leaves_nothing(runtime, raw):
    # Given a session that also wrote domain data
    with runtime.sessions() as session:
        session.connection().exec_driver_sql("CREATE TEMP TABLE marker (x int)")
        new = runtime.broker.enqueue_many([noop.message(i) for i in range(100)], conn=session)
        assert len(new) == 100
        # When the transaction rolls back
        session.rollback()
    # Then none of the 100 messages exists
    assert states(raw) == {}
    # And a committed one does
    with runtime.sessions.begin() as session:
        runtime.broker.enqueue_many([noop.message(0)], conn=session)
    assert states(raw) == {"queued": 1}


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
    from shared.runtime import start
    from shared.settings import load_settings

    # Given a runtime bound to a database that cannot be reached, with a 2 s send timeout
    port = _closed_port() if where == "closed port" else silent_server
    url = f"postgresql://postgres:hunter2@127.0.0.1:{port}/nowhere"
    rt = start(load_settings({"DATABASE_URL": url, "DRAMATURG_SEND_TIMEOUT": "2"}), clock=clock)
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
