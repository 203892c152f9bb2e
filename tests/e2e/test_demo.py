"""``dramaturg up --demo`` as a person runs it: real processes, the demo's sink, a fast shared clock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg2
from sqlalchemy.engine import make_url

from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def _env(db_url: str, data_dir: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DRAMATURG_", "DATABASE_URL", "TELEGRAM_", "VOICE_", "ANTHROPIC_", "DEMO_"))
    }
    # The web dyno on a free port: 8000 may be taken on a shared machine.
    env.update(
        DATABASE_URL=db_url, DRAMATURG_DATA_DIR=str(data_dir), DRAMATURG_POLL_SECONDS="0.1", DRAMATURG_WEB_PORT="0"
    )
    return env


def _succeeded_jobs(db_url: str) -> set[str]:
    url = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return set()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('dramaturg.job_history') IS NOT NULL")
            if not cur.fetchone()[0]:
                return set()  # not migrated yet
            cur.execute(
                "SELECT DISTINCT job_name FROM dramaturg.job_history WHERE status = 'succeeded' AND trigger = 'cron'"
            )
            return {r[0] for r in cur.fetchall()}
    finally:
        conn.close()


def test_up_demo_delivers_to_the_sink_runs_decay_and_deliver_and_stops_cleanly_on_ctrl_c(empty_db_url, tmp_path):
    # Given an empty database and `dramaturg up --demo` in its own process group
    log = open(tmp_path / "up.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dramaturg", "up", "--demo"],
        cwd=ROOT,
        env=_env(empty_db_url, tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    sink_log = tmp_path / "demo-telegram.log"
    try:
        # When the demo runs on its 60x clock
        # Then the sink shows a delivered Telegram message
        wait_until(
            lambda: sink_log.exists() and " telegram to " in sink_log.read_text(),
            timeout=90,
            interval=0.5,
            message="a Telegram delivery in the sink's log",
        )
        # And cron runs of decay (23:00 on the demo clock) and deliver succeeded
        wait_until(
            lambda: {"decay", "deliver"} <= _succeeded_jobs(empty_db_url),
            timeout=60,
            interval=0.5,
            message="succeeded cron runs of decay and deliver",
        )
        # And the content scene ran: items written offline, the broken site unhealthy, the 429 deferred,
        # then analytics and learnings for the demo's three posts
        wait_until(
            lambda: _content_state(empty_db_url) == (2, "unhealthy", 3, 3),
            timeout=60,
            interval=0.5,
            message=lambda: f"the content scene's outcome: {_content_state(empty_db_url)}",
        )
        # And the terminal told it: generation, the unhealthy source, the back-off, the learnings
        marks = ("content-generate", "unhealthy", "re-scheduled without spending a retry", "learning")
        wait_until(
            lambda: all(m in (tmp_path / "up.log").read_text() for m in marks),
            timeout=30,
            interval=0.5,
            message=lambda: f"the content scene's lines in {(tmp_path / 'up.log').read_text()[-3000:]}",
        )
    finally:
        # When Ctrl-C reaches the process group
        os.killpg(proc.pid, signal.SIGINT)
        try:
            code = proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            log.close()
    output = (tmp_path / "up.log").read_text()
    # Then everything stopped cleanly, the banner told the person what to watch
    assert code == 0, output
    assert "dramaturg stopped" in output and "dramaturg demo" in output and "dramaturg status" in output
    # And the terminal showed the deliveries with the players' names
    assert "telegram → Boris (@boris_demo)" in output or "telegram → Ada (@ada_demo)" in output, output


def _content_state(db_url: str) -> tuple | None:
    """(offline items, the broken source's status, posts with analytics, learnings), or None before migrating."""
    url = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return None
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('content.content_items') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute(
                "SELECT (SELECT count(*) FROM content.content_items WHERE generator = 'offline'),"
                " (SELECT status FROM content.context_sources WHERE url LIKE '%%/gone'),"
                " (SELECT count(*) FROM content.post_analytics),"
                " (SELECT count(*) FROM content.brand_learnings)"
            )
            return cur.fetchone()
    finally:
        conn.close()
