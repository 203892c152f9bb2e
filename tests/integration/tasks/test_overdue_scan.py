"""overdue-scan end to end: open tasks past due flip to overdue (and back), one notice per task."""

from __future__ import annotations

from datetime import timedelta

from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.integration.tasks.conftest import one, rows


def _status(raw, task: int) -> str:
    return one(raw, "SELECT status FROM tasks.tasks WHERE id = %s", (task,))[0]


def _notices(raw) -> list[dict]:
    return rows(raw, "SELECT task_id, kind FROM tasks.web_notifications ORDER BY id")


def test_open_tasks_past_due_become_overdue_with_one_notice(app, worker, raw, make_task):
    # Given a task past due, a completed task past due, a task due later and one without a due date
    late = make_task(title="File taxes", due_date=T0 - timedelta(minutes=1))
    done = make_task(due_date=T0 - timedelta(days=1), completed=True, status="done")
    future = make_task(due_date=T0 + timedelta(minutes=1))
    undated = make_task()
    # When the scan runs
    row = wait_for_run(app, trigger_job(app, "overdue-scan"), timeout=20)
    # Then only the open one past due is overdue, and its owner got one notice
    assert row["status"] == "succeeded" and row["items_processed"] == 1
    assert [_status(raw, t) for t in (late, done, future, undated)] == ["overdue", "done", "open", "open"]
    assert _notices(raw) == [{"task_id": late, "kind": "overdue"}]


def test_a_second_scan_changes_nothing(app, worker, raw, clock, make_task):
    # Given a task already flagged overdue by a scan
    make_task(due_date=T0 - timedelta(hours=1))
    wait_for_run(app, trigger_job(app, "overdue-scan"), timeout=20)
    # When the scan runs again 15 minutes later
    clock.advance(timedelta(minutes=15))
    row = wait_for_run(app, trigger_job(app, "overdue-scan"), timeout=20)
    # Then no row changes and no second notice appears
    assert row["items_processed"] == 0 and len(_notices(raw)) == 1


def test_task_moved_back_into_the_future_returns_to_open(app, worker, raw, clock, make_task):
    # Given an overdue task
    task = make_task(due_date=T0 - timedelta(hours=1))
    wait_for_run(app, trigger_job(app, "overdue-scan"), timeout=20)
    # When its due date moves to tomorrow and the scan runs
    with raw.cursor() as cur:
        cur.execute("UPDATE tasks.tasks SET due_date = %s WHERE id = %s", (T0 + timedelta(days=1), task))
    clock.advance(timedelta(minutes=15))
    row = wait_for_run(app, trigger_job(app, "overdue-scan"), timeout=20)
    # Then it is open again
    assert row["items_processed"] == 1 and _status(raw, task) == "open"
    # And when it falls overdue a second time there is still only one notice
    clock.set(T0 + timedelta(days=2))
    wait_for_run(app, trigger_job(app, "overdue-scan"), timeout=20)
    assert _status(raw, task) == "overdue" and len(_notices(raw)) == 1


def test_completing_an_overdue_task_is_not_undone_by_the_scan(app, worker, raw, clock, make_task):
    # Given an overdue task that its owner then completes
    task = make_task(due_date=T0 - timedelta(hours=1))
    wait_for_run(app, trigger_job(app, "overdue-scan"), timeout=20)
    with raw.cursor() as cur:
        cur.execute("UPDATE tasks.tasks SET completed = true, status = 'done' WHERE id = %s", (task,))
    # When the scan runs again
    clock.advance(timedelta(minutes=15))
    row = wait_for_run(app, trigger_job(app, "overdue-scan"), timeout=20)
    # Then the completed task keeps its status
    assert row["items_processed"] == 0 and _status(raw, task) == "done"
