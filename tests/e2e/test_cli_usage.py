"""The CLI's edges as a newcomer meets them: usage errors, the release step's database errors, ``up``'s checks,
verbs that need no database, unknown variables, log formats."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.support.waiting import wait_until


def _env(db_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRAMATURG_", "DATABASE_URL"))}
    if db_url:
        env["DATABASE_URL"] = db_url
    env.update(DRAMATURG_POLL_SECONDS="0.05", DRAMATURG_APPS="all")
    env.update(extra)
    return env


def dramaturg(db_url: str | None, *args: str, timeout: float = 60, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dramaturg", *args],
        env=_env(db_url, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _one_line_usage_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("history", "--since", "yesterday"), "--since: expected an age like 30m"),
        (("history", "--limit", "-1"), "--limit: expected a whole number ≥ 1, got '-1'"),
        (("history", "--status", "faild"), "did you mean 'failed'?"),
        (("show", "abc"), "id: expected a run id"),
        (("cancel", "-5"), "expected a run id"),
        (("retry", "1.5"), "id: expected a run id"),
        (("trigger", "prune-history", "--at", "tomorrow"), "--at: expected an ISO instant"),
        (("trigger", "prune-history", "--arg", "no-equals-sign"), "--arg: expected KEY=VALUE"),
        (("worker", "--threads", "0"), "--threads: expected a whole number ≥ 1"),
        (("histroy",), "unknown command 'histroy'; did you mean 'history'?"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(db_url, args, says):
    line = _one_line_usage_error(dramaturg(db_url, *args))
    assert says in line


def test_usage_errors_under_json_are_json(db_url):
    line = _one_line_usage_error(dramaturg(db_url, "history", "--limit", "-1", "--json"))
    error = json.loads(line)
    assert error["error"] == "usage" and "--limit" in error["detail"]
    line = _one_line_usage_error(dramaturg(db_url, "trigger", "exmaple-touch", "--json"))
    error = json.loads(line)
    assert error["error"] == "unknown_job" and "Did you mean 'example-touch'" in error["detail"]


@pytest.mark.parametrize(
    ("job", "arg", "says"),
    [
        ("prune-queue", "limit=3", "the job 'prune-queue' takes no arguments"),  # a job with no args model
        ("example-touch", "chnk=3", "invalid arguments for the job 'example-touch': chnk: unexpected argument"),
    ],
)
def test_an_argument_the_job_does_not_take_is_refused_and_nothing_is_enqueued(db_url, raw, job, arg, says):
    line = _one_line_usage_error(dramaturg(db_url, "trigger", job, "--arg", arg))
    assert says in line
    with raw.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM dramatiq.queue) + (SELECT count(*) FROM dramaturg.job_history)")
        assert cur.fetchone()[0] == 0


def test_history_json_timestamps_are_iso(db_url, raw):
    assert dramaturg(db_url, "trigger", "example-touch").returncode == 0
    with raw.cursor() as cur:
        cur.execute("UPDATE dramaturg.job_history SET started_at = '2026-03-05 10:00:01.5+00'")
    rows = json.loads(dramaturg(db_url, "history", "--json").stdout)
    assert rows[0]["started_at"] == "2026-03-05T10:00:01.500000+00:00"


def _url(server_url: str, **parts: str) -> str:
    return make_url(server_url).set(**parts).render_as_string(hide_password=False)


def test_migrate_says_which_part_of_the_url_is_wrong(server_url):
    # A database that does not exist, on a server that answers: said at once, not retried
    result = dramaturg(_url(server_url, database="dramaturg_no_such_db"), "migrate", "--wait", "30")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the database 'dramaturg_no_such_db' does not exist" in result.stderr
    assert "retrying" not in result.stderr
    # A role that does not exist
    result = dramaturg(_url(server_url, username="dramaturg_no_such_role"), "migrate", "--wait", "30")
    assert result.returncode == 1 and "the role 'dramaturg_no_such_role' does not exist" in result.stderr


def test_migrate_against_an_unreachable_server_gives_up_with_the_reason():
    # Given the release step against a port nobody listens on
    result = dramaturg("postgresql://app:hunter2@127.0.0.1:1/app", "migrate", "--wait", "2", timeout=60)
    # Then it retried, gave up, and said why, with the password masked
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "retrying in" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot migrate: gave up after 2s: cannot reach the database server")
    assert "Connection refused" in last and "hunter2" not in result.stderr


def _pgdata(tmp_path: Path) -> Path:
    return tmp_path / "pgdata"


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("schedule",),
        ("schedule", "--json"),
        ("embedded", "status"),
        ("embedded", "stop"),
        ("history", "-x"),
    ],
)
def test_commands_that_need_no_database_do_not_start_the_embedded_server(tmp_path, args):
    # Given no DATABASE_URL: the embedded default
    result = dramaturg(None, *args, DRAMATURG_DATA_DIR=str(_pgdata(tmp_path)))
    # Then the command answers and no server was started (not even its data folder made)
    assert result.returncode in (0, 2), result.stderr
    assert "Traceback" not in result.stderr
    assert not _pgdata(tmp_path).exists()


def test_embedded_status_and_stop(tmp_path):
    data = str(_pgdata(tmp_path))
    status = json.loads(dramaturg(None, "embedded", "status", "--json", DRAMATURG_DATA_DIR=data).stdout)
    assert status["running"] is False
    # Given a command that needs the database: it starts the embedded server and leaves it running
    assert dramaturg(None, "migrate", DRAMATURG_DATA_DIR=data, timeout=180).returncode == 0
    status = json.loads(dramaturg(None, "embedded", "status", "--json", DRAMATURG_DATA_DIR=data).stdout)
    assert status["running"] is True and status["pid"]
    # When it is stopped
    result = dramaturg(None, "embedded", "stop", DRAMATURG_DATA_DIR=data, timeout=60)
    # Then it is gone
    assert result.returncode == 0 and "stopped the embedded PostgreSQL" in result.stdout
    assert (
        json.loads(dramaturg(None, "embedded", "status", "--json", DRAMATURG_DATA_DIR=data).stdout)["running"] is False
    )


def test_an_unknown_dramaturg_variable_warns_with_a_did_you_mean(db_url):
    result = dramaturg(db_url, "schedule", "--json", DRAMATURG_WORKER_THREAD="4")
    assert result.returncode == 0
    assert (
        "DRAMATURG_WORKER_THREAD is set but no setting of dramaturg reads it; did you mean DRAMATURG_WORKER_THREADS?"
        in (result.stderr)
    )
    # And a known one does not
    assert "no setting" not in dramaturg(db_url, "schedule", "--json", DRAMATURG_WORKER_THREADS="4").stderr


def test_log_format_json_prints_one_object_per_line_with_the_runs_fields(db_url):
    result = dramaturg(db_url, "--log-format", "json", "trigger", "example-touch", DRAMATURG_NOW="2026-01-01T00:00:30Z")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.strip().splitlines()]
    assert records and all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert any("DRAMATURG_NOW" in r["message"] and r["level"] == "WARNING" for r in records)


def _up(db_url: str, log_path: Path, **extra: str) -> subprocess.Popen:
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "dramaturg", "up"],
            env=_env(db_url, DRAMATURG_WEB_PORT="0", **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_exit(proc: subprocess.Popen, timeout: float = 90) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise


def test_up_with_a_bad_cron_spec_stops_before_it_is_up(db_url, tmp_path):
    log_path = tmp_path / "up.log"
    proc = _up(db_url, log_path, DRAMATURG_JOB_PRUNE_HISTORY_SCHEDULE="61 * * * *")
    code = _wait_exit(proc)
    output = log_path.read_text()
    assert code == 2, output
    assert "DRAMATURG_JOB_PRUNE_HISTORY_SCHEDULE" in output and "is up" not in output


def test_up_whose_group_does_not_fit_the_servers_connections_stops_before_it_is_up(db_url, tmp_path):
    # Given a group of 64 worker processes of 256 threads each: far more than any test server allows
    log_path = tmp_path / "up.log"
    proc = _up(db_url, log_path, DRAMATURG_WORKER_PROCESSES="64", DRAMATURG_WORKER_THREADS="256")
    code = _wait_exit(proc)
    output = log_path.read_text()
    assert code == 2, output
    assert "dramaturg up (64 worker process(es)" in output and "max_connections=" in output
    assert "is up" not in output


def test_up_exits_1_when_a_child_dies(db_url, tmp_path, raw):
    # Given up running
    log_path = tmp_path / "up.log"
    proc = _up(db_url, log_path, DRAMATURG_HEARTBEAT_SECONDS="0.5")
    try:
        wait_until(lambda: "scheduler started" in log_path.read_text(), timeout=90, message=log_path.read_text)

        def scheduler_pid() -> int | None:
            with raw.cursor() as cur:
                cur.execute("SELECT pid FROM dramaturg.processes WHERE kind = 'scheduler' LIMIT 1")
                row = cur.fetchone()
            return row[0] if row else None

        pid = wait_until(scheduler_pid, timeout=30)
        # When its scheduler dies
        os.kill(pid, signal.SIGKILL)
        code = _wait_exit(proc, timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # Then up stops the rest and says so with a failing exit code
    output = log_path.read_text()
    assert code == 1, output
    assert "the scheduler exited with -9; stopping everything" in output


def test_up_waiting_for_a_missing_database_says_so_and_stops_on_ctrl_c(server_url, tmp_path):
    log_path = tmp_path / "up.log"
    proc = _up(_url(server_url, database="dramaturg_missing_for_up"), log_path)
    try:
        wait_until(lambda: "does not exist" in log_path.read_text(), timeout=60, message=log_path.read_text)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        code = _wait_exit(proc, timeout=30)
    assert code == 0 and "Traceback" not in log_path.read_text()


def _on_a_terminal(db_url: str, columns: int, *args: str) -> str:
    """Run ``dramaturg args`` with stdout on a pseudo-terminal ``columns`` wide; returns what it showed."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "dramaturg", *args],
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env=_env(db_url, COLUMNS=str(columns), NO_COLOR="1", TERM="xterm"),
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", out.decode()).replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [80, 120])
def test_tables_fit_the_terminal_and_never_break_a_word(db_url, columns):
    shown = _on_a_terminal(db_url, columns, "schedule")
    lines = shown.rstrip("\n").split("\n")
    # Every line fits, and every job name is shown whole, on one line
    assert max(len(line) for line in lines) <= columns, shown
    for job in ("auto-complete-challenges", "process-conversations", "notification-cleanup", "prune-history"):
        assert any(f" {job} " in line for line in lines), shown
    # The least useful columns are left out at 80 and said to be
    if columns == 80:
        assert "not shown at this width" in shown


def test_piped_output_is_tab_separated(db_url):
    result = dramaturg(db_url, "schedule")
    lines = result.stdout.rstrip("\n").split("\n")
    header = lines[0].split("\t")
    assert header[:3] == ["job", "schedule", "timezone"]
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(r) == len(header) for r in rows)
    assert rows[0][:3] == ["auto-complete-challenges", "0 0 * * *", "UTC"]
    assert "│" not in result.stdout


@pytest.mark.parametrize("args", [("schedule",), ("schedule", "--json"), ("history", "--json")], ids=" ".join)
def test_a_reader_that_stops_reading_gets_no_traceback(db_url, args):
    # Given stdout a pipe whose reader has already gone (as `dramaturg schedule | head -1` ends),
    # When the verb writes, Then it ends as a process killed by SIGPIPE would, with nothing on stderr
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "dramaturg", *args],
            env=_env(db_url),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 128 + signal.SIGPIPE, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize(
    "args", [("status",), ("history",), ("keys", "list"), ("show", "1"), ("trigger", "prune-queue")], ids=" ".join
)
def test_a_one_shot_verb_says_which_part_of_the_url_is_wrong_with_the_password_masked(db_url, args):
    # Given a URL to a database the server does not have, and one to a port nothing listens on
    url = make_url(db_url)
    missing = url.set(password="hunter2-secret", database="no_such_db").render_as_string(hide_password=False)
    closed = url.set(password="hunter2-secret", port=1).render_as_string(hide_password=False)
    for target, says in ((missing, "the database 'no_such_db' does not exist"), (closed, "cannot reach the database")):
        # When a verb that connects directly (no pool) runs against it
        result = dramaturg(None, *args, DATABASE_URL=target, DRAMATURG_DB_CONNECT_TIMEOUT="2")
        # Then it exits 1 with one line naming what is wrong, and the password nowhere
        assert result.returncode == 1, result.stdout + result.stderr
        assert says in result.stderr and "Traceback" not in result.stderr
        assert "hunter2-secret" not in result.stdout + result.stderr and "***" in result.stderr
