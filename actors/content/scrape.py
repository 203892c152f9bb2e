"""scrape-sources: every 6 hours (``0 */6 * * *``), one child per healthy website and feed source.

Unhealthy sources are left out (actors/content/sources.py); a child sent by hand
or through ``POST /api/jobs`` still runs one. Period: the hour, so a child's id
(job, source, hour) makes a rerun of the same tick enqueue nothing twice.
Override with ``DRAMATURG_JOB_SCRAPE_SOURCES_SCHEDULE``.
"""

from __future__ import annotations

from typing import Any

from actors.content import sources
from actors.content.config import ContentConfig
from actors.content.rss import sync_rss
from actors.content.website import scrape_website
from shared.actors import JobContext, cron_job
from shared.sql import sa_text


@cron_job(
    "scrape-sources",
    schedule="0 */6 * * *",
    actor_name="content.scrape_sources",
    period="hour",
    catch_up="latest",
    description="scrape every healthy website and RSS source (one child each)",
    config=ContentConfig,
)
def scrape_sources(ctx: JobContext) -> dict[str, Any]:
    query = sa_text(sources.SQL, "sources_due")
    page = ctx.config.fanout_page
    websites = ctx.fan_out(
        scrape_website,
        ((f"website-{i}", {"source_id": i}) for i in ctx.pages(query, {"kind": "website"}, page_size=page)),
    )
    feeds = ctx.fan_out(
        sync_rss, ((f"rss-{i}", {"source_id": i}) for i in ctx.pages(query, {"kind": "rss"}, page_size=page))
    )
    return {"items_processed": websites + feeds, "websites": websites, "feeds": feeds}
