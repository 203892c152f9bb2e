"""refresh-stats: the view is refreshed, and readers are never blocked while it refreshes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from scheduler.trigger import trigger_job, wait_for_run
from shared.sql import SqlFile, queries
from tests.integration.challenges.conftest import rows


@pytest.fixture
def connect(app):
    """Open extra psycopg2 connections (not autocommit) to the test database, closed afterwards."""
    opened = []

    def open_one():
        conn = psycopg2.connect(make_url(app.url).set(drivername="postgresql").render_as_string(hide_password=False))
        opened.append(conn)
        return conn

    yield open_one
    for conn in opened:
        conn.close()


def _stats(conn) -> list[dict]:
    return rows(
        conn,
        "SELECT challenge_id, member_count, avg_completion_rate FROM challenges.challenge_stats ORDER BY challenge_id",
    )


def test_refresh_makes_new_challenge_data_visible(app, worker, raw, make_user, make_challenge):
    # Given a challenge with two members created after the view was last refreshed
    cid = make_challenge(date(2026, 3, 31), {make_user(): 70, make_user(): 90})
    assert _stats(raw) == []
    # When the job runs
    row = wait_for_run(app, trigger_job(app, "refresh-stats"), timeout=20)
    # Then the view shows it; items_processed is the view's row count
    assert row["status"] == "succeeded" and row["items_processed"] == 1
    assert _stats(raw) == [{"challenge_id": cid, "member_count": 2, "avg_completion_rate": Decimal("80.00")}]


def test_a_reader_can_select_while_a_refresh_is_in_progress(raw, make_user, make_challenge, connect):
    # Given a populated view and new data not yet in it
    first = make_challenge(date(2026, 3, 31), {make_user(): 50})
    with raw.cursor() as cur:
        cur.execute("REFRESH MATERIALIZED VIEW challenges.challenge_stats")
    make_challenge(date(2026, 4, 30), {make_user(): 100})
    # When the job's refresh runs in a transaction that stays open
    refresher = connect()
    with refresher.cursor() as cur:
        cur.execute(queries(SqlFile("actors.challenges", "refresh_stats"))["challenge_stats_refresh"])
    # Then another connection, which would give up after 2 s, reads the previous contents at once
    reader = connect()
    with reader.cursor() as cur:
        cur.execute("SET statement_timeout = '2s'")
    assert [r["challenge_id"] for r in _stats(reader)] == [first]
    # And the new contents appear once the refresh commits
    refresher.commit()
    reader.rollback()
    assert len(_stats(reader)) == 2


def test_a_plain_refresh_would_block_that_reader(raw, make_user, make_challenge, connect):
    # Given a populated view (this is why the job refreshes CONCURRENTLY)
    make_challenge(date(2026, 3, 31), {make_user(): 50})
    # When a non-concurrent refresh holds its transaction open
    refresher = connect()
    with refresher.cursor() as cur:
        cur.execute("REFRESH MATERIALIZED VIEW challenges.challenge_stats")
    # Then a reader waits on its lock until its statement timeout cancels it
    reader = connect()
    with reader.cursor() as cur:
        cur.execute("SET statement_timeout = '300ms'")
    with pytest.raises(psycopg2.errors.QueryCanceled):
        _stats(reader)
    refresher.rollback()
