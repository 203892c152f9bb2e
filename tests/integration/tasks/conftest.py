"""Fixtures for the task app's jobs: a chat webhook sink and row factories."""

from __future__ import annotations

from datetime import datetime

import pytest
from psycopg2 import sql

from tests.support.http_sink import sink_fixture

CHAT_PATH = "/hooks/chat/secret-path"

sink = pytest.fixture(sink_fixture)


@pytest.fixture
def settings_overrides(sink) -> dict:
    return {"CHAT_WEBHOOK_URL": sink.url + CHAT_PATH}


def one(raw, query, params=None):
    with raw.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()


def rows(raw, query, params=None) -> list[dict]:
    with raw.cursor() as cur:
        cur.execute(query, params)
        cols = [c.name for c in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]


def _insert(raw, table: str, values: dict) -> int:
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
        sql.Identifier("tasks", table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(map(sql.Placeholder, values)),
    )
    return one(raw, query, values)[0]


@pytest.fixture
def make_task(raw):
    """Insert a task; keyword arguments are its columns. Returns its id."""

    def make(**cols) -> int:
        return _insert(raw, "tasks", {"owner_id": 1, "title": "Water the plants"} | cols)

    return make


@pytest.fixture
def make_reminder(raw):
    """Insert a reminder for ``task_id`` at ``remind_at`` on ``channel``. Returns its id."""

    def make(task_id: int, remind_at: datetime, channel: str = "web", **cols) -> int:
        return _insert(
            raw, "task_reminders", {"task_id": task_id, "user_id": 1, "remind_at": remind_at, "channel": channel} | cols
        )

    return make
