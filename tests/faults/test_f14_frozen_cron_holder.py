"""F14: a worker frozen (SIGSTOP) inside a cron run holds the (job, period) lock while its lease
expires; the rescued message must not be recorded skipped: once the frozen worker dies, the period
runs again and all of its work happens."""

from __future__ import annotations

import signal

from tests.faults.actors import HOLD_ROWS
from tests.faults.conftest import figures
from tests.support.processes import DramaturgProcess
from tests.support.waiting import wait_until


def _advisory_locks(raw) -> int:
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
        return cur.fetchone()[0]


def _run(raw) -> tuple[str, int] | None:
    with raw.cursor() as cur:
        cur.execute("SELECT status, attempt FROM dramaturg.job_history WHERE job_name = 'fault-hold'")
        return cur.fetchone()


def _ledger(raw) -> int:
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM fault_ledger")
        return cur.fetchone()[0]


def test_f14_a_frozen_cron_holder_never_turns_its_period_into_a_skip(fault_raw, fault_env, tmp_path):
    common = dict(DRAMATURG_LEASE_SECONDS="2", DRAMATURG_RETRY_BASE_SECONDS="0.5", DRAMATURG_MAX_RETRIES="12")
    frozen = DramaturgProcess(["worker"], fault_env(FAULT_HOLD_IN_CRON="1", **common), tmp_path, "worker-frozen")
    rescuer = DramaturgProcess(["worker"], fault_env(**common), tmp_path, "worker-rescuer")
    try:
        # Given a worker inside a run of fault-hold, its 200 rows written but not committed
        frozen.start()
        wait_until(lambda: "consuming" in frozen.log(), timeout=60, message=frozen.log)
        trigger = DramaturgProcess(["trigger", "fault-hold"], fault_env(), tmp_path, "trigger").start()
        assert trigger.wait(timeout=60) == 0, trigger.log()
        wait_until(lambda: _advisory_locks(fault_raw) == 1, timeout=30, message=frozen.log)
        # When it is frozen, its lease expires, and a second worker gets the rescued message
        frozen.signal(signal.SIGSTOP)
        rescuer.start()
        met = wait_until(
            lambda: (r := _run(fault_raw)) and r[0] not in ("queued", "running") and r,
            timeout=60,
            message=rescuer.log,
        )
        # And then the frozen worker dies (its transaction rolls back, its lock is released)
        frozen.signal(signal.SIGKILL)
        final = wait_until(
            lambda: (r := _run(fault_raw)) and r[0] in ("succeeded", "failed", "skipped") and r,
            timeout=60,
            message=rescuer.log,
        )
    finally:
        frozen.signal(signal.SIGKILL)
        rescuer.stop()
    rows = _ledger(fault_raw)
    figures("F14", first_outcome_met=met[0], final=final[0], attempts=final[1], rows=rows, expected=HOLD_ROWS)
    # Then the rescued run was not recorded skipped; it ran the period once the holder was gone
    assert met[0] == "retrying", f"the rescued run was recorded {met[0]} while its own frozen attempt held the lock"
    assert final[0] == "succeeded" and rows == HOLD_ROWS
