"""An actor for the fairness test, loaded by worker processes with
``DRAMATURG_ACTOR_MODULES=tests.integration.broker.fairness_actors``: each run
records which process ran it."""

from __future__ import annotations

import os
import time

import dramatiq

from shared.broker import broker

QUEUE = "test-fairness"


def _ran_by(n: int) -> None:
    # A short job that takes wall time, not CPU: each worker's share then follows its claims and
    # threads (what the test is about), not which process the loaded machine schedules more.
    time.sleep(0.02)  # sleep-ok: the job's own work, not synchronisation
    with broker.pooled() as raw, raw.cursor() as cur:
        cur.execute("INSERT INTO fairness_runs (n, pid) VALUES (%s, %s)", (n, os.getpid()))
        raw.commit()


ran_by = dramatiq.actor(_ran_by, actor_name="test.fairness.ran_by", queue_name=QUEUE, broker=broker, max_retries=0)
