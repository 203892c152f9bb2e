"""The scheduler against real Postgres: deduplicated ticks, persisted watermarks, catch-up policies."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.runner import Scheduler
from scheduler.schedule import build_schedule
from scheduler.trigger import wait_for_run
from tests.support.registry import declared_jobs
from tests.support.waiting import wait_until


def _ticks(raw, job: str) -> list[str]:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT message->'kwargs'->>'tick' FROM dramatiq.queue WHERE message->'options'->>'job' = %s ORDER BY 1",
            (job,),
        )
        return [r[0] for r in cur.fetchall()]


def _scheduler(app, **env) -> Scheduler:
    from shared.settings import load_settings

    values = {"DATABASE_URL": app.url, "DRAMATURG_JOB_EXAMPLE_TOUCH_ENABLED": "true", **env}
    return Scheduler(app, build_schedule(load_settings(values), declared_jobs().jobs))


def _first_start(s: Scheduler, clock, at=datetime(2026, 3, 5, 10, 5, tzinfo=UTC)) -> None:
    """Start a scheduler at 10:05 (past the 10:00 tick's lateness), setting its watermarks."""
    clock.set(at)
    s.tick_once(clock.now())


def test_two_schedulers_enqueue_each_tick_once(app, raw, clock):
    # Given two scheduler processes' worth of schedulers over the same database
    a, b = _scheduler(app), _scheduler(app)
    _first_start(a, clock)
    clock.set(datetime(2026, 3, 5, 10, 10, 0, tzinfo=UTC))
    # When both run the same instant concurrently, many times over
    barrier = threading.Barrier(2)

    def run(s):
        barrier.wait()
        for _ in range(5):
            s.tick_once(clock.now())

    threads = [threading.Thread(target=run, args=(s,)) for s in (a, b)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    # Then the 10:10 tick of example-touch is in the queue exactly once
    assert _ticks(raw, "example-touch") == ["2026-03-05T10:10:00+00:00"]


def test_missed_daily_tick_runs_when_the_scheduler_starts_again(app, raw, clock):
    # Given a scheduler that last ran at 02:00, before prune-history's 03:00 tick
    s = _scheduler(app)
    clock.set(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    s.tick_once(clock.now())
    # When it comes back at 09:00, six hours late
    clock.set(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    s.tick_once(clock.now())
    # Then the missed 03:00 tick is enqueued once, for its own period
    assert _ticks(raw, "prune-history") == ["2026-03-05T03:00:00+00:00"]


def test_missed_ticks_with_catch_up_all_run_once_each(app, raw, clock):
    # Given example-touch every 10 min with catch-up 'all', last considered at 10:00
    s = _scheduler(app)
    _first_start(s, clock)
    # When the scheduler was down until 10:35
    clock.set(datetime(2026, 3, 5, 10, 35, tzinfo=UTC))
    s.tick_once(clock.now())
    s.tick_once(clock.now())
    # Then each missed period is enqueued exactly once
    assert _ticks(raw, "example-touch") == [f"2026-03-05T10:{m}:00+00:00" for m in ("10", "20", "30")]


def test_catch_up_none_drops_late_ticks_instead_of_piling_up(app, raw, clock):
    # Given example-touch configured every minute with catch-up 'none'
    s = _scheduler(
        app,
        DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDULE="* * * * *",
        DRAMATURG_JOB_EXAMPLE_TOUCH_CATCH_UP="none",
        DRAMATURG_JOB_EXAMPLE_TOUCH_MAX_LATENESS="30",
    )
    _first_start(s, clock, at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
    # When the scheduler comes back after 30 minutes
    clock.set(clock.now() + timedelta(minutes=30))
    s.tick_once(clock.now())
    # Then only the current minute's tick is enqueued, not thirty
    assert _ticks(raw, "example-touch") == ["2026-03-05T10:00:00+00:00", "2026-03-05T10:30:00+00:00"]


def test_disabled_job_is_not_scheduled(app, raw, clock):
    s = _scheduler(app, DRAMATURG_JOB_EXAMPLE_TOUCH_ENABLED="false")
    s.tick_once(clock.now())
    clock.set(clock.now() + timedelta(hours=2))
    s.tick_once(clock.now())
    assert _ticks(raw, "example-touch") == []


def test_tick_runs_on_the_worker_as_a_cron_run(app, worker, raw, clock):
    # Given one example item and a scheduler that fires example-touch at 10:10
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name) VALUES ('a')")
    s = _scheduler(app)
    _first_start(s, clock)
    clock.set(datetime(2026, 3, 5, 10, 10, 5, tzinfo=UTC))
    s.tick_once(clock.now())

    # When the worker runs it
    def cron_run():
        with raw.cursor() as cur:
            cur.execute("SELECT id FROM dramaturg.job_history WHERE job_name = 'example-touch' AND trigger = 'cron'")
            return cur.fetchone()

    (run_id,) = wait_until(cron_run, timeout=20)
    row = wait_for_run(app, run_id, timeout=20)
    # Then it is recorded as a cron run for the 10:10 period, and its child links to it
    assert row["status"] == "succeeded" and row["period"] == "2026-03-05T10:10" and row["children"] == {"succeeded": 1}


@pytest.mark.parametrize("late_minutes", [5])
def test_tick_started_late_is_not_dropped(app, worker, raw, clock, late_minutes):
    # Given a tick enqueued at 10:10 that a worker only picks up minutes later
    # (periodiq's middleware would drop it after 30 s)
    s = _scheduler(app)
    _first_start(s, clock)
    clock.set(datetime(2026, 3, 5, 10, 10, tzinfo=UTC))
    s.tick_once(clock.now())
    clock.advance(timedelta(minutes=late_minutes))
    # Then it still runs
    wait_until(lambda: _status(raw, "example-touch") == "succeeded", timeout=20)


def _status(raw, job):
    with raw.cursor() as cur:
        cur.execute("SELECT status FROM dramaturg.job_history WHERE job_name = %s ORDER BY id DESC LIMIT 1", (job,))
        row = cur.fetchone()
        return row and row[0]
