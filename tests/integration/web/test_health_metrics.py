"""GET /health and GET /metrics against real heartbeats: the in-process worker's, written by the same
code ``dramaturg worker`` runs (dramaturg/process_health.py), and the database's own state."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dramaturg.process_health import attach_scheduler, attach_worker
from shared.heartbeats import ProcessHeartbeat
from tests.conftest import T0
from tests.integration.web.helpers import scalar, wait_status
from tests.support.waiting import wait_until


@pytest.fixture
def settings_overrides() -> dict:
    return {"DRAMATURG_HEARTBEAT_SECONDS": "0.2"}


@pytest.fixture
def worker_health(app, worker):
    health = attach_worker(app, worker, health_port=0, health_host="127.0.0.1")
    wait_until(health.heartbeat.healthy, message="the worker heartbeat was never written")
    yield health
    health.stop()


def _samples(text: str) -> dict:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_health_is_503_without_a_worker_heartbeat(client):
    response = client("GET", "/health")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "workers": 0,
        "scheduler": "missing",
        "oldest_queued_s": None,
    }


def test_health_is_ok_with_fresh_worker_and_scheduler_heartbeats(client, app, worker_health, raw):
    # A worker alone: degraded (cron waits) but serving
    degraded = client("GET", "/health")
    assert degraded.status_code == 200 and degraded.json()["status"] == "degraded"
    assert degraded.json()["workers"] == 1

    class Loop:  # a scheduler's stop flag, as attach_scheduler reads it
        import threading

        stop_event = threading.Event()

    beat = attach_scheduler(app, Loop())
    try:
        wait_until(beat.healthy)
        ok = client("GET", "/health").json()
        assert ok == {"status": "ok", "database": "ok", "workers": 1, "scheduler": "ok", "oldest_queued_s": None}
    finally:
        beat.stop()
    # The process row says what it is
    assert scalar(
        raw, "SELECT threads_alive > 0 AND threads_alive = threads_total FROM dramaturg.processes WHERE kind = 'worker'"
    )


def test_a_stale_heartbeat_does_not_count(client, worker_health, raw):
    worker_health.heartbeat.stop(delete=False)
    with raw.cursor() as cur:
        cur.execute("UPDATE dramaturg.processes SET beat_at = beat_at - interval '1 minute'")
    assert client("GET", "/health").status_code == 503


def test_oldest_queued_age_is_reported(client, worker_health, raw, clock):
    # Given a message that became due two minutes ago on a queue no worker consumes
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO dramatiq.queue (message_id, queue_name, state, message, eta) "
            "VALUES (gen_random_uuid(), 'nobody', 'queued', '{}', %s)",
            (T0 - timedelta(minutes=2),),
        )
    assert client("GET", "/health").json()["oldest_queued_s"] == 120.0


def test_the_workers_own_health_port_answers(worker_health):
    import requests

    url = f"http://127.0.0.1:{worker_health.server.server_address[1]}/health"
    body = requests.get(url, timeout=5).json()
    assert body["status"] == "ok" and body["threads_alive"] == body["threads"] > 0


def test_metrics_report_each_processs_runs_once(client, app, worker_health, raw):
    # Given runs on the worker: two succeed, one fails
    ids = [
        client("POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": n, "fail": n == 2}}).json()["id"]
        for n in range(3)
    ]
    for job_id in ids:
        wait_status(client, job_id, "COMPLETED", "FAILED")
    # And a second worker process's heartbeat with its own counters
    other = ProcessHeartbeat(
        app.engine,
        kind="worker",
        interval=0.2,
        stats=lambda: {"runs": [["webtest.echo", "succeeded", 5]], "retries": {}, "durations": {}, "rescued": 1},
    )
    other.beat_once()
    me = worker_health.heartbeat.label

    def scraped():
        samples = _samples(client("GET", "/metrics").text)
        ok = ("dramaturg_runs_total", (("job", "webtest.echo"), ("process", me), ("status", "succeeded")))
        bad = ("dramaturg_runs_total", (("job", "webtest.echo"), ("process", me), ("status", "failed")))
        # Both counts: a run's counter is published by the next heartbeat, after its history row.
        return samples if samples.get(ok) == 2 and samples.get(bad) == 1 else None

    samples = wait_until(scraped, message="the worker's counters never reached /metrics")
    runs = {labels: v for (name, labels), v in samples.items() if name == "dramaturg_runs_total"}
    # Then each process's runs are counted once, under its own label; the total is the sum
    assert sum(v for labels, v in runs.items() if ("status", "succeeded") in labels) == 7
    assert runs[(("job", "webtest.echo"), ("process", me), ("status", "failed"))] == 1
    assert samples[("dramaturg_processes", (("kind", "worker"),))] == 2
    assert samples[("dramaturg_database_up", ())] == 1
    count = samples[("dramaturg_run_duration_seconds_count", (("job", "webtest.echo"), ("process", me)))]
    assert count == 3
    # (this process's broker counts its rescues since it started, over every test: only the other's is known)
    assert samples[("dramaturg_rescued_messages_total", (("process", other.label),))] == 1
    other.stop()


def test_metrics_report_queue_depth_by_state(client, raw):
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO dramatiq.queue (message_id, queue_name, state, message, eta) VALUES "
            "(gen_random_uuid(), 'nobody', 'queued', '{}', %s), (gen_random_uuid(), 'nobody', 'queued', '{}', %s)",
            (T0 - timedelta(seconds=30), T0 + timedelta(hours=1)),
        )
    samples = _samples(client("GET", "/metrics").text)
    assert samples[("dramaturg_queue_messages", (("queue", "nobody"), ("state", "queued")))] == 1
    assert samples[("dramaturg_queue_messages", (("queue", "nobody"), ("state", "delayed")))] == 1
    assert samples[("dramaturg_queue_oldest_message_age_seconds", (("queue", "nobody"),))] == 30


def test_metrics_report_how_late_the_last_cron_run_started(client, raw):
    # Given decay's last cron run, for the 10:00 tick, started 4.5 s after it
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, trigger, status, args, started_at) "
            "VALUES ('decay', 'game.decay', gen_random_uuid(), 'cron', 'running', %s, %s)",
            (json.dumps({"kwargs": {"tick": T0.isoformat(), "args": {}}}), T0 + timedelta(seconds=4.5)),
        )
    samples = _samples(client("GET", "/metrics").text)
    assert samples[("dramaturg_scheduler_lateness_seconds", (("job", "decay"),))] == 4.5
