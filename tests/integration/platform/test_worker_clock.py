"""Workers and producers on different clocks: due-ness is judged by the database's clock."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shared.clock_guard import clear_simulated
from tests.support.clocks import SkewedClock
from tests.support.processes import DramaturgProcess, dramaturg_env
from tests.support.waiting import wait_until


@pytest.fixture
def clock():
    """This process is the producer, on a host whose clock runs two minutes ahead."""
    return SkewedClock(120)


@pytest.fixture
def real_time(raw):
    clear_simulated(raw)


def test_a_worker_behind_the_producer_runs_its_messages_at_once(app, raw, real_time, tmp_path):
    # Given a worker process on a correct clock, and an item
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name) VALUES ('a') RETURNING id")
        (item,) = cur.fetchone()
    worker = DramaturgProcess(["worker", "--threads", "2"], dramaturg_env(app.url), tmp_path, "worker").start()
    try:
        wait_until(lambda: "consuming" in worker.log(), timeout=60, message=worker.log)
        # When this producer, two minutes ahead, sends a message due now
        from actors.example.touch import touch_item

        touch_item.send(item_id=item)

        # Then the worker runs it at once, not two minutes later
        def touched():
            with raw.cursor() as cur:
                cur.execute("SELECT touches FROM example.example_items WHERE id = %s", (item,))
                return cur.fetchone()[0] == 1

        wait_until(touched, timeout=30, message=lambda: "not run yet: " + worker.log()[-2000:])
    finally:
        worker.stop()


def test_a_worker_on_a_simulated_clock_refuses_to_start_on_a_real_time_database(app, raw, real_time):
    # Given a database on real time
    # When a worker starts with DRAMATURG_NOW set
    env = dramaturg_env(app.url, DRAMATURG_NOW="2026-01-01T00:00:00Z")
    result = subprocess.run(
        [sys.executable, "-m", "dramaturg", "worker"], env=env, capture_output=True, text=True, timeout=60
    )
    # Then it exits 2 saying why, and the refusal is recorded for `status`
    assert result.returncode == 2 and "refuses to start" in result.stderr and "not marked" in result.stderr, (
        result.stderr
    )
    with raw.cursor() as cur:
        cur.execute("SELECT role, state FROM dramaturg.clock_checks")
        assert cur.fetchall() == [("worker", "refused")]
