"""scrape-website: one page of a website source → one context_item, robots.txt honoured.

The page is fetched through the guarded GET (actors/content/fetch.py: SSRF
guard, redirects checked hop by hop, timeouts, size cap, HTML only, the
User-Agent), after the site's ``/robots.txt`` allows that User-Agent the path
(a missing robots.txt allows everything; a 5xx one is retried). Its main text is
stored under the page's URL; unchanged text (same hash) writes nothing.
Idempotency key: the (source, URL) unique item and its hash — a rerun stores nothing twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel

from actors.content import extract, fetch, sources
from actors.content.config import RETRY_DELAYS, ContentConfig
from shared.actors import ItemContext, item_actor
from shared.errors import ChannelRejected
from shared.queues import CONTEXT_SCRAPING

if TYPE_CHECKING:
    import requests


class ScrapeWebsite(BaseModel):
    source_id: int


def robots_allow(session: requests.Session, url: str, config: ContentConfig) -> bool:
    parts = urlsplit(url)
    robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
    try:
        got = fetch.get(session, robots_url, config, accept=None)
    except ChannelRejected as exc:
        if "HTTP 4" in str(exc):  # no robots.txt (or not ours to read): everything is allowed
            return True
        raise
    from urllib import robotparser  # imports urllib.request (~20 ms): only a scrape needs it

    parser = robotparser.RobotFileParser()
    parser.parse(got.body.decode("utf-8", "replace").splitlines())
    return parser.can_fetch(config.user_agent, url)


@item_actor(
    "content.scrape_website",
    queue=CONTEXT_SCRAPING,
    payload=ScrapeWebsite,
    on_exhausted=sources.failed_for_good,
    config=ContentConfig,
    retry_delays=RETRY_DELAYS,
)
def scrape_website(ctx: ItemContext, payload: ScrapeWebsite) -> dict[str, Any]:
    import requests

    source = sources.load(ctx.session, payload.source_id, "website")
    if source is None:
        return {"items_processed": 0, "skipped": "the source was deleted"}
    config: ContentConfig = ctx.config
    with requests.Session() as http:
        if not robots_allow(http, source.url, config):
            raise ChannelRejected(f"robots.txt of {urlsplit(source.url).netloc} disallows {source.url}")
        page = fetch.get(http, source.url, config, accept=extract.HTML_TYPES)
    text = extract.html(page.body)
    if not text.text:
        raise ChannelRejected(f"{source.url}: no text to extract")
    return sources.store_page(
        ctx.session, source.id, key=source.url, url=page.url, title=text.title, body=text.text, now=ctx.now
    )
