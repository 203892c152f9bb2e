"""deliver end to end: the outbox state machine against a loopback Telegram / voice API."""

from __future__ import annotations

from datetime import timedelta

from actors.game.deliver import deliver_event
from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.integration.game.conftest import BOT_TOKEN, make_event, make_user, row, rows, run_job
from tests.support.http_sink import Reply
from tests.support.waiting import wait_until

SEND_PATH = f"/bot{BOT_TOKEN}/sendMessage"


def _event(raw, event_id):
    return row(
        raw,
        "SELECT status, retry_count, error_message, delivered_at FROM game.scheduled_events WHERE id = %s",
        event_id,
    )


def _status_is(raw, event_id, status, retry_count=None):
    def check():
        ev = _event(raw, event_id)
        return ev if ev[0] == status and (retry_count is None or ev[1] == retry_count) else None

    return wait_until(check, timeout=20, message=f"event {event_id} → {status}/{retry_count}")


def _queued_eta(raw):
    return wait_until(
        lambda: row(raw, "SELECT eta FROM dramatiq.queue WHERE state = 'queued' AND queue_name = 'game'"), timeout=20
    )[0]


def test_due_event_is_sent_to_telegram_and_marked_delivered(app, worker, raw, sink):
    # Given a due event whose content carries text and chat id, and one not yet due
    user = make_user(raw)
    due = make_event(raw, user, content={"chat_id": "777", "response_text": "good morning"})
    later = make_event(raw, user, due=-timedelta(minutes=5))
    # When deliver runs
    result = run_job(app, raw, "deliver")
    # Then only the due event was sent, to its chat, and marked delivered at the clock's time
    assert result["items_processed"] == 1 and result["children"] == {"succeeded": 1}
    assert _event(raw, due)[0] == "delivered" and _event(raw, due)[3] == T0
    assert [r.json for r in sink.requests(SEND_PATH)] == [{"chat_id": "777", "text": "good morning"}]
    assert _event(raw, later)[0] == "pending"


def test_chat_id_defaults_to_the_players_and_voice_calls_carry_the_event_id_as_idempotency_key(app, worker, raw, sink):
    # Given a telegram event without chat id and a voice event, for a player with both
    user = make_user(raw, chat_id="555", phone="+15550001")
    text_event = make_event(raw, user, content={"text": "hey"})
    call_event = make_event(raw, user, platform="voice", content={"text": "call me"})
    # When deliver runs
    run_job(app, raw, "deliver")
    # Then both are delivered through their channel
    assert _event(raw, text_event)[0] == "delivered" and _event(raw, call_event)[0] == "delivered"
    assert sink.requests(SEND_PATH)[0].json == {"chat_id": "555", "text": "hey"}
    call = sink.requests("/v1/calls")[0]
    assert call.json == {"to": "+15550001", "text": "call me"} and call.headers["Idempotency-Key"] == call_event


def test_at_most_50_events_are_claimed_per_tick_oldest_due_first(app, worker, raw, sink, clock):
    # Given 60 due events
    user = make_user(raw)
    events = [make_event(raw, user, due=timedelta(minutes=120 - i)) for i in range(60)]
    # When deliver runs once
    first = run_job(app, raw, "deliver")
    # Then the 50 oldest are delivered and the 10 newest still wait
    assert first["items_processed"] == 50 and first["children"] == {"succeeded": 50}
    statuses = [_event(raw, e)[0] for e in events]
    assert statuses == ["delivered"] * 50 + ["pending"] * 10
    # And the next tick delivers the rest
    clock.advance(60)
    second = run_job(app, raw, "deliver")
    assert second["items_processed"] == 10 and len(sink.requests(SEND_PATH)) == 60


def test_transient_failures_retry_at_1_2_4_minutes_then_fail_with_retry_count_3(app, worker, raw, sink, clock):
    # Given Telegram answering 502 to everything
    sink.respond(status=502, body="bad gateway")
    event = make_event(raw, make_user(raw))
    wait_for_run(app, trigger_job(app, "deliver"), timeout=20, include_children=False)
    # When the clock follows the backoff schedule
    for retries, minutes in ((1, 1), (2, 2), (3, 4)):
        # Then after each failure the event is pending again with one more retry, due with the retry
        _status_is(raw, event, "pending", retries)
        eta = _queued_eta(raw)
        assert eta == clock.now() + timedelta(minutes=minutes)
        assert row(raw, "SELECT scheduled_at FROM game.scheduled_events WHERE id = %s", event)[0] == eta
        clock.set(eta)
    # And the fourth failed attempt marks it failed with retry_count 3 and the error
    status, retry_count, error, _ = _status_is(raw, event, "failed")
    assert retry_count == 3 and "HTTP 502" in error and BOT_TOKEN not in error
    assert len(sink.requests(SEND_PATH)) == 4
    assert clock.now() - T0 == timedelta(minutes=7)


def test_telegram_429_delays_the_retry_by_its_retry_after(app, worker, raw, sink, clock):
    # Given Telegram rate-limiting the first send for 300 seconds
    sink.script(
        [
            Reply(
                status=429,
                json={
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests",
                    "parameters": {"retry_after": 300},
                },
            )
        ]
    )
    event = make_event(raw, make_user(raw))
    wait_for_run(app, trigger_job(app, "deliver"), timeout=20, include_children=False)
    # Then the retry waits 300 s instead of 1 minute
    _status_is(raw, event, "pending", 1)
    eta = _queued_eta(raw)
    assert eta == T0 + timedelta(seconds=300)
    # When that time comes, it is delivered
    clock.set(eta)
    _status_is(raw, event, "delivered")
    assert len(sink.requests(SEND_PATH)) == 2


def test_permanent_rejection_fails_after_one_request(app, worker, raw, sink, clock):
    # Given Telegram saying the chat does not exist
    sink.respond(status=400, json={"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    event = make_event(raw, make_user(raw))
    # When deliver runs (and time passes)
    run_job(app, raw, "deliver")
    clock.advance(timedelta(minutes=10))
    # Then the event failed at once, with the reason, after a single request
    status, retry_count, error, _ = _event(raw, event)
    assert (status, retry_count) == ("failed", 0) and "chat not found" in error
    assert len(sink.requests(SEND_PATH)) == 1


def test_event_found_in_sending_becomes_unknown_and_is_not_sent_again(app, worker, raw, sink):
    # Given an event left in 'sending' by an attempt that died after calling Telegram
    event = make_event(raw, make_user(raw), status="sending")
    # When its child runs again
    deliver_event.send(event_id=event)
    # Then it is marked unknown and nothing is sent
    status, _, error, _ = _status_is(raw, event, "unknown")
    assert "not re-sent" in error and sink.requests() == []


def test_no_answer_after_sending_marks_the_event_unknown_without_retrying(app, worker, raw, sink, clock):
    # Given Telegram that accepts the request but never answers properly
    sink.respond(status=200, body="")
    event = make_event(raw, make_user(raw))
    # When deliver runs and time passes
    run_job(app, raw, "deliver")
    clock.advance(timedelta(minutes=10))
    # Then the event is unknown and was sent once
    assert _event(raw, event)[0] == "unknown" and len(sink.requests(SEND_PATH)) == 1


def test_events_of_ended_games_are_cancelled_and_events_without_chat_fail(app, worker, raw, sink):
    # Given an event for a player whose game is over, and one for a player with no chat id
    over = make_event(raw, make_user(raw, status="game_over"))
    no_chat = make_event(raw, make_user(raw, chat_id=None))
    # When deliver runs
    run_job(app, raw, "deliver")
    # Then neither is sent: one cancelled, one failed, each with its reason
    assert _event(raw, over)[:3] == ("cancelled", 0, "cancelled: the player's game is over")
    assert _event(raw, no_chat)[0] == "failed" and "chat id" in _event(raw, no_chat)[2]
    assert sink.requests() == []
    assert rows(raw, "SELECT count(*) FROM game.scheduled_events WHERE status = 'pending'") == [(0,)]
