"""Per-organization limit (seed 002 T047): at most N of an org's jobs queued or running at once.

The 51st submission gets 429 too_many_jobs with Retry-After and nothing is
enqueued; the count is race-free (an advisory lock per organization), and
other organizations are unaffected.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import T0
from tests.integration.web.helpers import scalar


@pytest.fixture
def web_settings():
    from dramaturg.web.config import WebSettings

    return WebSettings(org_max_active_jobs=50, org_retry_after=7)


def _existing_active(raw, org: str, n: int) -> None:
    """``n`` of the org's jobs already queued (as if submitted earlier)."""
    with raw.cursor() as cur:
        for _ in range(n):
            cur.execute(
                "INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, trigger, status, org_id, enqueued_at) "
                "VALUES ('webtest.echo', 'webtest.echo', %s, 'api', 'queued', %s, %s)",
                (str(uuid.uuid4()), org, T0),
            )


def _post(client, org: str):
    future = "2030-01-01T00:00:00Z"  # delayed: they stay queued while the test counts
    return client(
        "POST", "/api/jobs", json={"type": "webtest.echo", "payload": {"n": 1}, "org_id": org, "run_at": future}
    )


def test_twenty_concurrent_posts_at_45_leave_exactly_50(client, raw):
    # Given 45 of acme's jobs queued
    _existing_active(raw, "acme", 45)
    # When 20 submissions arrive at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: _post(client, "acme"), range(20)))
    # Then exactly 5 are accepted and 15 refused with Retry-After; nothing refused was enqueued
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 5 + [429] * 15
    refused = [a for a in answers if a.status_code == 429]
    assert {a.json()["error"] for a in refused} == {"too_many_jobs"}
    assert {a.headers["Retry-After"] for a in refused} == {"7"}
    assert scalar(raw, "SELECT count(*) FROM dramaturg.job_history WHERE org_id = 'acme' AND status = 'queued'") == 50
    assert scalar(raw, "SELECT count(*) FROM dramatiq.queue") == 5
    # And another organization is unaffected
    assert _post(client, "globex").status_code == 201


def test_finished_jobs_free_their_slot(client, raw):
    _existing_active(raw, "acme", 50)
    assert _post(client, "acme").status_code == 429
    with raw.cursor() as cur:
        cur.execute(
            "UPDATE dramaturg.job_history SET status = 'succeeded' WHERE id = (SELECT min(id) FROM dramaturg.job_history)"
        )
    assert _post(client, "acme").status_code == 201


def test_a_retry_counts_against_the_limit(client, raw):
    # Given a cancelled acme job and acme at its limit
    job_id = _post(client, "acme").json()["id"]
    client("DELETE", f"/api/jobs/{job_id}")
    _existing_active(raw, "acme", 50)
    # Then retrying it is refused too
    response = client("POST", f"/api/jobs/{job_id}/retry")
    assert response.status_code == 429 and response.json()["error"] == "too_many_jobs"
