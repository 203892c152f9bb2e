"""F10: SIGTERM during a 1,000-message run: the worker exits within its shutdown timeout, every
in-flight message runs once, and nothing is stranded."""

from __future__ import annotations

import signal
import time

from shared.runtime import build_app
from shared.settings import load_settings
from tests.faults.conftest import figures
from tests.support.processes import DramaturgProcess
from tests.support.waiting import wait_until

SHUTDOWN_TIMEOUT = 30


def _ledger(raw) -> tuple[int, int]:
    with raw.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT n) FROM fault_ledger")
        return cur.fetchone()


def _unfinished(raw) -> int:
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM dramatiq.queue WHERE state IN ('queued', 'consumed')")
        return cur.fetchone()[0]


def test_f10_sigterm_mid_run_finishes_in_flight_and_strands_nothing(fault_db, fault_raw, fault_env, tmp_path):
    app = build_app(
        load_settings(
            {"DATABASE_URL": fault_db, "DRAMATURG_APPS": "all", "DRAMATURG_ACTOR_MODULES": "tests.faults.actors"}
        )
    )
    from tests.faults.actors import record_actor

    # Given 1,000 messages that each take 20 ms, and a worker with 8 threads working through them
    app.broker.enqueue_many([record_actor.message(n, 20) for n in range(1000)])
    worker = DramaturgProcess(["worker", "--shutdown-timeout", str(SHUTDOWN_TIMEOUT)], fault_env(), tmp_path, "worker")
    worker.start()
    wait_until(lambda: _ledger(fault_raw)[0] >= 200, timeout=60)
    # When it gets SIGTERM mid-run
    worker.signal(signal.SIGTERM)
    t0 = time.monotonic()
    code = worker.wait(timeout=SHUTDOWN_TIMEOUT + 10)
    exit_s = time.monotonic() - t0
    done_at_stop = _ledger(fault_raw)[0]
    # Then it exited cleanly within its shutdown timeout, leaving no message claimed
    assert code == 0 and exit_s <= SHUTDOWN_TIMEOUT
    with fault_raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM dramatiq.queue WHERE state = 'consumed'")
        assert cur.fetchone() == (0,)
    # And a restarted worker finishes the rest: each of the 1,000 ran exactly once
    worker.start()
    try:
        wait_until(lambda: _ledger(fault_raw)[0] >= 1000 and _unfinished(fault_raw) == 0, timeout=120)
        stranded = _unfinished(fault_raw)
    finally:
        worker.stop()
    total, distinct = _ledger(fault_raw)
    figures(
        "F10",
        messages=1000,
        done_at_sigterm=done_at_stop,
        exit_s=round(exit_s, 2),
        executions=total,
        distinct=distinct,
        stranded=stranded,
    )
    assert (total, distinct, stranded) == (1000, 1000, 0)
