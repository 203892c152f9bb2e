"""Actors used only by the fault scenarios (loaded with DRAMATURG_ACTOR_MODULES=tests.faults.actors).

``faults.record`` appends one ledger row per execution, so a scenario can
count how often each message really ran; ``fault-hold`` is a cron job whose
run can be frozen inside its locked transaction (F13).
"""

from __future__ import annotations

import os
import time

import dramatiq

from shared.actors import JobContext, cron_job
from shared.broker import broker
from shared.sql import SqlFile, queries, sa_text

SQL = queries(SqlFile("tests.faults", "faults"))


def record(n: int, work_ms: int = 0) -> None:
    if work_ms:
        time.sleep(work_ms / 1000)  # sleep-ok: the work itself, a slow message, so SIGTERM finds some in flight
    with broker.pooled() as raw, raw.cursor() as cur:
        cur.execute(SQL["fault_ledger_insert"], {"n": n})
        raw.commit()


record_actor = dramatiq.actor(record, actor_name="faults.record", queue_name="faults", broker=broker, max_retries=3)


#: Rows a run of ``fault-hold`` writes, all in its own (job, period) transaction.
HOLD_ROWS = 200


@cron_job(
    "fault-hold",
    schedule="0 0 1 1 *",
    actor_name="faults.hold",
    period="hour",
    enabled=False,
    description="fault scenarios: charge HOLD_ROWS ledger rows in one locked run (F13)",
)
def hold(ctx: JobContext) -> int:
    ctx.session.execute(sa_text(SqlFile("tests.faults", "faults"), "fault_ledger_insert_many"), {"rows": HOLD_ROWS})
    # F13 freezes the worker here, inside the run and its transaction, holding the (job, period) lock.
    while os.environ.get("FAULT_HOLD_IN_CRON") == "1":
        time.sleep(0.05)  # sleep-ok: the frozen work itself; the scenario SIGSTOPs and then kills this process
    return HOLD_ROWS
