"""The web dyno's command-line side as a user runs it: ``keys``, ``show`` / ``cancel`` / ``retry``,
``dramaturg web`` (loopback unless keys exist), ``worker --health-port``, and ``up`` serving the dashboard."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest
import requests

from tests.support.waiting import wait_until


def _env(db_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRAMATURG_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=db_url, DRAMATURG_POLL_SECONDS="0.05", DRAMATURG_HEARTBEAT_SECONDS="0.5", DRAMATURG_APPS="all"
    )
    env.update(extra)
    return env


def dramaturg(db_url: str, *args: str, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dramaturg", *args],
        env=_env(db_url, **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    try:
        return requests.get(url, timeout=5)
    except requests.RequestException:
        return None


@pytest.fixture
def spawn(tmp_path):
    """Start ``dramaturg ...`` in its own process group; every one is stopped at the end."""
    started = []

    def start(db_url: str, *args: str, **extra) -> tuple[subprocess.Popen, object]:
        log = tmp_path / f"{args[0]}-{len(started)}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "dramaturg", *args],
            env=_env(db_url, **extra),
            stdout=open(log, "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(proc)
        return proc, log

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def test_keys_are_created_listed_and_revoked_and_the_token_is_shown_once(db_url, raw):
    created = dramaturg(db_url, "keys", "create", "--org", "acme", "--name", "billing", "--json")
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["token"].startswith(key["prefix"] + "_") and key["org_id"] == "acme"
    listed = dramaturg(db_url, "keys", "list")
    assert key["prefix"] in listed.stdout and "active" in listed.stdout and key["token"] not in listed.stdout
    assert dramaturg(db_url, "keys", "revoke", key["prefix"]).returncode == 0
    again = dramaturg(db_url, "keys", "revoke", key["prefix"])
    assert again.returncode == 1 and "no active key" in again.stderr
    assert dramaturg(db_url, "keys", "create").returncode == 2  # --org or --admin is required


def test_show_cancel_and_retry_a_run(db_url, raw):
    # Given a queued run (no worker is running)
    run_id = dramaturg(db_url, "trigger", "example-touch").stdout.strip()
    # When it is cancelled, then retried
    assert dramaturg(db_url, "cancel", run_id).stdout.strip() == f"run {run_id} cancelled"
    conflict = dramaturg(db_url, "cancel", run_id)
    assert conflict.returncode == 1 and "only a queued or delayed run can be cancelled" in conflict.stderr
    retried = dramaturg(db_url, "retry", run_id)
    assert retried.returncode == 0, retried.stderr
    new_id = retried.stdout.strip()
    # Then show tells both stories
    old = json.loads(dramaturg(db_url, "show", run_id, "--json").stdout)
    assert old["status"] == "CANCELLED" and old["acted_by"].startswith("cli:")
    assert old["retries"] == [{"id": int(new_id), "status": "PENDING"}]
    text = dramaturg(db_url, "show", new_id).stdout
    assert f"retry of run {run_id}" in text and "PENDING" in text
    missing = dramaturg(db_url, "show", "999999")
    assert missing.returncode == 1 and "no run 999999" in missing.stderr


def test_web_serves_loopback_only_until_a_key_exists(db_url, spawn):
    # Without a key, another address is refused, naming the setting
    refused = dramaturg(db_url, "web", "--host", "0.0.0.0", "--port", str(_free_port()))
    assert refused.returncode == 2 and "DRAMATURG_WEB_HOST=0.0.0.0" in refused.stderr
    # Loopback is served, and the start-up line says so
    port = _free_port()
    proc, log = spawn(db_url, "web", "--port", str(port))
    page = wait_until(lambda: (r := _get(f"http://127.0.0.1:{port}/")) and r.status_code == 200 and r, timeout=30)
    assert "<h1>Overview</h1>" in page.text
    assert "loopback only" in log.read_text()
    # SIGTERM stops it cleanly
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    # With a key, any address may be bound, and requests need the key
    token = json.loads(dramaturg(db_url, "keys", "create", "--admin", "--json").stdout)["token"]
    port = _free_port()
    proc, log = spawn(db_url, "web", "--host", "0.0.0.0", "--port", str(port))
    wait_until(lambda: _get(f"http://127.0.0.1:{port}/api/jobs") is not None, timeout=30)
    assert _get(f"http://127.0.0.1:{port}/api/jobs").status_code == 401
    ok = requests.get(f"http://127.0.0.1:{port}/api/jobs", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert ok.status_code == 200
    assert "API keys required" in log.read_text() and token not in log.read_text()


def test_worker_serves_its_own_health_and_records_its_heartbeat(db_url, raw, spawn):
    port = _free_port()
    proc, _ = spawn(db_url, "worker", "--threads", "2", "--health-port", str(port), "--health-host", "127.0.0.1")
    health = wait_until(
        lambda: (r := _get(f"http://127.0.0.1:{port}/health")) and r.status_code == 200 and r, timeout=30
    )
    body = health.json()
    assert body["status"] == "ok" and body["threads_alive"] == body["threads"] >= 2

    def rows():
        with raw.cursor() as cur:
            cur.execute("SELECT kind, pid FROM dramaturg.processes")
            return cur.fetchall()

    assert wait_until(lambda: rows()) == [("worker", proc.pid)]
    # A clean stop removes its row: a stopped worker is not a dead one
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=45) == 0
    assert rows() == []


def test_up_serves_the_dashboard_next_to_the_worker_and_scheduler(empty_db_url, spawn):
    port = _free_port()
    proc, log = spawn(empty_db_url, "up", DRAMATURG_WEB_PORT=str(port))
    page = wait_until(
        lambda: (r := _get(f"http://127.0.0.1:{port}/")) and r.status_code == 200 and r,
        timeout=90,
        message=log.read_text,
    )
    assert "Overview" in page.text
    health = wait_until(
        lambda: (r := _get(f"http://127.0.0.1:{port}/health")) and r.status_code == 200 and r.json(), timeout=60
    )
    assert health["workers"] >= 1 and health["scheduler"] == "ok"
    assert f"dashboard at http://127.0.0.1:{port}/" in log.read_text()
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 0
