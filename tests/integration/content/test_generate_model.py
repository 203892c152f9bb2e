"""content-generate through the anthropic SDK against a loopback Messages API (ANTHROPIC_BASE_URL).

Overloaded / 5xx answers are retried at exactly 1, 5 and 15 minutes (``retry_delays``) on the
injected clock, then the request is failed; a 4xx fails it at once with the reason.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import T0
from tests.integration.content.conftest import all_rows, make_brand, make_org, one, run, submit_job
from tests.integration.content.routes import claude_reply
from tests.support.http_sink import Reply
from tests.support.waiting import wait_until

API_KEY = "sk-ant-test-key-123456"
OVERLOADED = Reply(status=529, json={"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})


@pytest.fixture
def settings_overrides(settings_overrides, remote) -> dict:
    return {**settings_overrides, "ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": remote.url}


def _history(raw, run_id):
    return one(raw, "SELECT status, attempt FROM dramaturg.job_history WHERE id = %s", run_id)


def _eta(raw):
    found = one(raw, "SELECT eta FROM dramatiq.queue WHERE state = 'queued' AND queue_name = 'content-generation'")
    return found[0] if found else None


def test_texts_come_from_the_model_and_are_cut_to_the_platform_limit(app, worker, raw, remote):
    remote.route("POST", "/v1/messages", Reply(json=claude_reply("Big news today! " * 40)))
    brand = make_brand(raw, make_org(raw), platforms=("x", "linkedin"))
    done = run(app, "content.generate", brand_id=brand, topic="launch")
    assert done["status"] == "succeeded", done["error"]
    items = dict(all_rows(raw, "SELECT platform, body FROM content.content_items"))
    assert len(items["x"]) <= 280 and items["x"].startswith("Big news today!")
    assert items["linkedin"] == ("Big news today! " * 40).strip()
    assert {g for (g,) in all_rows(raw, "SELECT generator FROM content.content_items")} == {"anthropic"}
    calls = remote.hits("POST", "/v1/messages")
    headers = {k.lower(): v for k, v in calls[0].headers.items()}
    assert len(calls) == 2 and API_KEY in (
        headers.get("x-api-key"),
        headers.get("authorization", "").removeprefix("Bearer "),
    )
    assert "x post about: launch" in calls[0].json["messages"][0]["content"]


def test_an_overloaded_model_is_retried_after_exactly_one_minute(app, worker, raw, remote, clock):
    remote.route("POST", "/v1/messages", OVERLOADED, Reply(json=claude_reply("Hello")))
    brand = make_brand(raw, make_org(raw), platforms=("x",))
    run_id = submit_job(app, "content.generate", brand_id=brand, topic="launch")
    wait_until(lambda: _history(raw, run_id) == ("retrying", 1), timeout=20)
    assert _eta(raw) == T0 + timedelta(minutes=1)
    clock.set(T0 + timedelta(minutes=1))
    wait_until(lambda: _history(raw, run_id) == ("succeeded", 2), timeout=20)
    assert all_rows(raw, "SELECT body, generator FROM content.content_items") == [("Hello", "anthropic")]


def test_server_errors_retry_at_exactly_1_5_15_minutes_then_the_request_fails(app, worker, raw, remote, clock):
    # Given a model answering 500 to everything
    remote.route(
        "POST",
        "/v1/messages",
        Reply(status=500, json={"type": "error", "error": {"type": "api_error", "message": "boom"}}),
    )
    brand = make_brand(raw, make_org(raw), platforms=("x",))
    run_id = submit_job(app, "content.generate", brand_id=brand, topic="launch")
    # When the clock follows the retries
    for attempt, minutes in ((1, 1), (2, 5), (3, 15)):
        wait_until(lambda: _history(raw, run_id) == ("retrying", attempt), timeout=20)
        # Then each retry is due exactly 1, 5, then 15 minutes after the failure
        eta = wait_until(lambda: _eta(raw), timeout=20)
        assert eta == clock.now() + timedelta(minutes=minutes)
        clock.set(eta)
    # And the fourth attempt fails the run and the request, with the reason
    wait_until(lambda: _history(raw, run_id) == ("failed", 4), timeout=20)
    status, error = one(raw, "SELECT status, error FROM content.content_requests")
    assert status == "failed" and "HTTP 500" in error and API_KEY not in error
    assert len(remote.hits("POST", "/v1/messages")) == 4 and all_rows(raw, "SELECT id FROM content.content_items") == []
    # And history kept every attempt
    log = one(raw, "SELECT attempt_log FROM dramaturg.job_history WHERE id = %s", run_id)[0]
    assert [(a["attempt"], a["status"]) for a in log] == [
        (1, "retrying"),
        (2, "retrying"),
        (3, "retrying"),
        (4, "failed"),
    ]


def test_an_invalid_request_fails_at_once_with_the_reason(app, worker, raw, remote, clock):
    remote.route(
        "POST",
        "/v1/messages",
        Reply(
            status=400,
            json={"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens too large"}},
        ),
    )
    brand = make_brand(raw, make_org(raw), platforms=("x",))
    done = run(app, "content.generate", brand_id=brand, topic="launch")
    assert done["status"] == "failed" and done["attempt"] == 1 and "max_tokens too large" in done["error"]
    clock.advance(timedelta(minutes=30))
    assert len(remote.hits("POST", "/v1/messages")) == 1
    status, error = one(raw, "SELECT status, error FROM content.content_requests")
    assert status == "failed" and "HTTP 400" in error
