"""cleanup end to end: stale pending events fail, expired registrations go."""

from __future__ import annotations

from datetime import timedelta

from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.integration.game.conftest import make_event, make_user, row, rows


def test_stale_pending_events_fail_and_expired_registrations_are_deleted(app, worker, raw):
    # Given events due 25 h and 23 h ago, a delivered old one, and an expired and a live registration
    user = make_user(raw)
    stale = make_event(raw, user, due=timedelta(hours=25))
    recent = make_event(raw, user, due=timedelta(hours=23))
    done = make_event(raw, user, due=timedelta(hours=30), status="delivered")
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO game.registrations (telegram_chat_id, code, expires_at) VALUES ('1', 'old', %s), ('2', 'new', %s)",
            (T0 - timedelta(minutes=1), T0 + timedelta(hours=1)),
        )
    # When cleanup runs (twice)
    first = wait_for_run(app, trigger_job(app, "cleanup"), timeout=20)
    second = wait_for_run(app, trigger_job(app, "cleanup"), timeout=20)
    # Then only the stale pending event failed, with error 'stale', and only the expired registration is gone
    assert first["items_processed"] == 2 and second["items_processed"] == 0
    assert row(raw, "SELECT status, error_message FROM game.scheduled_events WHERE id = %s", stale) == (
        "failed",
        "stale",
    )
    assert row(raw, "SELECT status FROM game.scheduled_events WHERE id = %s", recent) == ("pending",)
    assert row(raw, "SELECT status FROM game.scheduled_events WHERE id = %s", done) == ("delivered",)
    assert rows(raw, "SELECT code FROM game.registrations") == [("new",)]
    assert row(
        raw,
        "SELECT result FROM dramaturg.job_history WHERE id = (SELECT min(id) FROM dramaturg.job_history WHERE job_name = 'cleanup')",
    )[0] == {"items_processed": 2, "stale_events": 1, "expired_registrations": 1}
