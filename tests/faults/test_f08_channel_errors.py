"""F8: Telegram failing one way at a time, against the deliver job's outbox and the platform's retries.

- 500 and connection refused: retried 1, 2, 4 minutes later, then failed after the 3rd retry;
- 429 with retry_after: the retry waits at least retry_after;
- a timeout (or a cut connection) after the request was sent: 'unknown', never re-sent;
- 400 / 403: failed after one request.

Runs on the in-process worker with a FrozenClock, so each backoff is checked to the second.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.faults.conftest import figures
from tests.integration.game.conftest import make_event, make_user, row, run_job
from tests.support.http_sink import Reply, refused_url, sink_fixture
from tests.support.waiting import wait_until

BOT_TOKEN = "123456:f8-bot-token"
SEND_PATH = f"/bot{BOT_TOKEN}/sendMessage"
sink = pytest.fixture(sink_fixture)


@pytest.fixture
def telegram_base(request, sink) -> str:
    return refused_url() if getattr(request, "param", None) == "refused" else sink.url


@pytest.fixture
def settings_overrides(telegram_base) -> dict:
    return {"TELEGRAM_API_BASE": telegram_base, "TELEGRAM_BOT_TOKEN": BOT_TOKEN}


def _event(raw, event_id):
    return row(raw, "SELECT status, retry_count, error_message FROM game.scheduled_events WHERE id = %s", event_id)


def _wait_status(raw, event_id, status, retry_count=None):
    def check():
        ev = _event(raw, event_id)
        return ev if ev[0] == status and (retry_count is None or ev[1] == retry_count) else None

    return wait_until(check, timeout=20, message=f"event {event_id} → {status}/{retry_count}")


def _retry_eta(raw):
    return wait_until(
        lambda: row(raw, "SELECT eta FROM dramatiq.queue WHERE state = 'queued' AND queue_name = 'game'"),
        timeout=20,
        message="the retry is queued",
    )[0]


def _attempts(raw, event_id) -> int:
    return row(
        raw,
        "SELECT attempt FROM dramaturg.job_history WHERE actor_name = 'game.deliver.item' AND args->'kwargs'->>'event_id' = %s",
        event_id,
    )[0]


def _start(app, raw):
    event = make_event(raw, make_user(raw))
    wait_for_run(app, trigger_job(app, "deliver"), timeout=20, include_children=False)
    return event


def _later_tick_sends_nothing_more(app, raw, clock, sink, requests_before: int) -> None:
    """Ten minutes on, a deliver tick runs to completion and the server saw no new request."""
    clock.advance(timedelta(minutes=10))
    run_job(app, raw, "deliver")
    assert len(sink.requests(SEND_PATH)) == requests_before


@pytest.mark.parametrize("telegram_base", ["http-500", "refused"], indirect=True)
def test_f8_500_and_refused_retry_at_1_2_4_minutes_then_fail_after_the_third_retry(
    app, worker, raw, sink, clock, telegram_base
):
    # Given Telegram answering 500, or nothing listening at all
    refused = telegram_base != sink.url
    sink.respond(status=500, body="internal error")
    event = _start(app, raw)
    waits = []
    # When the clock follows each retry as it falls due
    for retries, minutes in ((1, 1), (2, 2), (3, 4)):
        _wait_status(raw, event, "pending", retries)
        eta = _retry_eta(raw)
        waits.append((eta - clock.now()).total_seconds())
        # Then each retry is due exactly 2^n minutes after the failed attempt
        assert eta == clock.now() + timedelta(minutes=minutes)
        clock.set(eta)
    # And the attempt after the 3rd retry fails the event for good, with the error
    status, retry_count, error = _wait_status(raw, event, "failed")
    assert retry_count == 3 and ("not sent" if refused else "HTTP 500") in error and BOT_TOKEN not in error
    assert _attempts(raw, event) == 4
    assert len(sink.requests(SEND_PATH)) == (0 if refused else 4)
    figures("F8", kind="refused" if refused else "500", attempts=4, waits_s=waits, final=status)
    _later_tick_sends_nothing_more(app, raw, clock, sink, 0 if refused else 4)


@pytest.mark.parametrize("retry_after", [30, 300])
def test_f8_429_waits_at_least_retry_after_before_sending_again(app, worker, raw, sink, clock, retry_after):
    # Given Telegram rate-limiting the first send
    sink.script(
        [
            Reply(
                status=429,
                json={
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry later",
                    "parameters": {"retry_after": retry_after},
                },
            )
        ]
    )
    event = _start(app, raw)
    # Then the retry is due after retry_after, or after the 1-minute backoff if that is longer
    _wait_status(raw, event, "pending", 1)
    eta = _retry_eta(raw)
    assert eta == T0 + timedelta(seconds=max(60, retry_after))
    # And a deliver tick before then sends nothing
    clock.set(eta - timedelta(seconds=1))
    run_job(app, raw, "deliver")
    assert len(sink.requests(SEND_PATH)) == 1
    # When the time comes, the event is sent again and delivered
    clock.set(eta)
    _wait_status(raw, event, "delivered")
    assert len(sink.requests(SEND_PATH)) == 2
    figures("F8", kind=f"429 retry_after={retry_after}", waited_s=(eta - T0).total_seconds(), requests=2)


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(delay=10.5), id="read-timeout"),
        pytest.param(Reply(drop_after_read=True), id="connection-cut-after-read"),
    ],
)
def test_f8_no_answer_after_sending_marks_unknown_and_never_resends(app, worker, raw, sink, clock, reply):
    # Given Telegram that reads the request, then times out or hangs up without answering
    sink.script([reply])
    event = _start(app, raw)
    # Then the event is unknown after that one request, with the reason
    status, retry_count, error = _wait_status(raw, event, "unknown")
    assert retry_count == 0 and "no answer" in error and len(sink.requests(SEND_PATH)) == 1
    assert _attempts(raw, event) == 1
    # And nothing re-sends it later
    _later_tick_sends_nothing_more(app, raw, clock, sink, 1)
    assert _event(raw, event)[0] == "unknown"
    figures("F8", kind="timeout" if reply.delay else "cut", requests=1, final=status)


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (400, "Bad Request: chat not found"),
        (403, "Forbidden: bot was blocked by the user"),
    ],
)
def test_f8_400_and_403_fail_after_one_request(app, worker, raw, sink, clock, status, description):
    # Given Telegram refusing the chat for good
    sink.respond(status=status, json={"ok": False, "error_code": status, "description": description})
    event = _start(app, raw)
    # Then the event failed after a single request, with Telegram's reason and no retry
    final, retry_count, error = _wait_status(raw, event, "failed")
    assert retry_count == 0 and description in error and len(sink.requests(SEND_PATH)) == 1
    assert _attempts(raw, event) == 1
    _later_tick_sends_nothing_more(app, raw, clock, sink, 1)
    figures("F8", kind=str(status), requests=1, final=final)
