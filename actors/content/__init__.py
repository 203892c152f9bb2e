"""The content platform (spec 002): generation, website and RSS scraping, documents, analytics, tokens,
publishing and images, on the queues content-generation, context-scraping, analytics-sync and content-support.

Its modules import requests, feedparser, BeautifulSoup, pypdf and cryptography inside the functions that use
them: every CLI verb that lists the jobs imports these modules, and only a worker's runs call those functions.
The check below still fails at once when the [content] extra is missing.

Their tables (``tables``) are imported by the migrations, not here: declaring the jobs needs no SQLAlchemy.
"""

import importlib.util

_NEEDED = {"feedparser": "feedparser", "bs4": "beautifulsoup4", "pypdf": "pypdf", "cryptography": "cryptography"}
_missing = [package for module, package in _NEEDED.items() if importlib.util.find_spec(module) is None]
if _missing:
    raise ImportError(
        f"the content app needs the [content] extra: pip install 'dramaturg[content]' (missing: {', '.join(_missing)})"
    )

from actors.content import (  # noqa: E402, F401
    analytics,
    documents,
    generate,
    image,
    publish,
    queues,
    refresh,
    rss,
    scrape,
    website,
)
