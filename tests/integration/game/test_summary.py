"""summary end to end: one recap per player and day, from Claude (loopback) or the offline template."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from scheduler.trigger import trigger_job
from tests.conftest import T0
from tests.integration.game.conftest import claude_reply, make_user, row, rows, run_job, settle
from tests.support.http_sink import Reply
from tests.support.waiting import wait_until

DAY = date(2026, 3, 5)


def _history(raw, user, before, after, at):
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO game.score_history (user_id, score_before, score_after, delta, event_type, created_at) "
            "VALUES (%s, %s, %s, %s, 'conversation', %s)",
            (user, before, after, after - before, at),
        )


def _conversation(raw, user, at):
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO game.conversations (user_id, status, last_message_at, created_at, summary) "
            "VALUES (%s, 'processed', %s, %s, 'talked about cats')",
            (user, at, at),
        )


def _summaries(raw):
    return rows(
        raw,
        "SELECT user_id::text, summary_date, score_start, score_end, conversations_count, text, generated_by "
        "FROM game.daily_summaries ORDER BY user_id",
    )


def test_one_template_summary_per_player_and_day_however_often_it_runs(app, worker, raw):
    # Given a player whose score moved today (and yesterday), with one conversation today
    user = make_user(raw, score=55)
    _history(raw, user, 40, 45, T0 - timedelta(days=1))
    _history(raw, user, 45, 52, T0 - timedelta(hours=3))
    _history(raw, user, 52, 55, T0 - timedelta(hours=1))
    _conversation(raw, user, T0 - timedelta(hours=2))
    # When summary runs twice for the day, with no model configured
    first = run_job(app, raw, "summary")
    second = run_job(app, raw, "summary")
    # Then exactly one summary exists, from the template, with the day's first and last score
    assert (first["items_processed"], second["items_processed"]) == (1, 0)
    [(uid, day, start, end, count, text, by)] = _summaries(raw)
    assert (uid, day, start, end, count, by) == (user, DAY, Decimal("45.00"), Decimal("55.00"), 1, "template")
    assert text == "Recap for 2026-03-05: 1 conversation with me. Your score went up (45.00 → 55.00)."


def test_a_quiet_day_uses_the_current_score_and_ended_games_get_no_summary(app, worker, raw):
    # Given a player with no activity today, and one whose game is over
    quiet = make_user(raw, score=61.5)
    make_user(raw, status="game_over")
    # When summary runs
    run_job(app, raw, "summary")
    # Then only the quiet player has a summary, with the current score at both ends
    [(uid, _, start, end, count, _, _)] = _summaries(raw)
    assert (uid, start, end, count) == (quiet, Decimal("61.50"), Decimal("61.50"), 0)


class TestWithClaude:
    @pytest.fixture
    def settings_overrides(self, sink) -> dict:
        return {"ANTHROPIC_BASE_URL": sink.url, "ANTHROPIC_API_KEY": "sk-test-key", "ANTHROPIC_MODEL": "claude-test"}

    def test_recap_text_comes_from_the_model_once(self, app, worker, raw, sink):
        # Given a player, and Claude answering with a recap
        user = make_user(raw)
        sink.respond(json=claude_reply("You kept me waiting today, but I forgive you."))
        # When summary runs twice
        run_job(app, raw, "summary")
        run_job(app, raw, "summary")
        # Then the model wrote the summary with one call, authenticated with the key
        [(uid, _, _, _, _, text, by)] = _summaries(raw)
        assert (uid, text, by) == (user, "You kept me waiting today, but I forgive you.", "model")
        [call] = sink.requests("/v1/messages")
        assert any("sk-test-key" in v for v in call.headers.values()) and call.json["model"] == "claude-test"

    def test_model_server_error_is_retried_a_minute_later_on_the_reserved_row(self, app, worker, raw, sink, clock):
        # Given Claude failing once with a 500, then answering
        make_user(raw)
        sink.script([Reply(status=500, json={"type": "error", "error": {"type": "api_error", "message": "boom"}})])
        sink.respond(json=claude_reply("Back again?"))
        run_id = trigger_job(app, "summary")
        # When the first attempt fails
        wait_until(
            lambda: row(raw, "SELECT status FROM dramaturg.job_history WHERE parent_id = %s", run_id) == ("retrying",),
            timeout=20,
        )
        # Then the row is reserved without text
        assert [(s[5], s[6]) for s in _summaries(raw)] == [(None, None)]
        # And a minute later the retry fills it
        clock.advance(60)
        assert settle(app, raw, run_id)["children"] == {"succeeded": 1}
        assert [(s[5], s[6]) for s in _summaries(raw)] == [("Back again?", "model")]
        assert len(sink.requests("/v1/messages")) == 2
