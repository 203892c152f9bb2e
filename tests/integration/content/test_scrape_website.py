"""scrape-website against a loopback site: extraction, robots.txt, dedupe by hash, limits, the SSRF guard."""

from __future__ import annotations

from tests.conftest import T0
from tests.integration.content.conftest import all_rows, make_org, make_source, one, run
from tests.integration.content.routes import html_page
from tests.support.http_sink import Reply

ROBOTS = Reply(body="User-agent: *\nDisallow: /private\n")


def _items(raw, source):
    return all_rows(
        raw, "SELECT key, title, body, content_hash FROM content.context_items WHERE source_id = %s", source
    )


def test_a_page_is_stored_once_with_its_main_text_and_an_unchanged_rerun_writes_nothing(app, worker, raw, remote):
    # Given a site whose robots.txt allows the page
    remote.route("GET", "/robots.txt", ROBOTS)
    remote.route("GET", "/blog/post", html_page("Launch day", "We shipped the thing."))
    source = make_source(raw, make_org(raw), f"{remote.url}/blog/post")
    # When it is scraped
    first = run(app, "content.scrape_website", source_id=source)
    # Then one item holds the article's text, without scripts, navigation or footer
    assert first["status"] == "succeeded", first["error"]
    [(key, title, body, _hash)] = _items(raw, source)
    assert (key, title, body) == (f"{remote.url}/blog/post", "Launch day", "Launch day We shipped the thing.")
    assert first["result"]["created"] == 1 and first["result"]["context_item_ids"] == [
        one(raw, "SELECT id FROM content.context_items WHERE source_id = %s", source)[0]
    ]
    # And the requests named the app's User-Agent, robots.txt first
    assert [r.path for r in remote.requests()] == ["/robots.txt", "/blog/post"]
    assert remote.requests()[1].headers["User-Agent"].startswith("dramaturg-content/")
    # And the source is healthy with its scrape time
    assert one(
        raw, "SELECT status, consecutive_failures, last_scraped_at FROM content.context_sources WHERE id = %s", source
    ) == (
        "healthy",
        0,
        T0,
    )
    # When it is scraped again, unchanged
    again = run(app, "content.scrape_website", source_id=source)
    # Then nothing is written
    assert (again["result"]["created"], again["result"]["updated"], again["result"]["unchanged"]) == (0, 0, 1)
    assert len(_items(raw, source)) == 1
    # And a changed page updates its one item
    remote.route("GET", "/blog/post", html_page("Launch day", "We shipped the thing, and more."))
    changed = run(app, "content.scrape_website", source_id=source)
    assert changed["result"]["updated"] == 1 and len(_items(raw, source)) == 1
    assert _items(raw, source)[0][2].endswith("and more.")


def test_a_path_robots_txt_disallows_fails_at_once_and_the_page_is_not_fetched(app, worker, raw, remote):
    remote.route("GET", "/robots.txt", ROBOTS)
    remote.route("GET", "/private/page", html_page("Secret", "Not for robots."))
    source = make_source(raw, make_org(raw), f"{remote.url}/private/page")
    result = run(app, "content.scrape_website", source_id=source)
    assert result["status"] == "failed" and "robots.txt" in result["error"] and result["attempt"] == 1
    assert remote.hits("GET", "/private/page") == [] and _items(raw, source) == []


def test_a_missing_robots_txt_allows_everything(app, worker, raw, remote):
    remote.route("GET", "/page", html_page("Open", "Anyone may read this."))
    source = make_source(raw, make_org(raw), f"{remote.url}/page")
    assert run(app, "content.scrape_website", source_id=source)["status"] == "succeeded"
    assert len(_items(raw, source)) == 1


def test_a_wrong_content_type_and_an_oversized_body_fail_at_once_with_the_reason(app, worker, raw, remote):
    remote.route("GET", "/image", Reply(body=b"\x89PNG....", headers={"Content-Type": "image/png"}))
    remote.route("GET", "/huge", Reply(body="<html>" + "x" * 6_000_000, headers={"Content-Type": "text/html"}))
    org = make_org(raw)
    image = run(app, "content.scrape_website", source_id=make_source(raw, org, f"{remote.url}/image"))
    huge = run(app, "content.scrape_website", source_id=make_source(raw, org, f"{remote.url}/huge"))
    assert image["status"] == "failed" and "content type 'image/png'" in image["error"]
    assert huge["status"] == "failed" and "byte cap" in huge["error"]
    assert image["attempt"] == huge["attempt"] == 1


def test_a_source_of_another_kind_is_a_payload_error(app, worker, raw, remote):
    source = make_source(raw, make_org(raw), f"{remote.url}/feed.xml", kind="rss")
    result = run(app, "content.scrape_website", source_id=source)
    assert result["status"] == "failed" and "is a rss source" in result["error"] and remote.requests() == []
