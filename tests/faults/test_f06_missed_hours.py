"""F6: the scheduler is down across three hourly ticks: the missed periods are applied once each,
from its persisted watermark, when it comes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.faults.conftest import figures
from tests.support.processes import DramaturgProcess
from tests.support.registry import declared_jobs
from tests.support.waiting import wait_until

RATE = 600  # one scheduled hour every six real seconds
START = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # plus six real seconds before the first decay tick


def test_f6_scheduler_down_three_hours_applies_each_missed_hour_once(fault_db, fault_raw, fault_env, tmp_path):
    # The timeline reaches START only after 30 real seconds: room for the processes to come up
    # on a loaded machine (before it, the shared clock runs through earlier minutes with nothing due).
    anchor = datetime.now(UTC) + timedelta(seconds=30)

    def sim_now() -> datetime:
        return START + (datetime.now(UTC) - anchor) * RATE

    def until(at: datetime) -> None:
        wait_until(lambda: sim_now() >= at, timeout=(at - sim_now()).total_seconds() / RATE + 10, interval=0.05)

    only_decay = {
        f"DRAMATURG_JOB_{n.upper().replace('-', '_')}_ENABLED": "false" for n in declared_jobs() if n != "decay"
    }
    env = fault_env(
        DRAMATURG_CLOCK_RATE=str(RATE),
        DRAMATURG_NOW=START.isoformat(),
        DRAMATURG_CLOCK_ANCHOR=anchor.isoformat(),
        **only_decay,
    )
    # Given a chapter-1 player exactly one overdue hour past her 8 h grace at 11:00 (0.8 points an hour)
    with fault_raw.cursor() as cur:
        cur.execute(
            "INSERT INTO game.users (chapter, score, last_interaction_at) VALUES (1, 50, %s) RETURNING id",
            (datetime(2026, 3, 5, 2, 0, tzinfo=UTC),),
        )
        (user,) = cur.fetchone()
    worker = DramaturgProcess(["worker"], env, tmp_path, "worker").start()
    scheduler = DramaturgProcess(["scheduler"], env, tmp_path, "scheduler").start()
    try:
        wait_until(lambda: "scheduler started" in scheduler.log(), timeout=30)
        assert sim_now() < datetime(2026, 3, 5, 10, 59, tzinfo=UTC), "processes started too slowly"
        # When the scheduler runs through 11:00 and 12:00, is down from 12:05 to 15:30 (13, 14, 15 missed)
        until(datetime(2026, 3, 5, 12, 5, tzinfo=UTC))
        scheduler.stop()
        until(datetime(2026, 3, 5, 15, 30, tzinfo=UTC))
        down_for = "12:05-15:30"
        scheduler.start()
        # Then the missed hours and the next one (16:00) each run once
        until(datetime(2026, 3, 5, 16, 10, tzinfo=UTC))
        expected = [f"2026-03-05T{h:02d}" for h in range(11, 17)]

        def periods():
            with fault_raw.cursor() as cur:
                cur.execute(
                    "SELECT period, count(*) FROM dramaturg.job_history WHERE job_name = 'decay' AND trigger = 'cron' "
                    "AND status = 'succeeded' GROUP BY period ORDER BY period"
                )
                rows = dict(cur.fetchall())
            return rows if set(expected) <= set(rows) else None

        runs = wait_until(periods, timeout=30, message=lambda: f"periods so far: {periods() or 'incomplete'}")
    finally:
        scheduler.stop()
        worker.stop()
    with fault_raw.cursor() as cur:
        cur.execute("SELECT score FROM game.users WHERE id = %s", (user,))
        (score,) = cur.fetchone()
        cur.execute(
            "SELECT count(*), sum(delta) FROM game.score_history WHERE user_id = %s AND event_type = 'decay'", (user,)
        )
        rows, total = cur.fetchone()
    figures("F6", scheduler_down=down_for, cron_runs=runs, decay_rows=rows, decayed=total, score=score)
    # Six hourly periods, each run exactly once; six overdue hours decayed once each: 6 × 0.8
    assert {p: runs[p] for p in expected} == {p: 1 for p in expected}
    assert score == Decimal("45.20") and total == Decimal("-4.80")
