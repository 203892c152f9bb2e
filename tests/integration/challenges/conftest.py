"""Row factories for the challenge app's jobs."""

from __future__ import annotations

from datetime import date

import pytest


def one(raw, sql: str, params=None):
    with raw.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def rows(raw, sql: str, params=None) -> list[dict]:
    with raw.cursor() as cur:
        cur.execute(sql, params)
        cols = [c.name for c in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]


@pytest.fixture
def make_user(raw):
    """Insert a challenge user. Returns its id."""

    def make(timezone: str | None = None, current_streak: int = 0, last_activity_date: date | None = None) -> int:
        return one(
            raw,
            "INSERT INTO challenges.challenge_users (timezone, current_streak, last_activity_date) "
            "VALUES (%s, %s, %s) RETURNING id",
            (timezone, current_streak, last_activity_date),
        )[0]

    return make


@pytest.fixture
def make_challenge(raw):
    """Insert a challenge with members ``{user_id: completion_rate or None (no stats row)}``. Returns its id."""

    def make(end_date: date, members: dict | None = None, status: str = "active", name: str = "30 days of yoga") -> int:
        cid = one(
            raw,
            "INSERT INTO challenges.challenges (name, status, start_date, end_date) VALUES (%s, %s, %s, %s) RETURNING id",
            (name, status, date(2026, 1, 1), end_date),
        )[0]
        with raw.cursor() as cur:
            for user, rate in (members or {}).items():
                cur.execute(
                    "INSERT INTO challenges.challenge_members (challenge_id, user_id) VALUES (%s, %s)", (cid, user)
                )
                if rate is not None:
                    cur.execute(
                        "INSERT INTO challenges.challenge_member_stats (challenge_id, user_id, completion_rate) "
                        "VALUES (%s, %s, %s)",
                        (cid, user, rate),
                    )
        return cid

    return make
