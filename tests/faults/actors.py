"""Actors used only by the fault scenarios (loaded with DRAMATURG_ACTOR_MODULES=tests.faults.actors).

``faults.record`` appends one ledger row per execution, so a scenario can
count how often each message really ran.
"""

from __future__ import annotations

import time

import dramatiq

from shared.broker import broker
from shared.sql import queries

SQL = queries("faults")


def record(n: int, work_ms: int = 0) -> None:
    if work_ms:
        time.sleep(work_ms / 1000)  # sleep-ok: the work itself, a slow message, so SIGTERM finds some in flight
    with broker.pooled() as raw, raw.cursor() as cur:
        cur.execute(SQL["fault_ledger_insert"], {"n": n})
        raw.commit()


record_actor = dramatiq.actor(record, actor_name="faults.record", queue_name="faults", broker=broker, max_retries=3)
