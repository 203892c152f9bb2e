"""sync-rss: a feed source → one context_item per entry, keyed by its guid (else its link).

The feed is fetched through the guarded GET with a conditional request: the
ETag and Last-Modified of the last fetch go out as If-None-Match /
If-Modified-Since, and a 304 stores nothing. The body is parsed by
feedparser; an entry already stored with the same content writes nothing, so a
rerun adds nothing new. Idempotency key: the (source, guid) unique item.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from actors.content import extract, fetch, sources
from actors.content.config import RETRY_DELAYS, ContentConfig
from shared.actors import ItemContext, item_actor
from shared.errors import ChannelRejected
from shared.queues import CONTEXT_SCRAPING

if TYPE_CHECKING:
    import feedparser

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
    "application/feed+json",
)


class SyncRss(BaseModel):
    source_id: int


def _entry_text(entry: feedparser.FeedParserDict) -> str:
    if entry.get("content"):
        raw = " ".join(part.get("value", "") for part in entry.content)
    else:
        raw = entry.get("summary", "") or entry.get("description", "")
    return extract.html(raw).text if raw else ""


@item_actor(
    "content.sync_rss",
    queue=CONTEXT_SCRAPING,
    payload=SyncRss,
    on_exhausted=sources.failed_for_good,
    config=ContentConfig,
    retry_delays=RETRY_DELAYS,
)
def sync_rss(ctx: ItemContext, payload: SyncRss) -> dict[str, Any]:
    import feedparser
    import requests

    source = sources.load(ctx.session, payload.source_id, "rss")
    if source is None:
        return {"items_processed": 0, "skipped": "the source was deleted"}
    conditional = {}
    if source.etag:
        conditional["If-None-Match"] = source.etag
    if source.last_modified:
        conditional["If-Modified-Since"] = source.last_modified
    with requests.Session() as http:
        got = fetch.get(http, source.url, ctx.config, accept=FEED_TYPES, headers=conditional)
    stored = sources.Stored()
    if got.status == 304:
        sources.succeeded(ctx.session, source.id, ctx.now)
        return stored.result(source_id=source.id, not_modified=True)
    feed = feedparser.parse(got.body)
    if feed.bozo and not feed.entries:
        raise ChannelRejected(f"{source.url}: not a feed: {feed.get('bozo_exception')}")
    skipped = 0
    for entry in feed.entries:
        key = entry.get("id") or entry.get("link")
        if not key:
            skipped += 1  # an entry with neither guid nor link cannot be deduplicated
            continue
        sources.store(
            ctx.session,
            stored,
            source_id=source.id,
            key=key,
            url=entry.get("link"),
            title=entry.get("title"),
            body=_entry_text(entry) or entry.get("title", ""),
            now=ctx.now,
        )
    sources.succeeded(
        ctx.session, source.id, ctx.now, etag=got.headers.get("ETag"), last_modified=got.headers.get("Last-Modified")
    )
    return stored.result(source_id=source.id, entries=len(feed.entries), without_key=skipped)
