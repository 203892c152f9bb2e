"""Failure alerts: a Slack-compatible webhook when a run fails for good, at most one per job per interval."""

from __future__ import annotations

import pytest

from scheduler.trigger import trigger_job
from shared import history
from tests.support.http_sink import HttpSink
from tests.support.waiting import wait_until


def _finished(app, clock, run_id: int) -> dict:
    """Wait for the run and its children, moving the frozen clock past each retry's backoff."""

    def done():
        clock.advance(1)
        with app.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            row, children = history.get(raw, run_id), history.children_counts(raw, run_id)
        if row["status"] == "succeeded" and children and set(children) <= {"succeeded", "failed"}:
            return children

    return wait_until(done, timeout=30)


@pytest.fixture
def sink():
    with HttpSink() as s:
        yield s


@pytest.fixture
def settings_overrides(sink):
    return {"ALERT_WEBHOOK_URL": sink.url + "/hooks/T000/B000/XXXX", "DRAMATURG_RETRY_BASE_SECONDS": "0.01"}


def test_final_failure_alerts_once_and_counts_what_was_suppressed(app, worker, raw, sink, clock):
    # Given two items whose children fail every attempt
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name, fail_first) VALUES ('a', 99), ('b', 99)")
    # When the job runs and both children fail for good
    assert _finished(app, clock, trigger_job(app, "example-touch")) == {"failed": 2}
    # Then exactly one alert went out for the job, naming it and the error
    sink.wait_for(1, timeout=10)
    (alert,) = sink.requests(path_contains="/hooks/")
    assert "example-touch" in alert.json["text"] and "fails attempt 4" in alert.json["text"]
    # And after the interval the next failure alerts again, counting the suppressed one
    clock.advance(601)
    with raw.cursor() as cur:
        cur.execute("UPDATE example.example_items SET status = 'active'")
    _finished(app, clock, trigger_job(app, "example-touch", at=clock.now()))
    sink.wait_for(2, timeout=10)
    second = sink.requests(path_contains="/hooks/")[1]
    assert "1 more failure(s)" in second.json["text"]


def test_retrying_runs_do_not_alert(app, worker, raw, sink, clock):
    # Given an item that fails its first two attempts, then succeeds
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name, fail_first) VALUES ('a', 2)")
    children = _finished(app, clock, trigger_job(app, "example-touch"))
    # Then the child succeeded on attempt 3 and nobody was alerted
    assert children == {"succeeded": 1}
    assert sink.requests(path_contains="/hooks/") == []
