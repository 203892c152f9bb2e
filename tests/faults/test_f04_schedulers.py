"""F4: two schedulers for 10 minutes, a third killed and restarted repeatedly: each minute tick is
enqueued and run exactly once — also when their clocks are 3 minutes apart (F4-skew)."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from shared.clock_guard import mark_simulated
from tests.faults.conftest import figures
from tests.support.processes import DramaturgProcess, Supervisor
from tests.support.waiting import wait_until

RATE = 30  # clock ×30: ten scheduled minutes in twenty real seconds


def _cron_periods(raw) -> Counter:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT period FROM dramaturg.job_history WHERE job_name = 'example-touch' AND trigger = 'cron' "
            "AND status = 'succeeded'"
        )
        return Counter(r[0] for r in cur.fetchall())


@pytest.mark.parametrize("minutes", [pytest.param(10, id="10min")])
def test_f4_ticks_once_with_redundant_and_crashing_schedulers(fault_db, fault_raw, fault_env, tmp_path, minutes):
    # Given one example item, so each run of example-touch leaves a per-period marker
    with fault_raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name) VALUES ('x')")
    start = datetime.now(UTC).replace(second=50, microsecond=0)
    env = fault_env(
        DRAMATURG_CLOCK_RATE=str(RATE),
        DRAMATURG_NOW=start.isoformat(),
        DRAMATURG_CLOCK_ANCHOR=datetime.now(UTC).isoformat(),
        DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDULE="* * * * *",
        DRAMATURG_JOB_EXAMPLE_TOUCH_ENABLED="true",
    )
    worker = DramaturgProcess(["worker"], env, tmp_path, "worker")
    steady = [DramaturgProcess(["scheduler"], env, tmp_path, f"scheduler-{i}") for i in (1, 2)]
    flaky = DramaturgProcess(["scheduler"], env, tmp_path, "scheduler-flaky")
    rng = random.Random(4)
    kills = 0
    anchor = datetime.fromisoformat(env["DRAMATURG_CLOCK_ANCHOR"])

    def sim_now() -> datetime:
        return start + (datetime.now(UTC) - anchor) * RATE

    # When they all run for the window while the third is killed over and over
    with Supervisor([worker, *steady, flaky]):
        # (the window starts at the first whole minute after every scheduler is up)
        wait_until(lambda: all("scheduler started" in p.log() for p in (*steady, flaky)), timeout=60)
        first = sim_now().replace(second=0, microsecond=0) + timedelta(minutes=1)
        deadline = time.monotonic() + ((first - sim_now()).total_seconds() + minutes * 60) / RATE
        while time.monotonic() < deadline:
            wait_until(lambda: flaky.alive(), timeout=10)
            pause = rng.uniform(1.0, 3.0)
            end = time.monotonic() + pause
            wait_until(lambda: time.monotonic() >= end, timeout=pause + 1, interval=0.1)
            flaky.signal(signal.SIGKILL)
            kills += 1
        # Then, once the last ticks have run, every minute of the window ran exactly once
        expected = {(first + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M") for m in range(minutes)}

        def all_ran():
            periods = _cron_periods(fault_raw)
            return periods if expected <= set(periods) else None

        periods = wait_until(
            all_ran, timeout=60, message=lambda: f"missing {sorted(expected - set(_cron_periods(fault_raw)))}"
        )
    with fault_raw.cursor() as cur:
        cur.execute("SELECT period, count(*) FROM example.example_touches GROUP BY period")
        touches = dict(cur.fetchall())
    window = {p: n for p, n in periods.items() if p in expected}
    figures(
        "F4",
        minutes=minutes,
        kills=kills,
        flaky_starts=flaky.starts,
        cron_runs=sum(window.values()),
        max_runs_per_minute=max(window.values()),
        touches_per_minute=set(touches[p] for p in expected),
    )
    assert set(window.values()) == {1} and set(periods.values()) == {1}
    assert all(touches[p] == 1 for p in expected)
    assert kills >= 3


@pytest.mark.parametrize("minutes", [pytest.param(8, id="8min")])
def test_f4_skewed_schedulers_enqueue_each_tick_once_while_the_fast_one_restarts(
    fault_db, fault_raw, fault_env, tmp_path, minutes
):
    # Given a shared timeline marked in the database, and three schedulers whose clocks are
    # 3 minutes behind it, on it, and 3 minutes ahead (within a 5-minute tolerance), for a
    # per-minute job that drops ticks more than 2 minutes late
    rate = 60
    with fault_raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name) VALUES ('x')")
    anchor = datetime.now(UTC)
    start = anchor.replace(second=50, microsecond=0)
    mark_simulated(fault_raw, start=start, anchor=anchor, rate=rate, note="F4 skewed schedulers")
    common = dict(
        DRAMATURG_CLOCK_RATE=str(rate),
        DRAMATURG_CLOCK_ANCHOR=anchor.isoformat(),
        DRAMATURG_MAX_CLOCK_SKEW="300",
        DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDULE="* * * * *",
        DRAMATURG_JOB_EXAMPLE_TOUCH_ENABLED="true",
        DRAMATURG_JOB_EXAMPLE_TOUCH_CATCH_UP="none",
        DRAMATURG_JOB_EXAMPLE_TOUCH_MAX_LATENESS="120",
    )

    def env(skew_minutes: int) -> dict[str, str]:
        return fault_env(DRAMATURG_NOW=(start + timedelta(minutes=skew_minutes)).isoformat(), **common)

    worker = DramaturgProcess(["worker"], env(0), tmp_path, "worker")
    slow = DramaturgProcess(["scheduler"], env(-3), tmp_path, "scheduler-slow")
    steady = DramaturgProcess(["scheduler"], env(0), tmp_path, "scheduler-steady")
    fast = DramaturgProcess(["scheduler"], env(3), tmp_path, "scheduler-fast")
    rng = random.Random(44)
    kills = 0

    def timeline() -> datetime:
        return start + (datetime.now(UTC) - anchor) * rate

    # When they all run while the fast one is killed and restarted over and over
    with Supervisor([worker, slow, steady, fast]):
        wait_until(lambda: all("scheduler started" in p.log() for p in (slow, steady, fast)), timeout=60)
        first = timeline().replace(second=0, microsecond=0) + timedelta(minutes=1)
        deadline = time.monotonic() + ((first - timeline()).total_seconds() + minutes * 60) / rate
        while time.monotonic() < deadline:
            wait_until(lambda: fast.alive(), timeout=10)
            pause = rng.uniform(1.0, 3.0)
            end = time.monotonic() + pause
            wait_until(lambda: time.monotonic() >= end, timeout=pause + 1, interval=0.1)
            fast.signal(signal.SIGKILL)
            kills += 1
        # Then every minute of the window was enqueued and ran exactly once
        expected = {(first + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M") for m in range(minutes)}

        def all_ran():
            periods = _cron_periods(fault_raw)
            return periods if expected <= set(periods) else None

        periods = wait_until(
            all_ran, timeout=60, message=lambda: f"never ran: {sorted(expected - set(_cron_periods(fault_raw)))}"
        )
    refusals = sum(p.log().count("refuses to tick") for p in (slow, steady, fast))
    window = {p: n for p, n in periods.items() if p in expected}
    figures(
        "F4-skew",
        minutes=minutes,
        kills=kills,
        fast_starts=fast.starts,
        cron_runs=sum(window.values()),
        refusals=refusals,
    )
    assert set(window.values()) == {1}
    assert refusals == 0 and kills >= 3
