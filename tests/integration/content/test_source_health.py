"""Unhealthy sources: 5 final failures in a row (not attempts) make a source unhealthy; the scheduled scrape skips
it, a manual run still runs it, one success resets it. Retries of a source child come at exactly 1, 5, 15 minutes."""

from __future__ import annotations

from datetime import timedelta

from scheduler.trigger import trigger_job, wait_for_run
from tests.conftest import T0
from tests.integration.content.conftest import all_rows, make_org, make_source, one, run, submit_job
from tests.integration.content.routes import html_page
from tests.support.http_sink import Reply
from tests.support.waiting import wait_until


def _health(raw, source):
    return one(
        raw, "SELECT status, consecutive_failures, last_scraped_at FROM content.context_sources WHERE id = %s", source
    )


def test_the_fifth_final_failure_in_a_row_makes_the_source_unhealthy_not_the_fourth(app, worker, raw, remote):
    # Given a page that is gone (404: fails at once, one final failure per run)
    remote.route("GET", "/gone", Reply(status=404, body="gone"))
    source = make_source(raw, make_org(raw), f"{remote.url}/gone")
    # When it fails four times
    for n in range(1, 5):
        assert run(app, "content.scrape_website", source_id=source)["status"] == "failed"
        # Then it stays healthy, counting
        assert _health(raw, source)[:2] == ("healthy", n)
    # And the fifth failure makes it unhealthy
    assert run(app, "content.scrape_website", source_id=source)["status"] == "failed"
    assert _health(raw, source)[:2] == ("unhealthy", 5)
    assert "HTTP 404" in one(raw, "SELECT last_error FROM content.context_sources WHERE id = %s", source)[0]


def test_the_scheduled_scrape_skips_an_unhealthy_source_a_manual_run_still_runs_and_success_resets(
    app, worker, raw, remote, clock
):
    # Given a healthy site, a healthy feed and an unhealthy site
    org = make_org(raw)
    remote.route("GET", "/ok", html_page("Fine", "All good here."))
    remote.route("GET", "/feed.xml", Reply(body=FEED, headers={"Content-Type": "application/rss+xml"}))
    remote.route("GET", "/flaky", html_page("Back", "It works again."))
    healthy = make_source(raw, org, f"{remote.url}/ok")
    feed = make_source(raw, org, f"{remote.url}/feed.xml", kind="rss")
    sick = make_source(raw, org, f"{remote.url}/flaky", status="unhealthy", failures=5)
    # When the scheduled scrape runs
    run_id = trigger_job(app, "scrape-sources")
    done = wait_for_run(app, run_id, timeout=30)
    # Then it fans out to the healthy website and the feed only
    assert done["result"]["websites"] == 1 and done["result"]["feeds"] == 1
    assert done["children"] == {"succeeded": 2}
    assert remote.hits("GET", "/flaky") == []
    assert {r[0] for r in all_rows(raw, "SELECT source_id FROM content.context_items")} == {healthy, feed}
    # When the unhealthy source is run by hand, and succeeds
    clock.advance(timedelta(minutes=3))
    assert run(app, "content.scrape_website", source_id=sick)["status"] == "succeeded"
    # Then one success resets it
    assert _health(raw, sick) == ("healthy", 0, T0 + timedelta(minutes=3))


def test_a_transient_failure_retries_at_1_5_15_minutes_and_counts_one_failure_when_exhausted(
    app, worker, raw, remote, clock
):
    # Given a site answering 503 to everything
    remote.route("GET", "/down", Reply(status=503, body="unavailable"))
    source = make_source(raw, make_org(raw), f"{remote.url}/down")
    run_id = submit_job(app, "content.scrape_website", source_id=source)
    # When the clock follows the retries
    for attempt, minutes in ((1, 1), (2, 5), (3, 15)):
        # Then each retry is due exactly 1, 5 and 15 minutes after the failed attempt
        wait_until(
            lambda: (
                one(raw, "SELECT status, attempt FROM dramaturg.job_history WHERE id = %s", run_id)
                == ("retrying", attempt)
            ),
            timeout=20,
            message=f"attempt {attempt} failed and is retrying",
        )
        eta = wait_until(lambda: _queued_eta(raw), timeout=20, message="the retry is queued")
        assert eta == clock.now() + timedelta(minutes=minutes)
        assert _health(raw, source)[:2] == ("healthy", 0)  # an attempt is not a final failure
        clock.set(eta)
    # And after the fourth attempt the run failed, counting one failure for the source
    final = wait_for_run(app, run_id, timeout=20)
    assert final["status"] == "failed" and final["attempt"] == 4
    assert wait_until(lambda: _health(raw, source)[1] == 1 and _health(raw, source))[:2] == ("healthy", 1)
    assert len(remote.hits("GET", "/down")) == 4
    assert clock.now() - T0 == timedelta(minutes=21)


def _queued_eta(raw):
    found = one(raw, "SELECT eta FROM dramatiq.queue WHERE state = 'queued' AND queue_name = 'context-scraping'")
    return found[0] if found else None


FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Acme news</title><link>http://example.invalid/</link>
<item><guid>n-1</guid><title>One</title><link>http://example.invalid/1</link><description>First entry</description></item>
</channel></rss>"""
