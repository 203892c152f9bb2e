"""schedule_response / cancel_event: follow-ups wait their chapter's delay; only pending events cancel."""

from __future__ import annotations

import random
from datetime import timedelta

from actors.game.config import GameConfig
from actors.game.responses import cancel_event, schedule_response
from tests.conftest import T0
from tests.integration.game.conftest import make_event, make_user, row


def test_chapter_1_waits_2_to_5_minutes_and_chapter_5_is_due_at_once(app, raw):
    # Given a chapter-1 and a chapter-5 player
    slow, fast = make_user(raw, chapter=1, chat_id="11"), make_user(raw, chapter=5, chat_id="55")
    # When a response is scheduled for each
    with app.sessions.begin() as session:
        first = schedule_response(session, slow, "hello", now=T0, cfg=GameConfig(), rng=random.Random(7))
        second = schedule_response(session, fast, "hi!", now=T0, cfg=GameConfig(), chat_id="99")
    # Then each is a pending telegram event with the chat id and text, due after the chapter's delay
    at, content, status = row(
        raw, "SELECT scheduled_at, content, status FROM game.scheduled_events WHERE id = %s", first
    )
    assert timedelta(minutes=2) <= at - T0 <= timedelta(minutes=5)
    assert content == {"chat_id": "11", "text": "hello"} and status == "pending"
    assert row(raw, "SELECT scheduled_at, content FROM game.scheduled_events WHERE id = %s", second) == (
        T0,
        {"chat_id": "99", "text": "hi!"},
    )


def test_only_pending_events_can_be_cancelled(app, raw):
    # Given a pending event and one already being sent
    user = make_user(raw)
    pending, sending = make_event(raw, user), make_event(raw, user, status="sending")
    # When both are cancelled
    with app.sessions.begin() as session:
        results = cancel_event(session, pending, now=T0), cancel_event(session, sending, now=T0)
    # Then only the pending one is
    assert results == (True, False)
    assert row(raw, "SELECT status FROM game.scheduled_events WHERE id = %s", pending) == ("cancelled",)
    assert row(raw, "SELECT status FROM game.scheduled_events WHERE id = %s", sending) == ("sending",)
