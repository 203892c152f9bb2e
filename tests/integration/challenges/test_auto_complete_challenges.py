"""auto-complete-challenges end to end: ended challenges close once, members notified once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.integration.challenges.conftest import one, rows


def _status(raw, cid: int) -> str:
    return one(raw, "SELECT status FROM challenges.challenges WHERE id = %s", (cid,))[0]


def _notifications(raw) -> list[tuple]:
    return [
        (r["user_id"], r["type"], r["dedupe_key"], r["data"]["challenge_id"])
        for r in rows(
            raw,
            "SELECT user_id, type, dedupe_key, data FROM challenges.notifications ORDER BY user_id, type, dedupe_key",
        )
    ]


def test_ended_challenges_complete_or_fail_by_average_completion_rate(app, worker, raw, make_user, make_challenge):
    # Given (at T0 = 2026-03-05) challenges that ended yesterday with averages 85 and 75, one without
    # members, one ending today and one already completed
    a, b, c, d = (make_user() for _ in range(4))
    good = make_challenge(date(2026, 3, 4), {a: 90, b: 80})
    poor = make_challenge(date(2026, 3, 4), {c: 50, d: 100})
    empty = make_challenge(date(2026, 3, 1))
    today = make_challenge(date(2026, 3, 5), {a: 10})
    old = make_challenge(date(2026, 2, 1), {a: 100}, status="completed")
    # When the job runs
    row = wait_for_run(app, trigger_job(app, "auto-complete-challenges"), timeout=20)
    # Then the ended ones are closed by the 80 % threshold, the others untouched
    assert row["status"] == "succeeded" and row["items_processed"] == 3
    assert [_status(raw, x) for x in (good, poor, empty, today, old)] == [
        "completed",
        "failed",
        "failed",
        "active",
        "completed",
    ]
    assert one(raw, "SELECT closed_at FROM challenges.challenges WHERE id = %s", (good,)) == (T0,)
    # And each member of a closed challenge got exactly one notification about it
    assert _notifications(raw) == sorted(
        [
            (a, "challenge_completed", str(good), good),
            (b, "challenge_completed", str(good), good),
            (c, "challenge_failed", str(poor), poor),
            (d, "challenge_failed", str(poor), poor),
        ]
    )


def test_average_exactly_at_threshold_completes_and_members_without_stats_count_as_zero(
    app, worker, raw, make_user, make_challenge
):
    # Given one challenge averaging exactly 80 and one whose 100 % member is averaged with a member without stats
    a, b, c = make_user(), make_user(), make_user()
    exact = make_challenge(date(2026, 3, 4), {a: 80})
    partial = make_challenge(date(2026, 3, 4), {b: 100, c: None})
    # When the job runs
    wait_for_run(app, trigger_job(app, "auto-complete-challenges"), timeout=20)
    # Then 80 completes and 50 fails
    assert (_status(raw, exact), _status(raw, partial)) == ("completed", "failed")


def test_rerunning_never_closes_or_notifies_twice(app, worker, raw, clock, make_user, make_challenge):
    # Given a challenge closed by today's run
    a = make_user()
    cid = make_challenge(date(2026, 3, 4), {a: 95})
    wait_for_run(app, trigger_job(app, "auto-complete-challenges"), timeout=20)
    # When the job runs again the same day and the next day
    again = wait_for_run(app, trigger_job(app, "auto-complete-challenges"), timeout=20)
    clock.advance(timedelta(days=1))
    tomorrow = wait_for_run(app, trigger_job(app, "auto-complete-challenges"), timeout=20)
    # Then nothing more is closed and the member has one notification
    assert again["items_processed"] == 0 and tomorrow["items_processed"] == 0
    assert _notifications(raw) == [(a, "challenge_completed", str(cid), cid)]


def test_a_challenge_reopened_and_closed_again_does_not_notify_twice(app, worker, raw, make_user, make_challenge):
    # Given a closed challenge that an admin sets back to active
    a = make_user()
    cid = make_challenge(date(2026, 3, 4), {a: 95})
    wait_for_run(app, trigger_job(app, "auto-complete-challenges"), timeout=20)
    with raw.cursor() as cur:
        cur.execute("UPDATE challenges.challenges SET status = 'active' WHERE id = %s", (cid,))
    # When the job closes it again
    row = wait_for_run(
        app,
        trigger_job(app, "auto-complete-challenges", at=datetime(2026, 3, 6, tzinfo=UTC), replay=True),
        timeout=20,
    )
    # Then the unique (user, type, challenge) key keeps one notification
    assert row["items_processed"] == 1 and len(_notifications(raw)) == 1


def test_the_run_date_is_the_runs_own_day(app, worker, raw, make_user, make_challenge):
    # Given a challenge ending 2026-03-05
    cid = make_challenge(date(2026, 3, 5), {make_user(): 100})
    # When a run for 2026-03-05 00:00 UTC happens (a caught-up or manual run for that day)
    wait_for_run(
        app,
        trigger_job(app, "auto-complete-challenges", at=datetime(2026, 3, 5, tzinfo=UTC)),
        timeout=20,
    )
    # Then it is still active (it ends today); the run for the next midnight closes it
    assert _status(raw, cid) == "active"
    row = wait_for_run(
        app,
        trigger_job(app, "auto-complete-challenges", at=datetime(2026, 3, 6, tzinfo=UTC), replay=True),
        timeout=20,
    )
    assert row["items_processed"] == 1 and _status(raw, cid) == "completed"
