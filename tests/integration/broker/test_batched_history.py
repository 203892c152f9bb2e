"""History batched with claims and acks: a crash anywhere after the batched ``running`` write
loses no effect, doubles none, and leaves a job_history row for every run that had an effect.

The consumer writes the ``running`` rows of a claimed batch in the claim's
transaction; a succeeded outcome goes to the ledger and is written with the
ack. A "dead" worker here is a consumer of another broker (its own worker id,
a 1 s lease) that claims and then never reports: its claimed rows are
rescued by the live worker's heartbeat and run again. The actor's effect is
idempotent the way every child's is (effect + marker in one statement), and a
second, non-idempotent table counts executions, so the test can tell a
redelivery that changed nothing from a double effect.
"""

from __future__ import annotations

import dramatiq
import pytest
from dramatiq.middleware import CurrentMessage

from shared.broker import broker as global_broker
from shared.middleware.job_history import JobHistory
from shared.postgres_broker import PostgresBroker
from tests.integration.broker.conftest import QUEUE, consumer_of, states
from tests.support.waiting import wait_until

N = 20

EFFECT = """
WITH mark AS (INSERT INTO batch_marks (message_id) VALUES (%(mid)s) ON CONFLICT DO NOTHING RETURNING message_id)
UPDATE batch_counters SET value = value + 1 WHERE n = %(n)s AND EXISTS (SELECT 1 FROM mark)
"""


def _apply(raw, message_id: str, n: int) -> None:
    with raw.cursor() as cur:
        cur.execute("INSERT INTO batch_executions (n) VALUES (%s)", (n,))
        cur.execute(EFFECT, {"mid": message_id, "n": n})


def _count_once(n: int) -> None:
    message = CurrentMessage.get_current_message()
    with global_broker.pooled() as raw:
        _apply(raw, message.message_id, n)
        raw.commit()


count_once = dramatiq.actor(
    _count_once, actor_name="test.broker.count_once", queue_name=QUEUE, broker=global_broker, max_retries=0
)


def _child(n: int) -> dramatiq.Message:
    """A fan-out child's message (the consumer writes running rows at claim for children)."""
    return count_once.message_with_options(args=(n,), trigger="fanout")


def _dead_worker(app) -> PostgresBroker:
    """A worker process's broker that records history (so its consumer writes running rows at
    claim) with a 1 s lease, never heartbeating: it claims, then dies."""
    settings = app.settings.model_copy(update={"lease_seconds": 1})
    dead = PostgresBroker(middleware=[JobHistory()])
    dead.bind(engine=app.engine, clock=app.clock, settings=settings)
    dramatiq.actor(count_once.fn, actor_name=count_once.actor_name, queue_name=QUEUE, broker=dead)
    return dead


@pytest.fixture
def tables(raw):
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TABLE batch_marks (message_id uuid PRIMARY KEY);"
            "CREATE TABLE batch_executions (id bigserial PRIMARY KEY, n int NOT NULL);"
            f"CREATE TABLE batch_counters (n int PRIMARY KEY, value int NOT NULL DEFAULT 0);"
            f"INSERT INTO batch_counters (n) SELECT generate_series(0, {N - 1})"
        )
    return raw


def _rows(raw, sql: str, params: tuple = ()) -> list[tuple]:
    with raw.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_claimed_batch_gets_running_rows_in_the_claim_transaction(app, tables):
    ids = app.broker.enqueue_many([_child(i) for i in range(5)])
    dead = consumer_of(_dead_worker(app), prefetch=5)
    dead._cycle(True, 5)
    assert len(dead.buffer) == 5
    # Every claimed message has its row running, attempt 1, before any worker thread saw it
    rows = _rows(tables, "SELECT message_id::text, status, attempt FROM dramaturg.job_history ORDER BY id")
    assert sorted(rows) == sorted((mid, "running", 1) for mid in ids)
    assert all(m.started_run is not None and m.started_run.run_id for m in dead.buffer)


def test_crash_after_running_rows_and_partial_effects_loses_none_and_doubles_none(app, tables, request):
    # Given a worker that claimed N messages (running rows written at claim) and applied
    # the effect of half of them, then died before writing any outcome
    ids = app.broker.enqueue_many([_child(i) for i in range(N)])
    dead = consumer_of(_dead_worker(app), prefetch=N)
    dead._cycle(True, N)
    claimed = list(dead.buffer)
    assert len(claimed) == N
    effected = claimed[: N // 2]
    for message in effected:
        _apply(tables, message.message_id, message.args[0])
    # When a live worker runs alongside: its heartbeat rescues the expired rows
    request.getfixturevalue("worker")
    wait_until(lambda: states(tables) == {"done": N}, timeout=30, message="rescued rows processed and acked")
    # Then every effect happened exactly once, although half of them ran twice
    assert _rows(tables, "SELECT n, value FROM batch_counters ORDER BY n") == [(i, 1) for i in range(N)]
    executions = dict(_rows(tables, "SELECT n, count(*) FROM batch_executions GROUP BY n"))
    assert executions == {i: 2 if i < N // 2 else 1 for i in range(N)}
    # And every run has its row, finished once; the crashed attempt is recorded as abandoned
    rows = _rows(
        tables,
        "SELECT message_id::text, status, attempt, "
        "jsonb_path_query_array(coalesce(attempt_log, '[]'), '$[*].status') FROM dramaturg.job_history",
    )
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert all(status == "succeeded" and attempt == 1 and log == ["abandoned"] for _, status, attempt, log in rows)


def test_a_release_puts_the_runs_rows_back_to_queued(app, tables):
    app.broker.enqueue_many([_child(i) for i in range(3)])
    dead = consumer_of(_dead_worker(app), prefetch=3)
    dead._cycle(True, 3)
    assert _rows(tables, "SELECT DISTINCT status FROM dramaturg.job_history") == [("running",)]
    # When the worker shuts down before starting them
    dead.requeue([])
    # Then rows and messages are back as they were, waiting
    assert states(tables) == {"queued": 3}
    assert _rows(tables, "SELECT DISTINCT status, started_at FROM dramaturg.job_history") == [("queued", None)]


def test_succeeded_outcomes_ride_with_the_acks(app, tables, worker):
    # No history statement of its own per message: the outcome sits in the ledger until the
    # consumer's cycle writes it with the ack, and both are there once the queue says done.
    app.broker.enqueue_many([_child(i) for i in range(N)])
    wait_until(lambda: states(tables) == {"done": N}, timeout=30, message="all processed")
    # (an outcome is reported before its ack, so it is written with it or in an earlier cycle)
    assert _rows(tables, "SELECT status, count(*) FROM dramaturg.job_history GROUP BY 1") == [("succeeded", N)]
    rows = _rows(
        tables, "SELECT started_at IS NOT NULL, finished_at IS NOT NULL, duration_ms >= 0 FROM dramaturg.job_history"
    )
    assert set(rows) == {(True, True, True)}
