"""Concurrent claims never overlap, and a large backlog holds no per-message advisory locks."""

from __future__ import annotations

import threading

from tests.integration.broker.conftest import QUEUE, consumer_of, noop, other_broker, states
from tests.support.waiting import wait_until


def _drain(consumer, raw_queued, got: list[str]) -> None:
    """Take messages the way Dramatiq's consumer thread does (next → ack) until nothing is queued."""
    while True:
        proxy = next(consumer)
        if proxy is None:
            if raw_queued() == 0 and not consumer.buffer:
                break
            continue
        got.append(proxy.message_id)
        consumer.ack(proxy)
    consumer.close()


def test_two_live_consumers_claim_disjoint_rows_and_together_take_all(runtime, raw):
    # Given 2,000 queued messages and two workers (distinct worker ids) on the same table
    ids = set(runtime.broker.enqueue_many([noop.message(i) for i in range(2000)]))
    a, b = other_broker(runtime), other_broker(runtime)
    assert a.worker_id != b.worker_id

    def queued() -> int:
        with a.pooled() as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM dramatiq.queue WHERE state = 'queued'")
            (n,) = cur.fetchone()
            conn.rollback()
        return n

    # When both claim and ack concurrently from two threads
    got_a: list[str] = []
    got_b: list[str] = []
    threads = [
        threading.Thread(target=_drain, args=(consumer_of(a, 25), queued, got_a)),
        threading.Thread(target=_drain, args=(consumer_of(b, 25), queued, got_b)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # Then no message went to both, none was missed, and every row is done
    assert not any(t.is_alive() for t in threads)
    assert len(got_a) == len(set(got_a)) and len(got_b) == len(set(got_b))
    assert set(got_a).isdisjoint(got_b)
    assert set(got_a) | set(got_b) == ids
    assert got_a and got_b, "both consumers should have taken a share"
    assert states(raw) == {"done": 2000}


def test_a_20000_message_backlog_holds_no_more_advisory_locks_than_threads(runtime, worker, raw):
    # Given a 20,000-message backlog
    runtime.broker.enqueue_many([noop.message(i) for i in range(20_000)])
    samples: list[int] = []

    def sample_until_drained_enough() -> bool:
        with raw.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND d.datname = current_database()"
            )
            samples.append(cur.fetchone()[0])
            cur.execute("SELECT count(*) FROM dramatiq.queue WHERE state = 'done'")
            return cur.fetchone()[0] >= 2_000

    # When the worker drains it (sampling pg_locks all along)
    wait_until(sample_until_drained_enough, timeout=60, interval=0.01, message="2,000 messages processed")
    # Then the broker held at most one advisory lock per worker thread at any sample
    assert len(samples) >= 10
    assert max(samples) <= worker.worker_threads
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM dramatiq.queue WHERE state = 'consumed'")
        (in_flight,) = cur.fetchone()
    # And it claims a window of the backlog, never the whole of it
    assert in_flight <= 2 * worker.worker_threads + 256


def test_a_fresh_process_claims_before_any_other_database_use(runtime, raw):
    # Given a queued message and a brand-new process whose very first database
    # work is a consumer claim (no pool connection has configured psycopg2 yet)
    import subprocess
    import sys

    from shared.broker import broker

    broker.enqueue_many([noop.message(1)])
    code = (
        "from shared.runtime import start\n"
        "from shared.settings import load_settings\n"
        "from shared.postgres_consumer import PostgresConsumer\n"
        f"rt = start(load_settings({{'DATABASE_URL': {runtime.url!r}}}), import_actors=False)\n"
        "import tests.integration.broker.conftest\n"
        f"c = PostgresConsumer(broker=rt.broker, queue_name={QUEUE!r}, prefetch=4, timeout=100)\n"
        "c._cycle(True, 4)\n"
        "print(len(c.buffer))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    # Then the claim works and takes the message
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
