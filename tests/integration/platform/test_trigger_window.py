"""`trigger --at` and hand-made ticks: no run for a period that has not happened, nor one past the horizon."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.trigger import trigger_job, wait_for_run
from shared.errors import TriggerRefused
from tests.support.processes import dramaturg_env
from tests.support.waiting import wait_until


def _counts(raw) -> tuple[int, int]:
    with raw.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM dramatiq.queue), (SELECT count(*) FROM dramaturg.job_history)")
        return cur.fetchone()


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dramaturg", *args], env=dramaturg_env(url), capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "offset, why",
    [(timedelta(days=365), "in the future"), (timedelta(hours=1), "in the future"), (-timedelta(days=30), "horizon")],
)
def test_trigger_outside_the_window_is_refused_and_nothing_is_enqueued(app, raw, clock, offset, why):
    # Given the clock at T0 (the database is marked simulated, so T0 is now)
    # When decay is triggered for an instant outside its window
    with pytest.raises(TriggerRefused, match=why):
        trigger_job(app, "decay", at=clock.now() + offset)
    # Then nothing was enqueued and no history row was written
    assert _counts(raw) == (0, 0)


def test_trigger_within_the_window_or_as_a_replay_is_accepted(app, raw, clock):
    # Given the clock at T0
    # When decay is triggered for the past hour, and for next year as a deliberate replay
    trigger_job(app, "decay", at=clock.now() - timedelta(hours=1))
    trigger_job(app, "decay", at=clock.now() + timedelta(days=365), replay=True)
    # Then both are enqueued, the replay marked as such
    with raw.cursor() as cur:
        cur.execute("SELECT message->'options'->>'replay' FROM dramatiq.queue ORDER BY enqueued_at, message_id")
        flags = sorted(str(r[0]) for r in cur.fetchall())
    assert flags == ["None", "true"]


def test_cli_trigger_at_far_future_or_far_past_exits_2_with_a_clear_message(app, raw):
    # Given a real clock for the CLI process
    future = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    # When `dramaturg trigger decay --at` is given next year, or 1990
    ahead = _cli(app.url, "trigger", "decay", "--at", future)
    behind = _cli(app.url, "trigger", "decay", "--at", "1990-01-01T00:00:00Z")
    # Then both exit 2 with one clear line each, and nothing is enqueued
    assert ahead.returncode == 2 and "in the future" in ahead.stderr and "--replay" in ahead.stderr, ahead.stderr
    assert behind.returncode == 2 and "replay horizon" in behind.stderr and "--replay" in behind.stderr, behind.stderr
    assert "Traceback" not in ahead.stderr + behind.stderr
    assert _counts(raw) == (0, 0)
    # And with --replay the far-future run is enqueued
    replay = _cli(app.url, "trigger", "decay", "--at", future, "--replay")
    assert replay.returncode == 0, replay.stderr
    assert _counts(raw) == (1, 1)


def test_a_hand_made_tick_for_a_future_period_fails_instead_of_running(app, raw, worker, clock):
    # Given a message for example-touch's cron actor whose tick is a year ahead (sent by hand,
    # or by a producer whose clock is wrong), not marked as a replay
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name) VALUES ('a')")
    tick = (clock.now() + timedelta(days=365)).isoformat()
    app.registry.job("example-touch").actor.send_with_options(
        kwargs={"tick": tick, "args": {}}, job="example-touch", trigger="cron"
    )

    # When the worker takes it
    def outcome():
        with raw.cursor() as cur:
            cur.execute("SELECT id, status, error FROM dramaturg.job_history WHERE job_name = 'example-touch'")
            row = cur.fetchone()
        return row if row and row[1] in ("failed", "succeeded") else None

    run_id, status, error = wait_until(outcome, timeout=20)
    # Then the run failed at once (not retried) and touched nothing
    assert status == "failed" and "in the future" in error
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM example.example_touches")
        assert cur.fetchone()[0] == 0
    assert wait_for_run(app, run_id, timeout=5)["attempt"] == 1
