"""sync-rss against a loopback feed: one item per entry by guid (or link), reruns add nothing, conditional GET."""

from __future__ import annotations

from tests.integration.content.conftest import all_rows, make_org, make_source, one, run
from tests.support.http_sink import Recorded, Reply


def _feed(*entries: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Acme news</title>'
        "<link>http://example.invalid/</link>" + "".join(entries) + "</channel></rss>"
    )


ENTRY_1 = "<item><guid>n-1</guid><title>One</title><link>http://example.invalid/1</link><description>&lt;p&gt;First &lt;b&gt;entry&lt;/b&gt;&lt;/p&gt;</description></item>"
ENTRY_2 = "<item><title>Two</title><link>http://example.invalid/2</link><description>Second entry</description></item>"
ENTRY_3 = "<item><guid>n-3</guid><title>Three</title><description>Third entry</description></item>"


class Feed:
    """A feed with an ETag and Last-Modified that answers 304 to a matching conditional GET."""

    def __init__(self, body: str, etag: str) -> None:
        self.body, self.etag = body, etag

    def __call__(self, rec: Recorded) -> Reply:
        if rec.headers.get("If-None-Match") == self.etag:
            return Reply(status=304)
        return Reply(
            body=self.body,
            headers={
                "Content-Type": "application/rss+xml",
                "ETag": self.etag,
                "Last-Modified": "Thu, 05 Mar 2026 09:00:00 GMT",
            },
        )


def test_entries_are_stored_by_guid_or_link_and_a_rerun_is_a_conditional_get_that_adds_nothing(
    app, worker, raw, remote
):
    # Given a feed of two entries, one without a guid
    feed = Feed(_feed(ENTRY_1, ENTRY_2), '"v1"')
    remote.route("GET", "/feed.xml", feed)
    source = make_source(raw, make_org(raw), f"{remote.url}/feed.xml", kind="rss")
    # When it is synced
    first = run(app, "content.sync_rss", source_id=source)
    # Then each entry is one item, keyed by its guid, else its link, with its text
    assert first["status"] == "succeeded", first["error"]
    items = all_rows(
        raw, "SELECT key, title, body FROM content.context_items WHERE source_id = %s ORDER BY key", source
    )
    assert items == [("http://example.invalid/2", "Two", "Second entry"), ("n-1", "One", "First entry")]
    assert first["result"]["created"] == 2 and len(first["result"]["context_item_ids"]) == 2
    # And the feed's validators are kept
    assert one(raw, "SELECT etag, last_modified FROM content.context_sources WHERE id = %s", source) == (
        '"v1"',
        "Thu, 05 Mar 2026 09:00:00 GMT",
    )
    # When it is synced again
    again = run(app, "content.sync_rss", source_id=source)
    # Then the request was conditional, answered 304, and nothing was added
    last = remote.hits("GET", "/feed.xml")[-1]
    assert last.headers["If-None-Match"] == '"v1"' and last.headers["If-Modified-Since"].startswith("Thu, 05 Mar")
    assert again["result"]["not_modified"] is True and again["result"]["created"] == 0
    # When the feed gains an entry (new ETag) while keeping the old ones
    feed.body, feed.etag = _feed(ENTRY_1, ENTRY_2, ENTRY_3), '"v2"'
    third = run(app, "content.sync_rss", source_id=source)
    # Then only the new entry is added
    assert (third["result"]["created"], third["result"]["unchanged"]) == (1, 2)
    assert one(raw, "SELECT count(*) FROM content.context_items WHERE source_id = %s", source)[0] == 3


def test_a_body_that_is_not_a_feed_fails_at_once(app, worker, raw, remote):
    remote.route("GET", "/feed.xml", Reply(body="<html>nope", headers={"Content-Type": "text/xml"}))
    source = make_source(raw, make_org(raw), f"{remote.url}/feed.xml", kind="rss")
    result = run(app, "content.sync_rss", source_id=source)
    assert result["status"] == "failed" and "not a feed" in result["error"] and result["attempt"] == 1
