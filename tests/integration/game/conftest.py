"""Fixtures for the chat game's jobs: channel and model endpoints on a loopback sink, and data helpers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import T0
from tests.support.http_sink import sink_fixture

sink = pytest.fixture(sink_fixture)
BOT_TOKEN = "123456:test-bot-token"


def claude_reply(text: str) -> dict:
    """A valid Anthropic Messages API answer carrying ``text``."""
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10},
    }


@pytest.fixture
def settings_overrides(sink) -> dict:
    # No Anthropic key by default: jobs use their offline templates unless a test opts in.
    return {
        "TELEGRAM_API_BASE": sink.url,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "VOICE_API_BASE": sink.url,
        "VOICE_API_KEY": "voice-test-key",
    }


def make_user(
    raw,
    *,
    chapter: int = 1,
    score: float = 50,
    status: str = "active",
    idle: timedelta = timedelta(0),
    chat_id: str | None = "4242",
    phone: str | None = None,
) -> str:
    """A player whose last interaction was ``idle`` before T0."""
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO game.users (chapter, score, game_status, last_interaction_at, created_at, telegram_chat_id, phone) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (chapter, score, status, T0 - idle, T0 - idle - timedelta(days=1), chat_id, phone),
        )
        return str(cur.fetchone()[0])


def make_event(
    raw,
    user_id: str,
    *,
    due: timedelta = timedelta(0),
    status: str = "pending",
    platform: str = "telegram",
    content: dict | None = None,
) -> str:
    """A scheduled event due ``due`` before T0."""
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO game.scheduled_events (user_id, platform, event_type, content, scheduled_at, status, created_at, updated_at) "
            "VALUES (%s, %s, 'message_delivery', %s, %s, %s, %s, %s) RETURNING id",
            (
                user_id,
                platform,
                json.dumps(content if content is not None else {"text": "hi there"}),
                T0 - due,
                status,
                T0 - due,
                T0 - due,
            ),
        )
        return str(cur.fetchone()[0])


def row(raw, sql: str, *params):
    with raw.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def rows(raw, sql: str, *params) -> list:
    with raw.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def settle(app, raw, run_id: int, timeout: float = 30) -> dict:
    """Wait for a run and for every child it fanned out (``items_processed`` of them) to finish.

    ``wait_for_run`` only sees children that already have a history row; a child
    still queued has none yet, so this also waits for the expected count.
    """
    from scheduler.trigger import wait_for_run
    from tests.support.waiting import wait_until

    result = wait_for_run(app, run_id, timeout=timeout)
    expected = result["items_processed"] or 0

    def children():
        counts = dict(
            rows(raw, "SELECT status, count(*) FROM dramaturg.job_history WHERE parent_id = %s GROUP BY status", run_id)
        )
        finished = sum(n for s, n in counts.items() if s in ("succeeded", "failed", "skipped"))
        return counts if finished >= expected and finished == sum(counts.values()) else None

    result["children"] = wait_until(children, timeout=timeout, message=f"children of run {run_id}") if expected else {}
    return result


def run_job(app, raw, name: str, **kwargs) -> dict:
    """Trigger job ``name`` by hand and :func:`settle` it."""
    from scheduler.trigger import trigger_job

    return settle(app, raw, trigger_job(app, name, **kwargs))
