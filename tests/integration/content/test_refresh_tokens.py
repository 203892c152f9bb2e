"""refresh-tokens against a loopback OAuth2 token endpoint: the refresh grant, tokens encrypted, invalid_grant."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

from actors.content import tokens
from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.integration.content.conftest import (
    CLIENT_SECRET,
    all_rows,
    config,
    make_account,
    make_org,
    one,
    run,
    submit_job,
)
from tests.support.http_sink import Reply
from tests.support.waiting import wait_until

NEW_ACCESS = "fresh-access-token-777"
NEW_REFRESH = "rotated-refresh-token-888"


def test_the_hourly_run_refreshes_accounts_expiring_within_the_hour_and_stores_the_tokens_encrypted(
    app, worker, raw, remote
):
    # Given an account expiring in 30 minutes and one in 3 hours
    org = make_org(raw)
    soon = make_account(raw, org, refresh="refresh-soon-0001", expires_at=T0 + timedelta(minutes=30))
    later = make_account(raw, org, expires_at=T0 + timedelta(hours=3))
    remote.route(
        "POST",
        "/oauth/token",
        Reply(
            json={"access_token": NEW_ACCESS, "token_type": "Bearer", "expires_in": 3600, "refresh_token": NEW_REFRESH}
        ),
    )
    # When refresh-tokens runs
    done = wait_for_run(app, trigger_job(app, "refresh-tokens"), timeout=30)
    # Then only the expiring account was refreshed, with the standard refresh grant
    assert done["result"]["accounts"] == 1 and done["children"] == {"succeeded": 1}
    [call] = remote.hits("POST", "/oauth/token")
    assert parse_qs(call.body.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["refresh-soon-0001"],
        "client_id": ["dramaturg-test"],
        "client_secret": [CLIENT_SECRET],
    }
    # And the new tokens are stored encrypted, with the new expiry
    access, refresh, expires_at = one(
        raw, "SELECT access_token, refresh_token, expires_at FROM content.social_accounts WHERE id = %s", soon
    )
    assert NEW_ACCESS not in access and NEW_REFRESH not in refresh
    assert tokens.unseal(config(), access, what="t") == NEW_ACCESS
    assert tokens.unseal(config(), refresh, what="t") == NEW_REFRESH
    assert expires_at == T0 + timedelta(hours=1)
    assert one(raw, "SELECT expires_at FROM content.social_accounts WHERE id = %s", later)[0] == T0 + timedelta(hours=3)
    # And no token reached job_history
    texts = " ".join(
        t for (t,) in all_rows(raw, "SELECT coalesce(result::text, '') || args::text FROM dramaturg.job_history")
    )
    assert not any(secret in texts for secret in (NEW_ACCESS, NEW_REFRESH, "refresh-soon-0001", CLIENT_SECRET))


def test_invalid_grant_marks_the_account_needs_reauth_and_fails_at_once(app, worker, raw, remote, clock):
    account = make_account(raw, make_org(raw), expires_at=T0 + timedelta(minutes=10))
    remote.route(
        "POST", "/oauth/token", Reply(status=400, json={"error": "invalid_grant", "error_description": "revoked"})
    )
    done = run(app, "content.refresh_token", account_id=account)
    assert done["status"] == "failed" and done["attempt"] == 1 and "invalid_grant" in done["error"]
    assert one(raw, "SELECT status FROM content.social_accounts WHERE id = %s", account)[0] == "needs_reauth"
    clock.advance(timedelta(minutes=30))
    assert len(remote.requests()) == 1


def test_a_token_endpoint_error_is_retried(app, worker, raw, remote):
    account = make_account(raw, make_org(raw), expires_at=T0 + timedelta(minutes=10))
    remote.route("POST", "/oauth/token", Reply(status=503, body="down"))
    run_id = submit_job(app, "content.refresh_token", account_id=account)
    wait_until(
        lambda: one(raw, "SELECT status FROM dramaturg.job_history WHERE id = %s", run_id)[0] == "retrying", timeout=20
    )
    assert one(raw, "SELECT status FROM content.social_accounts WHERE id = %s", account)[0] == "active"
