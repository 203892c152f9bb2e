"""The ``dramaturg`` CLI as a user runs it: real processes, a real worker process, real Postgres."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import psycopg2
import pytest

from tests.support.waiting import wait_until


def _env(db_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRAMATURG_", "DATABASE_URL"))}
    env.update(DATABASE_URL=db_url, DRAMATURG_POLL_SECONDS="0.05", DRAMATURG_APPS="all")
    env.update(extra)
    return env


def dramaturg(db_url: str, *args: str, timeout: float = 60, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dramaturg", *args],
        env=_env(db_url, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def worker_process(db_url):
    proc = subprocess.Popen(
        [sys.executable, "-m", "dramaturg", "worker", "--threads", "2"],
        env=_env(db_url, DRAMATURG_RETRY_BASE_SECONDS="0.01"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _queue_count(raw) -> int:
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM dramatiq.queue")
        return cur.fetchone()[0]


def test_unknown_job_lists_valid_names_and_exits_2(db_url, raw):
    result = dramaturg(db_url, "trigger", "example-tuch")
    assert result.returncode == 2
    assert "unknown job 'example-tuch'" in result.stderr and "Did you mean 'example-touch'" in result.stderr
    assert "prune-history" in result.stderr
    assert _queue_count(raw) == 0


def test_malformed_argument_is_rejected_and_nothing_is_enqueued(db_url, raw):
    result = dramaturg(db_url, "trigger", "example-touch", "--arg", "no-equals-sign")
    assert result.returncode == 2 and "--arg: expected KEY=VALUE" in result.stderr
    assert _queue_count(raw) == 0


def test_trigger_prints_the_history_id_at_once(db_url, raw):
    result = dramaturg(db_url, "trigger", "example-touch", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["job"] == "example-touch" and out["status"] == "queued"
    with raw.cursor() as cur:
        cur.execute("SELECT status, trigger FROM dramaturg.job_history WHERE id = %s", (out["run_id"],))
        assert cur.fetchone() == ("queued", "manual")


def test_trigger_wait_reports_the_outcome_from_a_worker_process(db_url, raw, worker_process):
    # Given two items and a worker process
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name) VALUES ('a'), ('b')")
    # When the job is triggered and waited for
    result = dramaturg(db_url, "trigger", "example-touch", "--wait", "--json", "--timeout", "60")
    # Then the outcome is printed and the exit code says it succeeded
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "succeeded" and out["items_processed"] == 2 and out["children"] == {"succeeded": 2}
    # And history/status/schedule show it to scripts
    history = json.loads(dramaturg(db_url, "history", "--job", "example-touch", "--json").stdout)
    assert {r["trigger"] for r in history} == {"manual", "fanout"}
    status = json.loads(dramaturg(db_url, "status", "--json").stdout)
    touch = next(j for j in status["jobs"] if j["job"] == "example-touch")
    assert touch["last_run"]["status"] == "succeeded" and touch["enabled"] is False  # off by default
    assert all(j["next_run"] for j in status["jobs"] if j["enabled"])
    schedule = json.loads(dramaturg(db_url, "schedule", "--json").stdout)
    assert {r["job"] for r in schedule} >= {"example-touch", "prune-history", "prune-queue"}


def test_failed_run_exits_1(db_url, raw, worker_process):
    # Given an item whose child always fails, and a worker retrying after 10, 20, 40 ms
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name, fail_first) VALUES ('x', 99)")
    result = dramaturg(db_url, "trigger", "example-touch", "--wait", "--timeout", "60")
    # Then the child failed for good after 4 attempts and the command exits 1
    assert result.returncode == 1, result.stdout + result.stderr
    assert "children=failed:1" in result.stdout
    with raw.cursor() as cur:
        cur.execute("SELECT attempt, status FROM dramaturg.job_history WHERE trigger = 'fanout'")
        assert cur.fetchall() == [(4, "failed")]


def test_unreachable_database_gives_a_clear_error_with_the_password_masked(tmp_path):
    url = "postgresql://app:hunter2-secret@127.0.0.1:1/app"
    result = dramaturg(url, "trigger", "example-touch", timeout=60, DRAMATURG_SEND_TIMEOUT="2")
    assert result.returncode == 1
    assert "cannot reach the database" in result.stderr or "cannot get a connection" in result.stderr
    assert "hunter2-secret" not in result.stderr + result.stdout and "***" in result.stderr


def test_bad_configuration_stops_start_up_naming_the_variable(db_url):
    result = dramaturg(db_url, "schedule", DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDULE="every minute")
    assert result.returncode == 2 and "DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDULE" in result.stderr


def test_migrate_is_idempotent(empty_db_url):
    for _ in range(2):
        result = dramaturg(empty_db_url, "migrate")
        assert result.returncode == 0, result.stderr
    assert "latest migration" in result.stdout


def test_migrate_after_enabling_an_app_migrates_it_on_a_database_already_current_for_the_platform(empty_db_url):
    # Given a database migrated with the platform alone
    assert dramaturg(empty_db_url, "migrate").returncode == 0
    # When the task app is enabled and the release step runs again
    result = dramaturg(empty_db_url, "migrate", DRAMATURG_APPS="tasks")
    # Then the app's tables are created: the platform being current does not cut the release short
    assert result.returncode == 0, result.stderr
    with psycopg2.connect(empty_db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('tasks.tasks') IS NOT NULL")
        assert cur.fetchone() == (True,)
    conn.close()


def test_migrate_creates_the_platform_and_the_configured_apps_only(empty_db_url):
    # Given an app's database with its own users table
    conn = psycopg2.connect(empty_db_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE users (id serial PRIMARY KEY)")
    # When dramaturg migrates it with the task app enabled
    result = dramaturg(empty_db_url, "migrate", DRAMATURG_APPS="tasks")
    # Then it succeeds, says which apps are on, and creates the platform's and that app's schemas only
    assert result.returncode == 0, result.stderr
    assert "apps: tasks" in result.stdout
    with conn.cursor() as cur:
        cur.execute("SELECT nspname FROM pg_namespace WHERE nspname IN ('dramatiq', 'dramaturg', 'game', 'tasks')")
        assert {r[0] for r in cur.fetchall()} == {"dramatiq", "dramaturg", "tasks"}
    conn.close()


def test_without_apps_only_the_platforms_jobs_are_scheduled_and_a_domain_job_is_refused(db_url, raw):
    # Given DRAMATURG_APPS unset: the platform alone
    result = dramaturg(db_url, "schedule", "--json", DRAMATURG_APPS="")
    assert result.returncode == 0, result.stderr
    assert {row["job"] for row in json.loads(result.stdout)} == {"prune-history", "prune-queue"}
    # When a seed domain's job is triggered
    result = dramaturg(db_url, "trigger", "decay", DRAMATURG_APPS="")
    # Then it is refused with the app to enable, and nothing is enqueued
    assert result.returncode == 2
    assert "job 'decay' belongs to the app 'game', which is not enabled" in result.stderr
    assert "Traceback" not in result.stderr
    assert _queue_count(raw) == 0


def test_worker_exits_cleanly_on_sigterm(db_url, raw, worker_process):
    # Given a worker that is up: its consumers LISTEN on the database
    def listening():
        with raw.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dramaturg-listen' "
                "AND datname = current_database()"
            )
            return cur.fetchone()[0] > 0

    wait_until(listening, timeout=30)
    worker_process.send_signal(signal.SIGTERM)
    assert worker_process.wait(timeout=30) == 0


def test_dramaturg_now_runs_the_command_at_that_instant_and_warns(db_url, raw):
    # Given the documented clock override
    result = dramaturg(
        db_url,
        "trigger",
        "example-touch",
        "--json",
        DRAMATURG_NOW="2026-01-01T00:00:30Z",
        DRAMATURG_CLOCK_FROZEN="true",
    )
    # Then the run is recorded at that instant, for that period, with a loud warning
    assert result.returncode == 0, result.stderr
    assert "DRAMATURG_NOW/DRAMATURG_CLOCK_RATE is set" in result.stderr and "frozen at 2026-01-01" in result.stderr
    with raw.cursor() as cur:
        cur.execute(
            "SELECT enqueued_at::text, period FROM dramaturg.job_history WHERE id = %s",
            (json.loads(result.stdout)["run_id"],),
        )
        assert cur.fetchone() == ("2026-01-01 00:00:30+00", "2026-01-01T00:00")


def test_worker_waits_for_an_unreachable_database_instead_of_crashing():
    # Given a worker pointed at a database that is not there
    url = "postgresql://app:hunter2-secret@127.0.0.1:1/app"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dramaturg", "worker"],
        env=_env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    import threading

    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    try:
        # Then it logs a clear, masked message and retries with backoff, staying alive
        wait_until(lambda: sum("waiting for the database" in line for line in lines) >= 2, timeout=30)
        assert proc.poll() is None
        text = "".join(lines)
        assert "retrying in" in text and "hunter2-secret" not in text and "***" in text
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)


def test_an_app_process_sends_with_only_database_url_set(db_url, raw):
    # Given a plain Python process that imports an actor and calls .send()
    code = "from actors.example.touch import touch_item; touch_item.send(item_id=7)"
    result = subprocess.run([sys.executable, "-c", code], env=_env(db_url), capture_output=True, text=True, timeout=60)
    # Then the message is in the queue for the worker
    assert result.returncode == 0, result.stderr
    with raw.cursor() as cur:
        cur.execute("SELECT queue_name, state::text, message->'kwargs' FROM dramatiq.queue")
        assert cur.fetchall() == [("example", "queued", {"item_id": 7})]


def test_human_readable_views_render(db_url, raw):
    # Given one manual run whose error looks like markup
    assert dramaturg(db_url, "trigger", "example-touch").returncode == 0
    with raw.cursor() as cur:
        cur.execute("UPDATE dramaturg.job_history SET status = 'failed', error = '[red]not markup[/]'")
    for command in ("status", "history", "schedule"):
        result = dramaturg(db_url, command, COLUMNS="200")
        assert result.returncode == 0, result.stderr
        assert "example-touch" in result.stdout
    assert "[red]not markup[/]" in dramaturg(db_url, "history", COLUMNS="200").stdout


def test_commands_on_an_unmigrated_database_say_to_migrate(empty_db_url):
    result = dramaturg(empty_db_url, "status")
    assert result.returncode == 1 and "run `dramaturg migrate` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_up_against_a_database_url_runs_the_configured_apps_and_says_which(empty_db_url, tmp_path):
    # Given `dramaturg up` against a DATABASE_URL with the task app configured, in its own process group
    log_path = tmp_path / "up.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dramaturg", "up"],
            env=_env(empty_db_url, DRAMATURG_APPS="tasks", DRAMATURG_DATA_DIR=str(tmp_path)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # When it is up
        # Then its start-up line names the apps that are on
        wait_until(lambda: "dramaturg is up" in log_path.read_text(), timeout=60, message=log_path.read_text)
        assert "apps: tasks)" in log_path.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    # And it migrated the platform and that app only
    conn = psycopg2.connect(empty_db_url)
    with conn.cursor() as cur:
        cur.execute("SELECT nspname FROM pg_namespace WHERE nspname IN ('dramaturg', 'game', 'tasks', 'example')")
        assert {r[0] for r in cur.fetchall()} == {"dramaturg", "tasks"}
    conn.close()
