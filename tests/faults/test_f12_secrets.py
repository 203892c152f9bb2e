"""F12: the bot token, API keys, credentials in channel base URLs and the database password (also
as ``?password=``) appear nowhere — not in logs, job_history, queue rows, outbox rows or tracebacks —
even when the calls that carry them fail."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import psycopg2
from sqlalchemy.engine import make_url

from tests.faults.conftest import figures
from tests.support.processes import DramaturgProcess
from tests.support.waiting import wait_until

TOKEN = "7345902811:AAFsecretBotTokenValue_x9"
VOICE_KEY = "vk_live_secretVoiceKey_51"
ANTHROPIC_KEY = "sk-ant-secretAnthropicKey-77"
DB_PASSWORD = "s3cret-db-Passw0rd"
VOICE_BASE_PASSWORD = "voiceBase-Pw-8812"
TELEGRAM_BASE_PASSWORD = "tgBase-Pw-4471"
DB_QUERY_PASSWORD = "dbQuery-Pw-9034"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_f12_secrets_never_leak_when_channels_fail(fault_db, fault_raw, tmp_path):
    # Given every secret set, a database URL carrying a password (trust auth ignores it),
    # and channels that all fail (nothing listens on their ports)
    url = make_url(fault_db).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    dead = f"http://127.0.0.1:{_closed_port()}"
    # Channel base URLs carrying credentials in their userinfo
    voice_base = f"http://vuser:{VOICE_BASE_PASSWORD}@127.0.0.1:{_closed_port()}"
    telegram_base = f"http://tguser:{TELEGRAM_BASE_PASSWORD}@127.0.0.1:{_closed_port()}"
    now = datetime.now(UTC).isoformat()
    env_vars = dict(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=telegram_base,
        VOICE_API_KEY=VOICE_KEY,
        VOICE_API_BASE=voice_base,
        ANTHROPIC_API_KEY=ANTHROPIC_KEY,
        ANTHROPIC_BASE_URL=dead,
        DRAMATURG_CLOCK_RATE="240",
        DRAMATURG_NOW=now,
        DRAMATURG_CLOCK_ANCHOR=now,
    )
    from tests.support.processes import dramaturg_env

    env = dramaturg_env(url, **env_vars)
    with fault_raw.cursor() as cur:
        cur.execute(
            "INSERT INTO game.users (chapter, score, telegram_chat_id, phone) VALUES (1, 50, '42', '+15550100') RETURNING id"
        )
        (user,) = cur.fetchone()
        cur.execute(
            """INSERT INTO game.scheduled_events (user_id, platform, event_type, content, scheduled_at)
                       VALUES (%(u)s, 'telegram', 'message_delivery', '{"text": "hi"}', now() - interval '1 minute'),
                              (%(u)s, 'voice', 'call_reminder', '{"text": "call"}', now() - interval '1 minute')""",
            {"u": user},
        )
    # When the worker and the scheduler run until both deliveries have failed for good
    worker = DramaturgProcess(["worker"], env, tmp_path, "worker").start()
    scheduler = DramaturgProcess(["scheduler"], env, tmp_path, "scheduler").start()
    try:

        def settled():
            with fault_raw.cursor() as cur:
                cur.execute("SELECT count(*) FROM game.scheduled_events WHERE status IN ('failed', 'unknown')")
                return cur.fetchone()[0] == 2

        wait_until(settled, timeout=120)
        summary = DramaturgProcess(
            ["trigger", "summary", "--wait", "--timeout", "60"], env, tmp_path, "trigger"
        ).start()
        summary.wait(timeout=90)
        # And a process that cannot reach the database at all reports it
        bad = (
            make_url(url)
            .set(host="127.0.0.1", port=_closed_port(), query={"password": DB_QUERY_PASSWORD})
            .render_as_string(hide_password=False)
        )
        unreachable = DramaturgProcess(["status"], dramaturg_env(bad, **env_vars), tmp_path, "unreachable").start()
        unreachable.wait(timeout=60)
    finally:
        worker.stop()
        scheduler.stop()
    # Then no secret is in any log, history row or queue row
    logs = "".join(p.read_text() for p in tmp_path.glob("*.log"))
    conn = psycopg2.connect(fault_db)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT coalesce(string_agg(concat_ws('|', error, traceback, args::text, result::text), '\n'), '') FROM dramaturg.job_history"
        )
        history = cur.fetchone()[0]
        cur.execute("SELECT coalesce(string_agg(concat_ws('|', message::text, reason), '\n'), '') FROM dramatiq.queue")
        queue = cur.fetchone()[0]
        cur.execute("SELECT string_agg(coalesce(error_message, ''), '\n') FROM game.scheduled_events")
        events = cur.fetchone()[0]
    conn.close()
    assert "cannot reach the database" in logs and "***" in logs
    assert "ChannelTransient" in history or "refused" in history.lower()
    leaks = {
        name: [
            where
            for where, text in (
                ("logs", logs),
                ("job_history", history),
                ("queue", queue),
                ("scheduled_events", events),
            )
            if secret in text
        ]
        for name, secret in (
            ("bot token", TOKEN),
            ("voice key", VOICE_KEY),
            ("anthropic key", ANTHROPIC_KEY),
            ("db password", DB_PASSWORD),
            ("voice base password", VOICE_BASE_PASSWORD),
            ("telegram base password", TELEGRAM_BASE_PASSWORD),
            ("db query password", DB_QUERY_PASSWORD),
        )
    }
    figures(
        "F12",
        log_bytes=len(logs),
        history_bytes=len(history),
        queue_bytes=len(queue),
        leaks=sum(len(v) for v in leaks.values()),
    )
    assert all(not where for where in leaks.values()), leaks
