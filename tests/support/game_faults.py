"""Helpers for the chat-game fault scenarios (tests/faults/test_f0*.py): a shared fast timeline,
a latency-injecting Telegram sink, bulk players and events, and outage-proof database reads.

Reads open a fresh connection each time, because the scenarios restart the
PostgreSQL server and a long-lived connection would not survive it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

import psycopg2

from shared.jobs import env_name
from tests.conftest import T0
from tests.support.http_sink import HttpSink, Recorded, Reply
from tests.support.registry import declared_jobs
from tests.support.waiting import wait_until

BOT_TOKEN = "123456:fault-bot-token"
FINAL_EVENT_STATES = ("delivered", "unknown", "failed", "cancelled")


def timeline_env(rate: float = 1.0) -> dict[str, str]:
    """One business timeline for every process of a scenario: T0 now, ``rate`` times real speed.

    The common anchor makes a restarted process rejoin the same timeline instead of restarting at T0.
    """
    return {
        "DRAMATURG_NOW": T0.isoformat(),
        "DRAMATURG_CLOCK_RATE": str(rate),
        "DRAMATURG_CLOCK_ANCHOR": datetime.now(UTC).isoformat(),
    }


def only_jobs_env(*names: str) -> dict[str, str]:
    """Disable every cron job except ``names``, so the scheduler fires only what the scenario studies."""
    return {f"DRAMATURG_JOB_{env_name(job)}_ENABLED": "true" if job in names else "false" for job in declared_jobs()}


def telegram_env(sink: HttpSink) -> dict[str, str]:
    return {"TELEGRAM_API_BASE": sink.url, "TELEGRAM_BOT_TOKEN": BOT_TOKEN}


class LatencySink(HttpSink):
    """The sink's Telegram emulation, each answer delayed uniformly in [low, high] seconds."""

    def __init__(self, low: float, high: float, seed: int = 6) -> None:
        super().__init__()
        self.low, self.high = low, high
        self._rng = random.Random(seed)

    def _emulate(self, rec: Recorded) -> Reply:
        return replace(super()._emulate(rec), delay=self._rng.uniform(self.low, self.high))

    def per_event(self) -> dict[str, int]:
        """Requests seen per event (the text carries the event number)."""
        return dict(self.count_by(lambda r: (r.json or {}).get("text")))


def query(url: str, sql: str, params: Iterable = ()) -> list[tuple]:
    """Run one read on a fresh connection (survives server restarts between calls)."""
    conn = psycopg2.connect(url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, tuple(params))
            return cur.fetchall()
    finally:
        conn.close()


def try_query(url: str, sql: str, params: Iterable = ()) -> list[tuple] | None:
    """:func:`query`, or None while the server is down."""
    try:
        return query(url, sql, params)
    except psycopg2.OperationalError:
        return None


def make_events(url: str, n: int, *, players: int = 50) -> None:
    """``n`` due Telegram events ``event 1..n`` (chat id = number) spread over ``players`` active players."""
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO game.users (chapter, score, game_status, last_interaction_at, created_at, telegram_chat_id) "
            "SELECT 1, 50, 'active', %s, %s, 'p' || g FROM generate_series(1, %s) g",
            (T0, T0, players),
        )
        cur.execute(
            "INSERT INTO game.scheduled_events (user_id, platform, event_type, content, scheduled_at, created_at, updated_at) "
            "SELECT u.id, 'telegram', 'message_delivery', "
            "       jsonb_build_object('chat_id', g::text, 'text', 'event ' || g), %s, %s, %s "
            "FROM generate_series(1, %s) g "
            "JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM game.users) u ON u.k = g %% %s",
            (T0, T0, T0, n, players),
        )
    conn.close()


def event_states(url: str) -> dict[str, int] | None:
    rows = try_query(url, "SELECT status, count(*) FROM game.scheduled_events GROUP BY status")
    return None if rows is None else dict(rows)


def open_work(url: str, queue: str) -> int | None:
    """Messages of ``queue`` still queued or consumed (None while the server is down)."""
    rows = try_query(
        url, "SELECT count(*) FROM dramatiq.queue WHERE queue_name = %s AND state IN ('queued', 'consumed')", (queue,)
    )
    return None if rows is None else rows[0][0]


def settled_events(url: str, n: int) -> dict[str, int] | None:
    """Event counts by state once all ``n`` are final and no game message is open; else None."""
    states = event_states(url)
    if not states or sum(v for k, v in states.items() if k in FINAL_EVENT_STATES) != n:
        return None
    return states if open_work(url, "game") == 0 else None


def wait_settled(url: str, n: int, timeout: float) -> dict[str, int]:
    """Wait until :func:`settled_events`; on timeout the failure shows event and queue states."""
    try:
        return wait_until(lambda: settled_events(url, n), timeout=timeout, interval=0.5, message="events settled")
    except AssertionError as exc:
        queue = try_query(
            url,
            "SELECT queue_name, state::text, count(*), max(claims) FROM dramatiq.queue "
            "WHERE state IN ('queued', 'consumed') GROUP BY 1, 2",
        )
        stuck = try_query(
            url,
            "SELECT q.message_id::text, q.claims, q.lease_expires_at > clock_timestamp(), h.status, h.attempt "
            "FROM dramatiq.queue q LEFT JOIN dramaturg.job_history h ON h.message_id = q.message_id "
            "WHERE q.state = 'consumed' LIMIT 5",
        )
        raise AssertionError(
            f"{exc}; events {event_states(url)}; open messages {queue}; "
            f"consumed (id, claims, lease live, history, attempt) {stuck}"
        ) from None


def pause(seconds: float) -> None:
    """Let real time pass (kill intervals are real seconds by definition), as a deadline wait."""
    end = time.monotonic() + seconds
    wait_until(lambda: time.monotonic() >= end, timeout=seconds + 5, interval=0.05)
