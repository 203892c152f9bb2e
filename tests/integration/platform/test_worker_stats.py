"""The worker's periodic stats line."""

from __future__ import annotations

import logging

import pytest

from scheduler.trigger import trigger_job, wait_for_run
from tests.support.waiting import wait_until


@pytest.fixture
def settings_overrides():
    return {"DRAMATURG_STATS_INTERVAL": "0.1"}


def test_worker_logs_processed_failed_retried_and_in_flight(app, worker, raw, caplog):
    caplog.set_level(logging.INFO, logger="dramaturg.stats")
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name) VALUES ('a'), ('b')")
    wait_for_run(app, trigger_job(app, "example-touch"), timeout=20)
    # The parent and its two children were processed; a later stats line says so
    line = wait_until(lambda: [r.getMessage() for r in caplog.records if "processed=3" in r.getMessage()], timeout=10)[
        0
    ]
    assert "failed=0" in line and "retried=0" in line and "in_flight=0" in line
