"""Schedulers whose clocks lie: checked against the database's clock, never moving watermarks past it."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.runner import Scheduler
from scheduler.schedule import build_schedule
from shared.clock import FrozenClock, OffsetClock, SystemClock
from shared.clock_guard import clear_simulated, mark_simulated
from shared.settings import load_settings
from tests.support.clocks import SkewedClock
from tests.support.processes import dramaturg_env
from tests.support.waiting import wait_until

YEAR = timedelta(days=365)


def _scheduler(app, clock, **env) -> Scheduler:
    values = {
        "DATABASE_URL": app.url,
        "DRAMATURG_JOB_EXAMPLE_TOUCH_ENABLED": "true",
        "DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDULE": "* * * * *",
        **env,
    }
    settings = load_settings(values)
    # The job these tests study, alone: every app's other jobs would only make a tick slower on a
    # loaded machine, and the real-time scenarios count on a tick taking a fraction of a timeline minute.
    jobs = {"example-touch": app.registry.jobs["example-touch"]}
    return Scheduler(dataclasses.replace(app, clock=clock, settings=settings), build_schedule(settings, jobs))


def _ticks(raw, job: str = "example-touch") -> list[str]:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT message->'kwargs'->>'tick' FROM dramatiq.queue WHERE message->'options'->>'job' = %s ORDER BY 1",
            (job,),
        )
        return [r[0] for r in cur.fetchall()]


def _watermark_lead(raw, job: str = "example-touch") -> float | None:
    """Seconds the job's watermark is ahead of the database's clock."""
    with raw.cursor() as cur:
        cur.execute(
            "SELECT extract(epoch FROM last_tick_at - clock_timestamp()) FROM dramaturg.scheduler_state WHERE job_name = %s",
            (job,),
        )
        row = cur.fetchone()
    return row and float(row[0])


@pytest.fixture
def real_time(raw):
    """This test's database runs on real time (the template is marked simulated for FrozenClock tests)."""
    clear_simulated(raw)


@pytest.mark.parametrize(
    "fast_clock",
    [
        pytest.param(lambda: SkewedClock(YEAR.total_seconds()), id="host-clock-a-year-ahead"),
        pytest.param(lambda: FrozenClock(datetime.now(UTC) + YEAR), id="DRAMATURG_NOW-a-year-out"),
    ],
)
def test_a_scheduler_a_year_ahead_refuses_and_the_correct_one_still_ticks(app, raw, real_time, fast_clock):
    # Given a database on real time, and a scheduler whose clock is a year ahead
    fast = _scheduler(app, fast_clock())
    # When it ticks once, and then a scheduler with a correct clock ticks
    refused = fast.tick_once()
    correct = _scheduler(app, SystemClock())
    enqueued = correct.tick_once()
    # Then the fast one enqueued nothing and moved no watermark past the database's now
    assert refused == []
    assert all(t < (datetime.now(UTC) + timedelta(minutes=1)).isoformat() for t in _ticks(raw))
    # And the correct one enqueued the current minute's tick, its watermark at the database's now
    assert enqueued, "the correct scheduler enqueued nothing: the watermark was moved into the future"
    lead = _watermark_lead(raw)
    assert lead is not None and lead <= app.settings.max_clock_skew


def test_a_refusing_scheduler_says_so_in_the_log_and_in_status(app, raw, real_time, caplog):
    # Given a scheduler whose host clock is two hours ahead of the database
    fast = _scheduler(app, SkewedClock(7200))
    # When it ticks
    with caplog.at_level("ERROR", logger="scheduler"):
        assert fast.tick_once() == []
    # Then its log says why, loudly
    assert any(
        "refuses to tick" in r.getMessage() and "DRAMATURG_MAX_CLOCK_SKEW" in r.getMessage() for r in caplog.records
    )
    # And `dramaturg status --json` lists it as refused, with the skew
    result = subprocess.run(
        [sys.executable, "-m", "dramaturg", "status", "--json"],
        env=dramaturg_env(app.url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    clocks = json.loads(result.stdout)["clocks"]
    refused = [c for c in clocks if c["role"] == "scheduler" and c["state"] == "refused"]
    assert (
        refused and abs(refused[0]["skew_seconds"] - 7200) < 60 and "DRAMATURG_MAX_CLOCK_SKEW" in refused[0]["detail"]
    )


def test_a_watermark_already_in_the_future_is_reset_not_obeyed(app, raw, real_time):
    # Given a watermark a year ahead, left by an older version or a misconfigured host
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO dramaturg.scheduler_state (job_name, last_tick_at) VALUES ('example-touch', clock_timestamp() + interval '1 year')"
        )
    # When a correct scheduler ticks
    enqueued = _scheduler(app, SystemClock()).tick_once()
    # Then it enqueues the current tick and brings the watermark back to the database's now
    assert enqueued
    assert _watermark_lead(raw) <= app.settings.max_clock_skew


def test_skewed_redundant_schedulers_enqueue_every_tick_once_while_the_fast_one_restarts(app, raw):
    # Given a shared simulated timeline in the database (a minute every 0.5 s) and three
    # schedulers whose clocks are 3 minutes behind, right, and 3 minutes ahead of it,
    # a per-minute job that drops ticks later than 150 s (less than the skew), and a
    # tolerance of 5 minutes. The timeline runs on wall time: a round of ticks may come
    # 150 / 120 = 1.25 s late on a loaded machine before the policy rightly drops a tick.
    rate = 120.0
    start = datetime(2026, 3, 5, 10, 0, 30, tzinfo=UTC)
    anchor = datetime.now(UTC)
    mark_simulated(raw, start=start, anchor=anchor, rate=rate, note="skewed schedulers")
    env = {
        "DRAMATURG_JOB_EXAMPLE_TOUCH_CATCH_UP": "none",
        "DRAMATURG_JOB_EXAMPLE_TOUCH_MAX_LATENESS": "150",
        "DRAMATURG_MAX_CLOCK_SKEW": "300",
    }
    slow, steady, fast = (
        _scheduler(app, OffsetClock(start + timedelta(minutes=m), rate, anchor), **env) for m in (-3, 0, 3)
    )
    rng = random.Random(10)

    def timeline() -> datetime:
        return start + (datetime.now(UTC) - anchor) * rate

    # When they tick in turn for 41 minutes while the fast one is down now and then
    fast_up = True
    end = start + timedelta(minutes=41, seconds=15)
    while timeline() < end:
        for s in (slow, steady) + ((fast,) if fast_up else ()):
            s.tick_once()
        if rng.random() < 0.15:
            fast_up = not fast_up
        now = timeline()
        wait_until(lambda: timeline() >= now + timedelta(seconds=10), timeout=5, interval=0.005)
    # Then every minute tick of the window is in the queue exactly once
    expected = [(start.replace(second=0) + timedelta(minutes=m)).isoformat() for m in range(1, 42)]
    ticks = [t for t in _ticks(raw) if t in expected]
    missing = sorted(set(expected) - set(ticks))
    assert not missing, f"{len(missing)} of {len(expected)} ticks never enqueued: {missing}"
    assert len(ticks) == len(set(ticks))
