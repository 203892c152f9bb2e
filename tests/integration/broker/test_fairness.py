"""Claim window: two worker processes on one backlog of short jobs each get a fair share.

A larger ``DRAMATURG_CLAIM_WINDOW`` means bigger claims; it must not let one
worker take the backlog while another idles. Both workers start, then the
backlog is enqueued at once; each must run at least 40 % of it (and every
message runs exactly once).
"""

from __future__ import annotations

import pytest

from shared.runtime import build_app
from shared.settings import load_settings
from tests.support.processes import DramaturgProcess, dramaturg_env
from tests.support.waiting import wait_until

BACKLOG = 3000
MODULE = "tests.integration.broker.fairness_actors"


def _scalar(raw, sql: str):
    with raw.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


@pytest.mark.parametrize("window", ["0", "64"])
def test_two_workers_on_one_backlog_each_get_at_least_40_percent(db_url, raw, tmp_path, window):
    with raw.cursor() as cur:
        cur.execute("CREATE TABLE fairness_runs (n int NOT NULL, pid int NOT NULL)")
    env = dramaturg_env(
        db_url,
        DRAMATURG_ACTOR_MODULES=MODULE,
        DRAMATURG_WORKER_THREADS="4",
        DRAMATURG_CLAIM_WINDOW=window,
        DRAMATURG_APPS="",
    )
    workers = [
        DramaturgProcess(["worker", "--queues", "test-fairness"], env, tmp_path, f"worker-{i}").start() for i in (1, 2)
    ]
    app = build_app(load_settings({"DATABASE_URL": db_url, "DRAMATURG_ACTOR_MODULES": MODULE}))
    try:
        # Given both workers listening on the queue
        wait_until(
            lambda: (
                _scalar(
                    raw,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = 'dramaturg-listen'",
                )
                >= 2
            ),
            timeout=60,
            message="both workers listening",
        )
        from tests.integration.broker.fairness_actors import ran_by

        # When a backlog of short jobs arrives at once
        app.broker.enqueue_many([ran_by.message(n) for n in range(BACKLOG)])
        wait_until(
            lambda: _scalar(raw, "SELECT count(*) FROM fairness_runs") >= BACKLOG, timeout=180, message="backlog done"
        )
    finally:
        for w in workers:
            w.stop()
        app.broker.close()
        app.engine.dispose()
    # Then each ran at least 40 % of it, and every message ran once
    with raw.cursor() as cur:
        cur.execute("SELECT pid, count(*) FROM fairness_runs GROUP BY pid")
        shares = dict(cur.fetchall())
        cur.execute("SELECT count(DISTINCT n), count(*) FROM fairness_runs")
        assert cur.fetchone() == (BACKLOG, BACKLOG)
    assert set(shares) == {w.proc.pid for w in workers}
    assert min(shares.values()) >= 0.4 * BACKLOG, shares
