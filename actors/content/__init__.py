"""The content platform (spec 002): generation, website and RSS scraping, documents, analytics, tokens,
publishing and images, on the queues content-generation, context-scraping, analytics-sync and content-support."""

from actors.content import (  # noqa: F401
    analytics,
    documents,
    generate,
    image,
    publish,
    refresh,
    rss,
    scrape,
    tables,
    website,
)
