"""sync-analytics against a loopback metrics API: upserted analytics, derived learnings, 429 deferral, 401 re-auth."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.integration.content.conftest import all_rows, make_account, make_org, make_post, one, run, submit_job
from tests.support.http_sink import Reply
from tests.support.waiting import wait_until

ACCESS = "access-token-abcdef123"


def metrics(likes: int, comments: int = 0, shares: int = 0, impressions: int = 1000) -> Reply:
    return Reply(json={"impressions": impressions, "likes": likes, "comments": comments, "shares": shares})


def _history(raw, run_id):
    return one(raw, "SELECT status, attempt FROM dramaturg.job_history WHERE id = %s", run_id)


def _queued(raw):
    return one(raw, "SELECT eta, message FROM dramatiq.queue WHERE state = 'queued' AND queue_name = 'analytics-sync'")


def test_metrics_are_upserted_and_learnings_derived_and_a_rerun_updates_without_duplicating(app, worker, raw, remote):
    # Given an org with an X and a LinkedIn account and three posts at different hours and topics
    org = make_org(raw)
    x, linkedin = make_account(raw, org, platform="x"), make_account(raw, org, platform="linkedin")
    p1 = make_post(raw, x, "x-1", topic="launch", published_at=T0.replace(hour=9))
    p2 = make_post(raw, x, "x-2", topic="pricing", published_at=T0.replace(hour=17))
    p3 = make_post(raw, linkedin, "li-1", topic="launch", published_at=T0.replace(hour=9))
    remote.route("GET", "/v1/posts/x-1/metrics", metrics(10, comments=2, shares=1))  # engagement 17
    remote.route("GET", "/v1/posts/x-2/metrics", metrics(50))  # 50
    remote.route("GET", "/v1/posts/li-1/metrics", metrics(5))  # 5
    # When both accounts are synced
    first = run(app, "content.sync_analytics", account_id=x)
    run(app, "content.sync_analytics", account_id=linkedin)
    # Then each post has one analytics row with its counters, collected at the clock's time
    assert first["status"] == "succeeded", first["error"]
    assert first["result"]["post_ids"] == [p1, p2]
    assert all_rows(
        raw, "SELECT post_id, likes, comments, shares, collected_at FROM content.post_analytics ORDER BY post_id"
    ) == [
        (p1, 10, 2, 1, T0),
        (p2, 50, 0, 0, T0),
        (p3, 5, 0, 0, T0),
    ]
    # And the token went out as a bearer token
    assert remote.hits("GET", "/v1/posts/x-1/metrics")[0].headers["Authorization"] == f"Bearer {ACCESS}"
    # And the learnings follow the documented computation (engagement = likes + 2·comments + 3·shares)
    learnings = dict(all_rows(raw, "SELECT kind, value FROM content.brand_learnings WHERE org_id = %s", org))
    assert learnings["best_platform"] == {"platform": "x", "mean_engagement": 33.5, "posts": 2}
    assert learnings["best_hour"] == {"hour_utc": 17, "mean_engagement": 50, "posts": 1}
    assert learnings["top_topics"] == [
        {"topic": "pricing", "mean_engagement": 50},
        {"topic": "launch", "mean_engagement": 11},
    ]
    # When the metrics change and the account is synced again
    remote.route("GET", "/v1/posts/x-1/metrics", metrics(100))
    run(app, "content.sync_analytics", account_id=x)
    # Then the rows are updated, never duplicated
    assert one(raw, "SELECT count(*) FROM content.post_analytics")[0] == 3
    assert one(raw, "SELECT likes FROM content.post_analytics WHERE post_id = %s", p1)[0] == 100
    assert one(raw, "SELECT count(*) FROM content.brand_learnings")[0] == 3


def test_the_hourly_fan_out_syncs_every_active_account_and_skips_those_needing_reauth(app, worker, raw, remote):
    org = make_org(raw)
    active = make_account(raw, org)
    make_account(raw, org, status="needs_reauth")
    make_post(raw, active, "x-1")
    remote.route("GET", "/v1/posts/x-1/metrics", metrics(1))
    done = wait_for_run(app, trigger_job(app, "sync-analytics"), timeout=30)
    assert done["result"]["accounts"] == 1 and done["children"] == {"succeeded": 1}
    assert len(remote.requests()) == 1


def test_429_retry_after_reschedules_without_spending_a_retry(app, worker, raw, remote, clock):
    # Given a metrics API rate-limiting the first call for 120 seconds
    account = make_account(raw, make_org(raw))
    make_post(raw, account, "x-1")
    remote.route("GET", "/v1/posts/x-1/metrics", Reply(status=429, headers={"Retry-After": "120"}), metrics(7))
    run_id = submit_job(app, "content.sync_analytics", account_id=account)
    # Then the run is re-scheduled 120 s out, still on its first attempt, with no retry spent
    wait_until(lambda: _history(raw, run_id) == ("retrying", 1), timeout=20)
    eta, message = wait_until(lambda: _queued(raw), timeout=20)
    assert eta == T0 + timedelta(seconds=120)
    options = (message if isinstance(message, dict) else json.loads(message))["options"]
    assert options.get("retries", 0) == 0 and options["deferrals"] == 1
    # And the history says so
    error = one(raw, "SELECT error FROM dramaturg.job_history WHERE id = %s", run_id)[0]
    assert "RetryAfter" in error and "not counted as a retry; deferral 1 of 10" in error
    # When that time comes, it succeeds on the same attempt number
    clock.set(eta)
    wait_until(lambda: _history(raw, run_id) == ("succeeded", 1), timeout=20)
    assert one(raw, "SELECT likes FROM content.post_analytics")[0] == 7


class TestDeferralBound:
    @pytest.fixture
    def settings_overrides(self, settings_overrides) -> dict:
        return {**settings_overrides, "DRAMATURG_MAX_DEFERRALS": "2"}

    def test_past_the_bound_a_429_counts_as_an_ordinary_retry(self, app, worker, raw, remote, clock):
        # Given an API that rate-limits forever, and at most 2 deferrals
        account = make_account(raw, make_org(raw))
        make_post(raw, account, "x-1")
        remote.route("GET", "/v1/posts/x-1/metrics", Reply(status=429, headers={"Retry-After": "120"}))
        run_id = submit_job(app, "content.sync_analytics", account_id=account)
        # When the two deferrals pass, each re-scheduled 120 s out without spending a retry
        for n in (1, 2):
            wait_until(lambda: _attempts_logged(raw, run_id) == n, timeout=20)
            eta, options = _queued_options(raw)
            assert eta == clock.now() + timedelta(seconds=120)
            assert (options.get("retries", 0), options["deferrals"]) == (0, n)
            clock.advance(120)
        # Then the third 429 spends a retry: the remote's 120 s is a floor under the 1-minute delay
        wait_until(lambda: _attempts_logged(raw, run_id) == 3, timeout=20)
        eta, options = _queued_options(raw)
        assert eta == clock.now() + timedelta(seconds=120)
        assert (options["retries"], options["deferrals"]) == (1, 2)
        # And the next run is the second attempt
        clock.advance(120)
        wait_until(lambda: _history(raw, run_id)[1] == 2, timeout=20)


def _attempts_logged(raw, run_id) -> int:
    log = one(raw, "SELECT attempt_log FROM dramaturg.job_history WHERE id = %s", run_id)[0]
    return len(log or [])


def _queued_options(raw):
    eta, message = wait_until(lambda: _queued(raw), timeout=20)
    return eta, (message if isinstance(message, dict) else json.loads(message))["options"]


def test_401_invalid_token_marks_the_account_needs_reauth_and_fails_once_without_retries(
    app, worker, raw, remote, clock
):
    # Given an account whose token the platform no longer accepts
    account = make_account(raw, make_org(raw))
    make_post(raw, account, "x-1")
    remote.route(
        "GET",
        "/v1/posts/x-1/metrics",
        Reply(
            status=401, json={"error": "invalid_token"}, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        ),
    )
    # When its analytics are synced
    done = run(app, "content.sync_analytics", account_id=account)
    # Then the run failed once, with the reason, and the account needs re-authorisation
    assert done["status"] == "failed" and done["attempt"] == 1 and "401 invalid_token" in done["error"]
    assert one(raw, "SELECT status FROM content.social_accounts WHERE id = %s", account)[0] == "needs_reauth"
    clock.advance(timedelta(minutes=30))
    assert len(remote.requests()) == 1
    # And no sync runs for it until it is re-authorised
    again = run(app, "content.sync_analytics", account_id=account)
    assert again["status"] == "succeeded" and "needs_reauth" in again["result"]["skipped"]
    assert len(remote.requests()) == 1
    # And the token is in no history text
    texts = all_rows(
        raw,
        "SELECT coalesce(error, '') || coalesce(traceback, '') || coalesce(result::text, '') || args::text FROM dramaturg.job_history",
    )
    assert texts and not any(ACCESS in t for (t,) in texts)
