"""Leases: a dead worker's rows come back once its lease expires, and its late ack is refused.

The dead worker's leases here are 1 s, so expiry is waited for in real time
(leases measure whether a process is alive, not business time). The live
worker keeps the default lease: with a 1 s lease of its own, a heartbeat
delayed by a busy machine would rightly hand its rows to someone else and
the test would count that redelivery as a double run.
"""

from __future__ import annotations

from tests.integration.broker.conftest import QUEUE, consumer_of, effect_counts, noop, other_broker, record, states
from tests.support.waiting import wait_until


def test_killed_workers_rows_run_exactly_once_after_their_lease_expires(app, effects, request):
    # Given a worker that claimed 30 messages and then died (it never renews its 1 s lease)
    app.broker.enqueue_many([record.message(i) for i in range(30)])
    dead = consumer_of(other_broker(app, lease_seconds=1), prefetch=30)
    dead._cycle(True, 30)
    assert len(dead.held) == 30
    # When a live worker runs alongside
    request.getfixturevalue("worker")
    # Then its heartbeat rescues the expired rows and each message runs exactly once
    wait_until(lambda: sum(effect_counts(effects).values()) >= 30, timeout=20, message="rescued rows processed")
    app.broker.join(QUEUE, timeout=10)
    assert effect_counts(effects) == {i: 1 for i in range(30)}
    with effects.cursor() as cur:
        cur.execute("SELECT min(claims), max(claims), count(*) FILTER (WHERE state = 'done') FROM dramatiq.queue")
        assert cur.fetchone() == (2, 2, 30)


def test_ack_from_a_worker_whose_lease_was_rescued_is_refused(app, raw):
    # Given broker A claimed a message and let its 1 s lease run out
    (mid,) = app.broker.enqueue_many([noop.message(1)])
    a, b = other_broker(app, lease_seconds=1), other_broker(app)
    consumer_a, consumer_b = consumer_of(a), consumer_of(b)
    consumer_a._cycle(True, 1)
    (message_a,) = consumer_a.buffer
    # When B's heartbeat rescues it and B claims it again
    # (the global broker's heartbeat, left running by earlier tests, may rescue it first)
    wait_until(
        lambda: b.heartbeat_once() or states(raw) == {"queued": 1}, timeout=10, message="lease expired and rescued"
    )
    consumer_b._cycle(True, 1)
    (message_b,) = consumer_b.buffer
    # Then A's late ack changes nothing: the row stays B's
    consumer_a.ack(message_a)
    consumer_a._write_outcomes()
    with raw.cursor() as cur:
        cur.execute("SELECT state::text, lease_owner, claims FROM dramatiq.queue WHERE message_id = %s", (mid,))
        assert cur.fetchone() == ("consumed", str(b.worker_id), 2)
    # And B's ack settles it
    consumer_b.ack(message_b)
    consumer_b._write_outcomes()
    assert states(raw) == {"done": 1}
