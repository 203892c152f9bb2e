"""F7: the scheduler driven across DST changes in several zones, including Lord Howe's
half-hour shift: hourly UTC jobs run 24 times per UTC day; a local-time daily job runs
exactly once per local day, on 23 h and 25 h days too."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.runner import Scheduler
from scheduler.schedule import build_schedule
from shared.settings import load_settings
from tests.faults.conftest import figures

# job → (cron, zone): a nonexistent local time (spring-forward gap), ambiguous times (fall back)
JOBS = {
    "prune-history": ("0 * * * *", "UTC"),
    "example-touch": ("30 2 * * *", "Europe/Berlin"),  # 02:30 is skipped in March, doubled in October
    "cleanup": ("30 1 * * *", "America/New_York"),  # 01:30 is doubled on 2026-11-01
    "prune-queue": ("15 2 * * *", "Australia/Lord_Howe"),  # 02:00→02:30 gap in October, 30-min overlap in April
}
WINDOWS = [
    (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC)),
    (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)),
]


@pytest.fixture
def scheduler(runtime):
    env = {"DATABASE_URL": runtime.url}
    for job, (spec, zone) in JOBS.items():
        key = job.upper().replace("-", "_")
        env[f"DRAMATURG_JOB_{key}_SCHEDULE"] = spec
        env[f"DRAMATURG_JOB_{key}_TIMEZONE"] = zone
        env[f"DRAMATURG_JOB_{key}_CATCH_UP"] = "none"
        env[f"DRAMATURG_JOB_{key}_ENABLED"] = "true"
    table = build_schedule(load_settings(env))
    return Scheduler(runtime, {name: job for name, job in table.items() if name in JOBS})


def _drive(scheduler, clock, start, end) -> list[tuple[str, datetime]]:
    """Wake the scheduler exactly when its loop would, from start to end."""
    fired = []
    now = start
    clock.set(now)
    scheduler.tick_once(now)
    while True:
        now = scheduler.next_wakeup(now)
        if now > end:
            return fired
        clock.set(now)
        fired += [(job, datetime.fromisoformat(tick)) for job, tick in scheduler.tick_once(now)]


def test_f7_cron_across_dst_changes(runtime, clock, scheduler):
    fired = []
    for start, end in WINDOWS:
        fired += _drive(scheduler, clock, start, end)
    per_day: dict[str, Counter] = {job: Counter() for job in JOBS}
    for job, tick in fired:
        zone = ZoneInfo(JOBS[job][1])
        per_day[job][tick.astimezone(zone).date()] += 1
    # Hourly UTC: 24 per UTC day, every full day of both windows
    hourly = per_day["prune-history"]
    edges = {t.date() for window in WINDOWS for t in window}
    full_days = [d for d in hourly if d not in edges]
    assert {hourly[d] for d in full_days} == {24}
    # Local dailies: exactly one per local day, including the 23 h and 25 h days
    for job in ("example-touch", "cleanup", "prune-queue"):
        counts = per_day[job]
        assert set(counts.values()) == {1}, (job, {d: n for d, n in counts.items() if n != 1})
    checks = {
        "berlin_spring_2026-03-29": per_day["example-touch"][datetime(2026, 3, 29).date()],
        "berlin_fall_2026-10-25": per_day["example-touch"][datetime(2026, 10, 25).date()],
        "new_york_fall_2026-11-01": per_day["cleanup"][datetime(2026, 11, 1).date()],
        "new_york_spring_2026-03-08": per_day["cleanup"][datetime(2026, 3, 8).date()],
        "lord_howe_fall_2026-04-05": per_day["prune-queue"][datetime(2026, 4, 5).date()],
        "lord_howe_spring_2026-10-04": per_day["prune-queue"][datetime(2026, 10, 4).date()],
    }
    assert set(checks.values()) == {1}, checks
    figures("F7", ticks=len(fired), utc_days=len(full_days), **checks)
