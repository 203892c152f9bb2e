"""Advisory (job, period) locks, and the history rows they and manual triggers leave."""

from __future__ import annotations

import threading

from scheduler.trigger import trigger_job, wait_for_run
from shared import locks
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


def test_manual_trigger_is_skipped_while_a_run_of_the_same_period_holds_the_lock(app, worker, raw):
    # Given a cron run of example-touch for 10:00 in progress (its lock held)
    with app.sessions.begin() as holder:
        locks.acquire(holder, "example-touch", "2026-03-05T10:00", "wait")
        # When the same job is triggered by hand for the same period
        run_id = trigger_job(app, "example-touch")
        row = wait_for_run(app, run_id, timeout=20)
    # Then the manual run is recorded as skipped, with the reason
    assert row["status"] == "skipped"
    assert "holds the lock" in row["error"]


def test_manual_trigger_row_exists_at_once_as_queued(app, raw):
    # Given no worker running
    run_id = trigger_job(app, "example-touch", args={"note": "by hand"})
    # Then the history row is already there, queued, with the manual trigger
    with raw.cursor() as cur:
        cur.execute("SELECT job_name, status, trigger, enqueued_at FROM dramaturg.job_history WHERE id = %s", (run_id,))
        job, status, trigger, enqueued_at = cur.fetchone()
    assert (job, status, trigger) == ("example-touch", "queued", "manual") and enqueued_at is not None
