"""streak-reminders: one reminder per at-risk user at 08:00 local, in any zone, across DST and catch-ups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from scheduler.runner import Scheduler
from scheduler.schedule import build_schedule
from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.integration.challenges.conftest import one, rows
from tests.support.waiting import wait_until

UTC = UTC
JOB = "streak-reminders"


def _reminders(raw) -> list[tuple]:
    return [
        (r["user_id"], r["dedupe_key"], r["created_at"])
        for r in rows(
            raw,
            "SELECT user_id, dedupe_key, created_at FROM challenges.notifications WHERE type = 'streak_reminder' "
            "ORDER BY created_at, user_id",
        )
    ]


def _run_ticks(app, ticks) -> list[dict]:
    """Run the job once for each tick instant (as the scheduler would), all queued at once."""
    ids = [trigger_job(app, JOB, at=t, replay=True) for t in ticks]
    return [wait_for_run(app, i, timeout=30) for i in ids]


def _ticks(start: datetime, end: datetime) -> list[datetime]:
    out, t = [], start
    while t <= end:
        out.append(t)
        t += timedelta(minutes=15)
    return out


def test_half_and_quarter_hour_zones_are_reminded_at_their_own_8am(app, worker, raw, make_user):
    # Given at-risk users in Asia/Kolkata (+5:30) and Asia/Kathmandu (+5:45), a user without a zone (UTC),
    # one who was active today, one without a streak and one with an unknown zone
    yesterday = date(2026, 3, 4)
    kolkata = make_user("Asia/Kolkata", 3, yesterday)
    kathmandu = make_user("Asia/Kathmandu", 7, yesterday)
    utc = make_user(None, 2, yesterday)
    make_user("Asia/Kolkata", 4, date(2026, 3, 5))
    make_user("Asia/Kolkata", 0, yesterday)
    unknown = make_user("Mars/Olympus_Mons", 1, yesterday)
    # When the ticks from 02:00 to 08:15 UTC run
    results = _run_ticks(app, _ticks(datetime(2026, 3, 5, 2, tzinfo=UTC), datetime(2026, 3, 5, 8, 15, tzinfo=UTC)))
    # Then each at-risk user is reminded once, by the tick whose window holds their local 08:00
    assert all(r["status"] == "succeeded" for r in results)
    assert _reminders(raw) == [
        (kathmandu, "2026-03-05", datetime(2026, 3, 5, 2, 15, tzinfo=UTC)),  # 08:00 NPT = 02:15 UTC
        (kolkata, "2026-03-05", datetime(2026, 3, 5, 2, 30, tzinfo=UTC)),  # 08:00 IST = 02:30 UTC
        (utc, "2026-03-05", datetime(2026, 3, 5, 8, tzinfo=UTC)),
        (unknown, "2026-03-05", datetime(2026, 3, 5, 8, tzinfo=UTC)),  # an unknown zone counts as UTC
    ]
    assert sum(r["items_processed"] for r in results) == 4


def test_new_york_is_reminded_once_a_day_at_8am_local_across_both_dst_switches(app, worker, raw, make_user):
    # Given an at-risk New York user
    user = make_user("America/New_York", 10, date(2026, 3, 1))
    # When the ticks from 11:30 to 13:30 UTC run on the days around both DST switches
    days = [date(2026, 3, 7), date(2026, 3, 8), date(2026, 10, 31), date(2026, 11, 1)]
    ticks = [
        t
        for d in days
        for t in _ticks(
            datetime(d.year, d.month, d.day, 11, 30, tzinfo=UTC), datetime(d.year, d.month, d.day, 13, 30, tzinfo=UTC)
        )
    ]
    _run_ticks(app, ticks)
    # Then there is one reminder per local day: 13:00 UTC in winter time, 12:00 UTC in summer time
    assert _reminders(raw) == [
        (user, "2026-03-07", datetime(2026, 3, 7, 13, tzinfo=UTC)),
        (user, "2026-03-08", datetime(2026, 3, 8, 12, tzinfo=UTC)),
        (user, "2026-10-31", datetime(2026, 10, 31, 12, tzinfo=UTC)),
        (user, "2026-11-01", datetime(2026, 11, 1, 13, tzinfo=UTC)),
    ]


def test_a_caught_up_day_reminds_each_user_once_at_their_own_tick(app, worker, raw, make_user):
    # Given at-risk users in four zones and a scheduler that last ran 24 hours ago
    yesterday = date(2026, 3, 3)
    users = {
        zone: make_user(zone, 5, yesterday) for zone in ("Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "UTC")
    }
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO dramaturg.scheduler_state (job_name, last_tick_at) VALUES (%s, %s)",
            (JOB, T0 - timedelta(days=1)),
        )
    # When the scheduler catches up (catch_up all: each of the 96 missed ticks runs for its own instant)
    scheduler = Scheduler(app, {JOB: build_schedule(app.settings, app.registry.jobs)[JOB]})
    assert len(scheduler.tick_once(T0)) == 96
    wait_until(
        lambda: (
            one(raw, "SELECT count(*) FROM dramaturg.job_history WHERE job_name = %s AND status = 'succeeded'", (JOB,))[
                0
            ]
            == 96
        ),
        timeout=60,
    )
    # Then each user got one reminder, stamped with the tick that covered their local 08:00
    assert _reminders(raw) == [
        (users["America/New_York"], "2026-03-04", datetime(2026, 3, 4, 13, tzinfo=UTC)),
        (users["Asia/Kathmandu"], "2026-03-05", datetime(2026, 3, 5, 2, 15, tzinfo=UTC)),
        (users["Asia/Kolkata"], "2026-03-05", datetime(2026, 3, 5, 2, 30, tzinfo=UTC)),
        (users["UTC"], "2026-03-05", datetime(2026, 3, 5, 8, tzinfo=UTC)),
    ]
    # And running those ticks again by hand adds nothing
    again = _run_ticks(app, [datetime(2026, 3, 5, 2, 15, tzinfo=UTC), datetime(2026, 3, 5, 2, 30, tzinfo=UTC)])
    assert [r["items_processed"] for r in again] == [0, 0] and len(_reminders(raw)) == 4
