"""reminders end to end: web and chat delivery, once per channel, retries, then failed."""

from __future__ import annotations

from datetime import timedelta

from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.integration.tasks.conftest import CHAT_PATH, one, rows
from tests.support.http_sink import Reply
from tests.support.waiting import wait_until


def _reminder(raw, rid: int) -> dict:
    return rows(raw, "SELECT status, sent, sent_at, error FROM tasks.task_reminders WHERE id = %s", (rid,))[0]


def _deliveries(raw, rid: int) -> list[str]:
    return [
        r["channel"]
        for r in rows(
            raw, "SELECT channel FROM tasks.task_reminder_deliveries WHERE reminder_id = %s ORDER BY channel", (rid,)
        )
    ]


def _web(raw) -> list[dict]:
    return rows(raw, "SELECT user_id, task_id, kind, title FROM tasks.web_notifications ORDER BY id")


def _child_attempts(raw, run_id: int) -> list[dict]:
    return rows(raw, "SELECT status, attempt, error FROM dramaturg.job_history WHERE parent_id = %s", (run_id,))


def test_due_web_reminder_becomes_a_web_notification_and_is_marked_sent(
    app, worker, raw, sink, make_task, make_reminder
):
    # Given a web reminder due a minute ago and one due in an hour
    task = make_task(title="Pay rent", due_date=T0 + timedelta(hours=2))
    due = make_reminder(task, T0 - timedelta(minutes=1), "web")
    later = make_reminder(task, T0 + timedelta(hours=1), "web")
    # When the job runs
    row = wait_for_run(app, trigger_job(app, "reminders"), timeout=20)
    # Then only the due one is delivered, as one web notification, and marked sent at the run's time
    assert row["items_processed"] == 1 and row["children"] == {"succeeded": 1}
    assert _web(raw) == [{"user_id": 1, "task_id": task, "kind": "reminder", "title": "Pay rent"}]
    assert _reminder(raw, due) == {"status": "sent", "sent": True, "sent_at": T0, "error": None}
    assert _deliveries(raw, due) == ["web"]
    assert _reminder(raw, later)["status"] == "pending"
    assert sink.requests() == []


def test_chat_reminder_posts_to_the_webhook_with_an_idempotency_key(app, worker, raw, sink, make_task, make_reminder):
    # Given a chat reminder that is due
    task = make_task(title="Call the dentist")
    rid = make_reminder(task, T0, "chat")
    # When the job runs
    wait_for_run(app, trigger_job(app, "reminders"), timeout=20)
    # Then one POST reached the chat webhook, keyed by reminder and channel
    [req] = sink.requests()
    assert req.path == CHAT_PATH and req.headers["Idempotency-Key"] == f"task-reminder-{rid}-chat"
    assert req.json["reminder_id"] == rid and "Call the dentist" in req.json["text"]
    assert _reminder(raw, rid)["status"] == "sent" and _deliveries(raw, rid) == ["chat"]
    assert _web(raw) == []


def test_a_sent_reminder_is_never_sent_again(app, worker, raw, sink, clock, make_task, make_reminder):
    # Given a reminder on both channels, delivered by one run
    rid = make_reminder(make_task(), T0, "both")
    wait_for_run(app, trigger_job(app, "reminders"), timeout=20)
    # When the job runs again a minute later
    clock.advance(60)
    row = wait_for_run(app, trigger_job(app, "reminders"), timeout=20)
    # Then nothing is picked up and each channel got exactly one delivery
    assert row["items_processed"] == 0
    assert len(sink.requests()) == 1 and len(_web(raw)) == 1 and _deliveries(raw, rid) == ["chat", "web"]


def test_failing_chat_is_retried_after_a_minute_and_web_is_delivered_once(
    app, worker, raw, sink, clock, make_task, make_reminder
):
    # Given a reminder on both channels and a chat webhook that fails once
    rid = make_reminder(make_task(), T0, "both")
    sink.script([Reply(status=503)])
    run_id = trigger_job(app, "reminders")
    # When the first attempt fails
    wait_until(lambda: [c for c in _child_attempts(raw, run_id) if c["status"] == "retrying"], timeout=20)
    # Then nothing was committed: no web notification, reminder still pending
    assert _web(raw) == [] and _reminder(raw, rid)["status"] == "pending"
    # When the retry comes due a minute later
    clock.advance(60)
    row = wait_for_run(app, run_id, timeout=20)
    # Then it succeeds: two POSTs with the same key, one web notification, marked sent
    assert row["children"] == {"succeeded": 1}
    keys = {r.headers["Idempotency-Key"] for r in sink.requests()}
    assert len(sink.requests()) == 2 and keys == {f"task-reminder-{rid}-chat"}
    assert len(_web(raw)) == 1 and _reminder(raw, rid)["status"] == "sent"
    assert _deliveries(raw, rid) == ["chat", "web"]


def test_reminder_is_failed_with_the_error_when_retries_run_out(
    app, worker, raw, sink, clock, make_task, make_reminder
):
    # Given a chat reminder whose webhook always answers 500
    rid = make_reminder(make_task(), T0, "chat")
    sink.respond(status=500, body="upstream down")
    run_id = trigger_job(app, "reminders")
    # When the clock moves through the 1, 2 and 4 minute retries
    for attempt, minutes in ((1, 1), (2, 2), (3, 4)):
        wait_until(
            lambda: [c for c in _child_attempts(raw, run_id) if c["status"] == "retrying" and c["attempt"] == attempt],
            timeout=20,
        )
        clock.advance(timedelta(minutes=minutes))
    row = wait_for_run(app, run_id, timeout=20)
    # Then after four attempts the reminder is failed with the error
    assert row["children"] == {"failed": 1} and len(sink.requests()) == 4
    reminder = _reminder(raw, rid)
    assert reminder["status"] == "failed" and not reminder["sent"] and "HTTP 500" in reminder["error"]
    assert CHAT_PATH not in reminder["error"]  # the webhook path is a secret
    # And it is no longer picked up
    assert wait_for_run(app, trigger_job(app, "reminders"), timeout=20)["items_processed"] == 0


def test_rejected_chat_fails_the_reminder_at_once(app, worker, raw, sink, make_task, make_reminder):
    # Given a chat webhook that refuses the request (404)
    rid = make_reminder(make_task(), T0, "chat")
    sink.respond(status=404, body="no_service")
    # When the job runs
    row = wait_for_run(app, trigger_job(app, "reminders"), timeout=20)
    # Then the reminder fails without retries
    assert row["children"] == {"failed": 1} and len(sink.requests()) == 1
    assert one(raw, "SELECT status FROM tasks.task_reminders WHERE id = %s", (rid,)) == ("failed",)
