"""Advisory (job, period) locks, and the history rows they and manual triggers leave."""

from __future__ import annotations

import threading
import uuid

import psycopg2
import pytest

from scheduler.trigger import trigger_job, wait_for_run
from shared import locks
from shared.errors import PayloadRejected
from tests.support.waiting import wait_until


def test_skip_mode_returns_false_while_another_transaction_holds_the_lock(app):
    # Given one transaction holding decay's lock for an hour
    with app.sessions.begin() as a:
        assert locks.acquire(a, "decay", "2026-03-05T10", "skip")
        # When another asks for the same job and period in skip mode
        with app.sessions.begin() as b:
            # Then it is refused at once, while another period is free
            assert not locks.acquire(b, "decay", "2026-03-05T10", "skip")
            assert locks.acquire(b, "decay", "2026-03-05T11", "skip")


def test_wait_mode_blocks_until_the_holder_commits(app, raw):
    order = []
    with app.sessions.begin() as a:
        locks.acquire(a, "summary", "2026-03-05", "wait")

        def waiter():
            with app.sessions.begin() as b:
                locks.acquire(b, "summary", "2026-03-05", "wait")
                order.append("b acquired")

        t = threading.Thread(target=waiter)
        t.start()

        # The waiter is visibly blocked on the advisory lock in Postgres
        def blocked():
            with raw.cursor() as cur:
                cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                return cur.fetchone()[0] == 1

        wait_until(blocked, timeout=10)
        order.append("a commits")
    t.join(timeout=10)
    assert order == ["a commits", "b acquired"]


def _hold_as_run(url: str, job: str, period: str, message_id: str | None):
    """A separate session holding the (job, period) lock, named as the run of ``message_id``
    (None: a session that is no run). Closing it is the holder dying: its transaction rolls back."""
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        if message_id:
            cur.execute("SELECT set_config('application_name', %s, true)", ("dramaturg run " + message_id,))
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (locks.lock_key(job, period),))
    return conn


def _claimed(raw, message_id: str, lease: str) -> None:
    """A queue row for ``message_id`` claimed by some worker, its lease ending ``lease`` from now."""
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO dramatiq.queue (message_id, queue_name, state, message, lease_owner, lease_expires_at, claims) "
            "VALUES (%s, 'cron', 'consumed', '{}', gen_random_uuid(), clock_timestamp() + %s::interval, 1)",
            (message_id, lease),
        )


def _send_tick(app, message_id: str | None = None) -> str:
    """example-touch's 10:00 tick, as the scheduler sends it."""
    message = app.registry.job("example-touch").actor.message_with_options(
        kwargs={"tick": "2026-03-05T10:00:00+00:00", "args": {}}, job="example-touch", trigger="cron"
    )
    message = message.copy(message_id=message_id or str(uuid.uuid4()))
    app.broker.enqueue(message)
    return message.message_id


def _status(raw, message_id: str) -> tuple[str, str] | None:
    with raw.cursor() as cur:
        cur.execute("SELECT status, error FROM dramaturg.job_history WHERE message_id = %s", (message_id,))
        return cur.fetchone()


@pytest.fixture
def settings_overrides():
    return {"DRAMATURG_RETRY_BASE_SECONDS": "0.2", "DRAMATURG_MAX_RETRIES": "20"}


def test_manual_trigger_is_skipped_while_a_live_run_of_the_same_period_holds_the_lock(app, worker, raw):
    # Given a cron run of example-touch for 10:00 in progress: its message claimed under a live lease
    live = str(uuid.uuid4())
    _claimed(raw, live, "1 hour")
    holder = _hold_as_run(app.url, "example-touch", "2026-03-05T10:00", live)
    try:
        # When the same job is triggered by hand for the same period
        run_id = trigger_job(app, "example-touch")
        row = wait_for_run(app, run_id, timeout=20)
    finally:
        holder.close()
    # Then the manual run is recorded as skipped, with the reason
    assert row["status"] == "skipped"
    assert "holds the lock" in row["error"] and live in row["error"]


@pytest.mark.parametrize(
    "holder_is",
    ["the same message, rescued", "another message whose lease expired", "a session that is no run"],
)
def test_a_run_meeting_a_holder_that_is_not_live_retries_and_runs_once_the_holder_dies(
    app, worker, raw, clock, holder_is
):
    # Given the 10:00 lock of example-touch held by a run that will not record the outcome:
    # this message's own earlier attempt (frozen, its message rescued), a run whose lease ran
    # out, or a session that is no run at all
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name) VALUES ('a')")
    mine = str(uuid.uuid4())
    if holder_is == "the same message, rescued":
        holder = _hold_as_run(app.url, "example-touch", "2026-03-05T10:00", mine)
    elif holder_is == "another message whose lease expired":
        stale = str(uuid.uuid4())
        _claimed(raw, stale, "-1 minute")
        holder = _hold_as_run(app.url, "example-touch", "2026-03-05T10:00", stale)
    else:
        holder = _hold_as_run(app.url, "example-touch", "2026-03-05T10:00", None)
    try:
        # When the tick is delivered
        _send_tick(app, mine)
        # Then it is not skipped but retried while the lock is held
        status = wait_until(lambda: (s := _status(raw, mine)) and s[0] not in ("queued", "running") and s, timeout=20)
        assert status[0] == "retrying", status
    finally:
        # And once the holder dies (its transaction rolls back), the period runs
        holder.close()
    # (the frozen test clock moves on so the retry's backoff passes)
    wait_until(
        lambda: clock.advance(60) and (_status(raw, mine) or ("",))[0] == "succeeded",
        timeout=30,
        interval=0.1,
        message=lambda: str(_status(raw, mine)),
    )
    # And its child touches the item once (the child may finish after its parent)
    wait_until(lambda: _touches(raw) >= 1, timeout=20, message="the period's touch")
    assert wait_for_run(app, _run_id(raw, mine), timeout=20)["children"] == {"succeeded": 1}
    assert _touches(raw) == 1


def _touches(raw) -> int:
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM example.example_touches WHERE period = '2026-03-05T10:00'")
        return cur.fetchone()[0]


def _run_id(raw, message_id: str) -> int:
    with raw.cursor() as cur:
        cur.execute("SELECT id FROM dramaturg.job_history WHERE message_id = %s", (message_id,))
        return cur.fetchone()[0]


def test_manual_trigger_row_exists_at_once_as_queued(app, raw):
    # Given no worker running
    run_id = trigger_job(app, "example-touch", args={"chunk": 2})
    # Then the history row is already there, queued, with the manual trigger
    with raw.cursor() as cur:
        cur.execute("SELECT job_name, status, trigger, enqueued_at FROM dramaturg.job_history WHERE id = %s", (run_id,))
        job, status, trigger, enqueued_at = cur.fetchone()
    assert (job, status, trigger) == ("example-touch", "queued", "manual") and enqueued_at is not None


def test_trigger_job_refuses_an_argument_the_job_does_not_take_before_writing(app, raw):
    with pytest.raises(PayloadRejected, match="chnk: unexpected argument"):
        trigger_job(app, "example-touch", args={"chnk": 2})
    with pytest.raises(PayloadRejected, match="takes no arguments"):
        trigger_job(app, "prune-queue", args={"limit": 2})
    with raw.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM dramatiq.queue) + (SELECT count(*) FROM dramaturg.job_history)")
        assert cur.fetchone()[0] == 0


def test_wait_mode_does_not_block_on_an_earlier_attempt_of_the_same_message(app):
    # Given the summary lock held by a frozen earlier attempt of message M
    mine = str(uuid.uuid4())
    holder = _hold_as_run(app.url, "summary", "2026-03-05", mine)
    try:
        # When M's redelivery asks for the lock in wait mode
        with app.sessions.begin() as session:
            verdict = locks.acquire_for_run(session, "summary", "2026-03-05", "wait", message_id=mine)
        # Then it is told to retry instead of blocking behind itself forever
        assert verdict.action == "retry" and "earlier attempt" in verdict.why
    finally:
        holder.close()
