"""process-conversations end to end: the staged pipeline, once per conversation, resuming after a failure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.trigger import trigger_job
from tests.conftest import T0
from tests.integration.game.conftest import claude_reply, make_user, row, rows, run_job, settle
from tests.support.http_sink import Reply
from tests.support.waiting import wait_until

ALL_STAGES = ["closed", "summarised", "facts_extracted", "stats_updated", "response_scheduled"]


def _conversation(raw, user, last_message: timedelta) -> str:
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO game.conversations (user_id, last_message_at, created_at) VALUES (%s, %s, %s) RETURNING id",
            (user, T0 - last_message, T0 - last_message - timedelta(minutes=10)),
        )
        conv = str(cur.fetchone()[0])
        cur.execute(
            "INSERT INTO game.conversation_messages (conversation_id, role, text, created_at) VALUES "
            "(%s, 'user', 'Hi! My name is Ana and I like jazz.', %s), (%s, 'assistant', 'Nice to meet you.', %s)",
            (conv, T0 - last_message - timedelta(minutes=1), conv, T0 - last_message),
        )
        return conv


def _conv(raw, conv):
    return row(raw, "SELECT status, processing_stage, summary, facts FROM game.conversations WHERE id = %s", conv)


def _child_result(raw, run_id):
    return row(raw, "SELECT result FROM dramaturg.job_history WHERE parent_id = %s", run_id)[0]


def test_idle_conversation_runs_every_stage_once_and_schedules_a_follow_up(app, worker, raw, clock):
    # Given a conversation idle for 20 minutes and one idle for only 5
    user = make_user(raw, chapter=1, idle=timedelta(hours=3), chat_id="321")
    idle = _conversation(raw, user, timedelta(minutes=20))
    fresh = _conversation(raw, user, timedelta(minutes=5))
    # When process-conversations runs
    run_id = trigger_job(app, "process-conversations")
    result = settle(app, raw, run_id)
    # Then only the idle one went through every stage and is processed
    assert result["items_processed"] == 1 and _child_result(raw, run_id)["stages_done"] == ALL_STAGES
    status, stage, summary, facts = _conv(raw, idle)
    assert (status, stage) == ("processed", "response_scheduled") and summary.startswith("2 messages.")
    assert facts["statements"] == ["My name is Ana and I like jazz"] and facts["user_messages"] == 1
    assert _conv(raw, fresh)[:2] == ("active", None)
    # And the player's last interaction moved to the conversation's last message
    assert row(raw, "SELECT last_interaction_at FROM game.users WHERE id = %s", user)[0] == T0 - timedelta(minutes=20)
    # And one follow-up is scheduled 2-5 minutes out, linked to the conversation
    [(content, at, source)] = rows(
        raw, "SELECT content, scheduled_at, source_conversation_id::text FROM game.scheduled_events"
    )
    assert content["chat_id"] == "321" and source == idle
    assert timedelta(minutes=2) <= at - T0 <= timedelta(minutes=5)
    # When it runs again once the other conversation is idle too
    clock.advance(timedelta(minutes=11))
    again = run_job(app, raw, "process-conversations")
    # Then only that one is processed: the first is not redone
    assert again["items_processed"] == 1 and _conv(raw, fresh)[0] == "processed"
    assert rows(raw, "SELECT count(*) FROM game.scheduled_events WHERE source_conversation_id = %s", idle) == [(1,)]


class TestWithClaude:
    @pytest.fixture
    def settings_overrides(self, sink) -> dict:
        return {
            "ANTHROPIC_BASE_URL": sink.url,
            "ANTHROPIC_API_KEY": "sk-test-key",
            "ANTHROPIC_MODEL": "claude-test",
            "TELEGRAM_API_BASE": sink.url,
            "TELEGRAM_BOT_TOKEN": "1:t",
        }

    def test_failed_stage_is_retried_without_redoing_finished_ones(self, app, worker, raw, sink, clock):
        # Given an idle conversation, and Claude failing the first summary with a 500
        conv = _conversation(raw, make_user(raw), timedelta(minutes=30))
        sink.script([Reply(status=500, json={"type": "error", "error": {"type": "api_error", "message": "boom"}})])
        sink.respond(json=claude_reply("Ana told Nikita she likes jazz."))
        run_id = trigger_job(app, "process-conversations")
        # When the first attempt fails at the summarise stage
        wait_until(
            lambda: row(raw, "SELECT status FROM dramaturg.job_history WHERE parent_id = %s", run_id) == ("retrying",),
            timeout=20,
        )
        # Then the close stage is recorded as done
        assert _conv(raw, conv)[:2] == ("idle", "closed")
        # When the retry comes a minute later
        clock.advance(60)
        assert settle(app, raw, run_id)["children"] == {"succeeded": 1}
        # Then it resumed at summarise, skipping the finished stage, and finished the pipeline
        result = _child_result(raw, run_id)
        assert result["stages_already_done"] == ["closed"] and result["stages_done"] == ALL_STAGES[1:]
        assert _conv(raw, conv)[:3] == ("processed", "response_scheduled", "Ana told Nikita she likes jazz.")
        assert len(sink.requests("/v1/messages")) == 2
