"""recurring-tasks end to end: next instance from the previous due date, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from actors.tasks.recurring import create_next_instance
from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.integration.tasks.conftest import one, rows
from tests.support.waiting import wait_until

UTC = UTC


def _children(raw, parent: int) -> list[dict]:
    return rows(raw, "SELECT * FROM tasks.tasks WHERE parent_task_id = %s", (parent,))


def test_completed_daily_task_gets_next_instance_with_metadata_and_reminders(
    app, worker, raw, make_task, make_reminder
):
    # Given a daily task due two days ago at 09:00, completed today, with a relative and an absolute reminder
    due = datetime(2026, 3, 3, 9, tzinfo=UTC)
    parent = make_task(
        title="Stand-up notes",
        description="write them",
        priority="high",
        tags=["work", "daily"],
        due_date=due,
        completed=True,
        completed_at=T0,
        is_recurring=True,
        recurrence_type="daily",
    )
    make_reminder(parent, due - timedelta(minutes=30), "web", offset_minutes=30)
    make_reminder(parent, due - timedelta(hours=2), "chat", status="sent", sent=True)
    # When the job runs
    row = wait_for_run(app, trigger_job(app, "recurring-tasks"), timeout=20)
    # Then one child is created, due tomorrow 09:00 (from the due date, rolled past now), open and not completed
    assert row["status"] == "succeeded" and row["items_processed"] == 1 and row["children"] == {"succeeded": 1}
    [child] = _children(raw, parent)
    assert child["due_date"] == datetime(2026, 3, 6, 9, tzinfo=UTC)
    assert (child["title"], child["description"], child["priority"], child["tags"]) == (
        "Stand-up notes",
        "write them",
        "high",
        ["work", "daily"],
    )
    assert (child["completed"], child["completed_at"], child["status"], child["series_id"]) == (
        False,
        None,
        "open",
        parent,
    )
    assert child["is_recurring"] and child["recurrence_type"] == "daily" and child["last_processed_at"] is None
    # And the reminders keep their distance to the new due date, pending again
    reminders = rows(
        raw,
        "SELECT remind_at, channel, status, sent FROM tasks.task_reminders WHERE task_id = %s ORDER BY id",
        (child["id"],),
    )
    assert reminders == [
        {"remind_at": child["due_date"] - timedelta(minutes=30), "channel": "web", "status": "pending", "sent": False},
        {"remind_at": child["due_date"] - timedelta(hours=2), "channel": "chat", "status": "pending", "sent": False},
    ]
    # And the parent is marked processed at the run's time
    assert one(raw, "SELECT last_processed_at FROM tasks.tasks WHERE id = %s", (parent,)) == (T0,)


def test_a_processed_task_is_never_regenerated(app, worker, raw, clock, make_task):
    # Given a recurring task already given its next instance
    parent = make_task(due_date=T0 - timedelta(hours=1), completed=True, is_recurring=True, recurrence_type="weekly")
    wait_for_run(app, trigger_job(app, "recurring-tasks"), timeout=20)
    # When the job runs again five minutes later
    clock.advance(300)
    row = wait_for_run(app, trigger_job(app, "recurring-tasks"), timeout=20)
    # Then nothing new is created
    assert row["status"] == "succeeded" and row["items_processed"] == 0
    assert len(_children(raw, parent)) == 1


def test_two_children_for_the_same_parent_create_one_instance(app, worker, raw, make_task):
    # Given a completed recurring task
    parent = make_task(due_date=T0, completed=True, is_recurring=True, recurrence_type="daily")
    # When two children for it run at once (a retry racing a re-enqueue, two worker threads)
    create_next_instance.send(task_id=parent)
    create_next_instance.send(task_id=parent)
    wait_until(
        lambda: one(raw, "SELECT count(*) FROM dramatiq.queue WHERE queue_name = 'tasks' AND state = 'done'")[0] == 2,
        timeout=20,
    )
    # Then exactly one instance exists
    assert len(_children(raw, parent)) == 1


def test_the_database_refuses_a_second_child_of_one_parent(raw, make_task):
    # Given a parent that already has a child
    parent = make_task(due_date=T0, completed=True, is_recurring=True, recurrence_type="daily")
    make_task(parent_task_id=parent)
    # When another child is inserted directly; Then the unique constraint refuses it
    with pytest.raises(psycopg2.errors.UniqueViolation):
        make_task(parent_task_id=parent)


def test_monthly_series_keeps_its_day_and_is_rolled_past_now(app, worker, raw, make_task):
    # Given a monthly task due Jan 31 (five weeks ago at T0 = Mar 5)
    parent = make_task(
        due_date=datetime(2026, 1, 31, 12, tzinfo=UTC), completed=True, is_recurring=True, recurrence_type="monthly"
    )
    wait_for_run(app, trigger_job(app, "recurring-tasks"), timeout=20)
    # Then the next one is Mar 31 (Feb 28 is already past), anchored on the 31st
    [child] = _children(raw, parent)
    assert (child["due_date"], child["anchor_day"]) == (datetime(2026, 3, 31, 12, tzinfo=UTC), 31)


def test_next_instance_keeps_the_owners_local_time_across_dst(app, worker, raw, clock, make_task):
    # Given a daily 09:00 Europe/Berlin task due the day before the spring-forward switch
    clock.set(datetime(2026, 3, 28, 12, tzinfo=UTC))
    parent = make_task(
        due_date=datetime(2026, 3, 28, 8, tzinfo=UTC),
        owner_timezone="Europe/Berlin",
        completed=True,
        is_recurring=True,
        recurrence_type="daily",
    )
    wait_for_run(app, trigger_job(app, "recurring-tasks"), timeout=20)
    # Then the next one is 09:00 CEST, i.e. 07:00 UTC
    [child] = _children(raw, parent)
    assert child["due_date"] == datetime(2026, 3, 29, 7, tzinfo=UTC)


def test_only_completed_recurring_tasks_with_a_due_date_are_processed(app, worker, raw, make_task):
    # Given an open recurring task, a completed one-off task and a completed recurring task without due date
    ids = [
        make_task(due_date=T0, is_recurring=True, recurrence_type="daily"),
        make_task(due_date=T0, completed=True),
        make_task(completed=True, is_recurring=True, recurrence_type="daily"),
    ]
    # When the job runs
    row = wait_for_run(app, trigger_job(app, "recurring-tasks"), timeout=20)
    # Then none of them gets a next instance
    assert row["items_processed"] == 0
    assert all(_children(raw, i) == [] for i in ids)
    assert one(raw, "SELECT count(*) FROM tasks.tasks WHERE last_processed_at IS NOT NULL") == (0,)


def test_an_unknown_owner_zone_falls_back_to_utc_instead_of_stopping_the_series(app, worker, raw, make_task):
    # Given a completed daily task whose owner zone is not a valid IANA name
    parent = make_task(
        due_date=datetime(2026, 3, 5, 9, tzinfo=UTC),
        owner_timezone="Mars/Olympus_Mons",
        completed=True,
        is_recurring=True,
        recurrence_type="daily",
    )
    # When the job runs
    row = wait_for_run(app, trigger_job(app, "recurring-tasks"), timeout=20)
    # Then the next instance is computed in UTC
    assert row["children"] == {"succeeded": 1}
    assert _children(raw, parent)[0]["due_date"] == datetime(2026, 3, 6, 9, tzinfo=UTC)
