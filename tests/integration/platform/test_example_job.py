"""The example job end to end: cron actor → children → history, on the real worker and broker."""

from __future__ import annotations

from datetime import timedelta

from scheduler.trigger import trigger_job, wait_for_run
from tests.support.waiting import wait_until


def _items(raw, n: int, fail_first: int = 0) -> list[int]:
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO example.example_items (name, fail_first) SELECT 'item ' || g, %s FROM generate_series(1, %s) g RETURNING id",
            (fail_first, n),
        )
        return [r[0] for r in cur.fetchall()]


def _history(raw, **where):
    cond = " AND ".join(f"{k} = %({k})s" for k in where) or "true"
    with raw.cursor() as cur:
        cur.execute(
            f"SELECT id, job_name, actor_name, trigger, status, attempt, parent_id, items_processed, duration_ms, error "
            f"FROM dramaturg.job_history WHERE {cond} ORDER BY id",
            where,
        )
        cols = [c.name for c in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]


def test_manual_trigger_fans_out_children_linked_to_parent(app, worker, raw):
    # Given three active items
    ids = _items(raw, 3)
    # When the job is triggered by hand
    run_id = trigger_job(app, "example-touch")
    row = wait_for_run(app, run_id, timeout=20)
    # Then the parent succeeded with items_processed = children enqueued
    assert row["status"] == "succeeded" and row["items_processed"] == 3
    assert row["children"] == {"succeeded": 3}
    children = _history(raw, parent_id=run_id)
    assert {c["actor_name"] for c in children} == {"example.touch.item"}
    assert all(
        c["trigger"] == "fanout" and c["items_processed"] == 1 and c["duration_ms"] is not None for c in children
    )
    with raw.cursor() as cur:
        cur.execute("SELECT id, touches FROM example.example_items ORDER BY id")
        assert cur.fetchall() == [(i, 1) for i in ids]


def test_second_trigger_in_same_period_changes_nothing(app, worker, raw):
    # Given one item touched by a run for this minute
    _items(raw, 1)
    first = trigger_job(app, "example-touch")
    wait_for_run(app, first, timeout=20)
    # When the job is triggered again for the same period
    second = trigger_job(app, "example-touch")
    row = wait_for_run(app, second, timeout=20)
    # Then no child is enqueued twice and the item is touched once
    assert row["status"] == "succeeded" and row["items_processed"] == 0
    with raw.cursor() as cur:
        cur.execute("SELECT touches FROM example.example_items")
        assert cur.fetchone() == (1,)


def test_failing_child_retries_at_1_2_4_minutes_then_marks_item_failed(app, worker, raw, clock):
    # Given an item whose child fails every attempt
    (item,) = _items(raw, 1, fail_first=99)
    run_id = trigger_job(app, "example-touch")
    wait_until(lambda: _history(raw, parent_id=run_id), timeout=20)
    start = clock.now()
    # When the clock moves through the backoff schedule
    etas = []
    for attempt, minutes in ((1, 1), (2, 2), (3, 4)):
        # Then the child is re-queued with an eta exactly 2^n minutes after the failure
        child = wait_until(
            lambda: [
                c for c in _history(raw, parent_id=run_id) if c["status"] == "retrying" and c["attempt"] == attempt
            ],
            timeout=20,
        )[0]
        with raw.cursor() as cur:
            cur.execute("SELECT eta FROM dramatiq.queue WHERE state = 'queued' AND queue_name = 'example'")
            (eta,) = cur.fetchone()
        assert eta == clock.now() + timedelta(minutes=minutes)
        etas.append(eta - start)
        clock.set(eta)
    # And after the third retry fails the item is marked failed with the error
    final = wait_until(lambda: [c for c in _history(raw, parent_id=run_id) if c["status"] == "failed"], timeout=20)[0]
    assert final["attempt"] == 4 and "fails attempt 4" in final["error"]
    with raw.cursor() as cur:
        cur.execute("SELECT status, error FROM example.example_items WHERE id = %s", (item,))
        status, error = cur.fetchone()
    assert status == "failed" and "fails attempt 4" in error
    assert etas == [timedelta(minutes=1), timedelta(minutes=3), timedelta(minutes=7)]
