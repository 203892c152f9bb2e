"""notification-cleanup: both feeds lose rows older than 30 days, read or unread; the boundary is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from psycopg2 import sql

from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.integration.challenges.conftest import one

DAY = timedelta(days=1)


def _notify(raw, user: int, created_at, read: bool = False) -> int:
    return one(
        raw,
        "INSERT INTO challenges.notifications (user_id, type, title, created_at, read) "
        "VALUES (%s, 'info', 'hello', %s, %s) RETURNING id",
        (user, created_at, read),
    )[0]


def _web(raw, created_at, read: bool = False) -> int:
    return one(
        raw,
        "INSERT INTO tasks.web_notifications (user_id, kind, title, created_at, read) "
        "VALUES (1, 'reminder', 'hello', %s, %s) RETURNING id",
        (created_at, read),
    )[0]


def _ids(raw, table: str) -> list[int]:
    schema, name = table.split(".")
    with raw.cursor() as cur:
        cur.execute(sql.SQL("SELECT id FROM {} ORDER BY id").format(sql.Identifier(schema, name)))
        return [r[0] for r in cur.fetchall()]


def test_notifications_older_than_30_days_are_deleted_read_or_unread(app, worker, raw, make_user):
    # Given notifications 31 days old (read and unread), exactly 30 days old, and 29 days old, in both feeds
    user = make_user()
    _notify(raw, user, T0 - 31 * DAY, read=True)
    _notify(raw, user, T0 - 31 * DAY)
    boundary = _notify(raw, user, T0 - 30 * DAY)
    recent = _notify(raw, user, T0 - 29 * DAY)
    _web(raw, T0 - 40 * DAY, read=True)
    web_boundary = _web(raw, T0 - 30 * DAY)
    # When the job runs
    row = wait_for_run(app, trigger_job(app, "notification-cleanup"), timeout=20)
    # Then the older ones are gone; exactly 30 days old is kept (deleted when strictly older)
    assert row["status"] == "succeeded" and row["items_processed"] == 3
    assert _ids(raw, "challenges.notifications") == [boundary, recent]
    assert _ids(raw, "tasks.web_notifications") == [web_boundary]


def test_counts_per_feed_are_recorded_and_a_rerun_deletes_nothing(app, worker, raw, make_user):
    # Given two expired challenge notifications and one expired web notification
    user = make_user()
    _notify(raw, user, T0 - 45 * DAY)
    _notify(raw, user, T0 - 60 * DAY)
    _web(raw, T0 - 31 * DAY)
    # When the job runs twice
    first = wait_for_run(app, trigger_job(app, "notification-cleanup"), timeout=20)
    second = wait_for_run(app, trigger_job(app, "notification-cleanup"), timeout=20)
    # Then the first run's result has the count per table and the second deletes nothing
    assert one(raw, "SELECT result FROM dramaturg.job_history WHERE id = %s", (first["id"],))[0] | {"before": None} == {
        "items_processed": 3,
        "notifications": 2,
        "web_notifications": 1,
        "before": None,
    }
    assert second["items_processed"] == 0


@pytest.mark.parametrize("settings_overrides", [{"DRAMATURG_APPS": "challenges"}])
def test_without_the_task_app_only_the_challenge_feed_is_pruned(app, worker, raw, make_user):
    # Given the challenge app enabled alone, and expired rows in both feeds
    user = make_user()
    _notify(raw, user, T0 - 45 * DAY)
    web = _web(raw, T0 - 45 * DAY)
    # When the job runs
    row = wait_for_run(app, trigger_job(app, "notification-cleanup"), timeout=20)
    # Then it succeeds and leaves the task app's feed alone: that app is not enabled here
    assert row["status"] == "succeeded" and row["items_processed"] == 1
    assert _ids(raw, "tasks.web_notifications") == [web]
