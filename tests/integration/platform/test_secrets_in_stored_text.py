"""Secrets in failing messages: the queue's reason, job_history and the logs never hold them."""

from __future__ import annotations

import io
import logging
import random
import string

import pytest

from actors.example.touch import touch_item
from tests.support.waiting import wait_until

_rng = random.Random()
_CHARS = string.ascii_letters + string.digits


def _generated(n: int = 14, specials: str = "") -> str:
    # Letters and digits with the given specials mixed in: a new secret on every run.
    return "".join(_rng.choice(_CHARS + specials * 2) for _ in range(n)) + _rng.choice(_CHARS)


VOICE_KEY = "vk_" + _generated()
BASE_PASSWORD = _generated(specials="-._~!$*+,;=")
BOT = f"{_rng.randrange(10**8, 10**10)}:{_generated(30)}"


@pytest.fixture
def settings_overrides():
    return {
        "VOICE_API_KEY": VOICE_KEY,
        "VOICE_API_BASE": f"https://vuser:{BASE_PASSWORD}@voice.invalid",
        "TELEGRAM_BOT_TOKEN": BOT,
    }


def _stored(raw) -> str:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT concat_ws('|', (SELECT string_agg(coalesce(reason, ''), '|') FROM dramatiq.queue),"
            " (SELECT string_agg(concat_ws('|', error, traceback, args::text, result::text), '|') FROM dramaturg.job_history))"
        )
        return cur.fetchone()[0] or ""


def _rejected(raw) -> int:
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM dramatiq.queue WHERE state = 'rejected'")
        return cur.fetchone()[0]


@pytest.fixture
def log(app):
    """What the process's log shows: the production handler, into a buffer."""
    from shared.logging_setup import log_handler

    buffer = io.StringIO()
    handler = log_handler(app.settings, buffer)
    root = logging.getLogger()
    level, root.level = root.level, logging.INFO
    root.addHandler(handler)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(level)


def _query_token() -> tuple[str, list[str]]:
    token = _generated(20)
    return f"https://hooks.invalid/x?token={token}&page=1", [token]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(lambda: (VOICE_KEY, [VOICE_KEY]), id="a configured key"),
        pytest.param(
            lambda: (f"https://vuser:{BASE_PASSWORD}@voice.invalid/calls/{_generated(40)}", [BASE_PASSWORD[:8]]),
            id="base-url-userinfo",
        ),
        pytest.param(
            lambda: (f"https://api.telegram.org/bot{BOT}/sendMessage", [BOT, BOT[-12:]]), id="telegram-path-token"
        ),
        pytest.param(_query_token, id="query-token"),
    ],
)
def test_a_rejected_message_stores_and_logs_no_secret(app, worker, raw, log, payload):
    # Given a message whose payload carries a secret where validation will echo it
    value, secret_parts = payload()
    # When the worker rejects it (an invalid payload is failed at once)
    touch_item.send(item_id=value)
    wait_until(lambda: _rejected(raw) == 1, timeout=20)
    # Then the reason says why, and no part of the secret is in the queue, job_history or the logs
    stored = _stored(raw)
    assert "item_id" in stored and "PayloadError" in stored
    logs = log.getvalue()
    assert "PayloadError" in logs
    leaks = [p for p in secret_parts if p in stored or p in logs]
    assert not leaks, (leaks, stored)


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(url: str, *args: str):
    import subprocess
    import sys

    from tests.support.processes import dramaturg_env

    return subprocess.run(
        [sys.executable, "-m", "dramaturg", *args], env=dramaturg_env(url), capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("sep", ["@", "/", "#"])
def test_cli_errors_show_no_database_password_in_any_url_form(sep):
    # Given DATABASE_URL with its password as ?password=, or unencoded with a reserved character
    head, tail, query_pw = _generated(), _generated(), _generated()
    port = _closed_port()
    for url, parts in (
        (f"postgresql://app@127.0.0.1:{port}/db?password={query_pw}", [query_pw]),
        (f"postgresql://app:{head}{sep}{tail}@127.0.0.1:{port}/db", [head, tail]),
    ):
        # When a command cannot reach (or even parse) it
        result = _cli(url, "status")
        # Then it fails with a message, and no part of the password is printed
        out = result.stdout + result.stderr
        assert result.returncode != 0 and "error" in out.lower(), out
        assert not [p for p in parts if p in out], out


def test_cli_json_and_tables_redact_rows_an_older_version_stored_raw(app, raw):
    # Given a history row written before redaction, with credentials in a URL and a bot token
    leaked = _generated()
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, trigger, status, error, args) "
            "VALUES ('decay', 'game.decay', gen_random_uuid(), 'manual', 'failed', %s, %s)",
            (
                f"POST https://u:{leaked}@voice.invalid/x failed",
                f'{{"url": "https://api.telegram.org/bot1234:{leaked}/x"}}',
            ),
        )
    # When history is printed as JSON and as a table
    as_json = _cli(app.url, "history", "--json")
    as_table = _cli(app.url, "history")
    # Then the secret is in neither
    assert as_json.returncode == 0 and as_table.returncode == 0, as_json.stderr + as_table.stderr
    assert "voice.invalid" in as_json.stdout
    assert leaked not in as_json.stdout + as_table.stdout
