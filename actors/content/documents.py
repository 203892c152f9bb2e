"""process-document: a document source (by URL, or a stored file) → one context_item with its text.

PDF (pypdf), HTML (BeautifulSoup), plain text and Markdown. A URL is fetched
through the guarded GET and typed by its Content-Type; a stored file is named
``file:<path>`` relative to ``CONTENT_DOCUMENT_DIR`` (never outside it) and typed
by its extension. Any other type fails at once with the reason (retrying
cannot change a document's type). Idempotency key: the (source, URL) unique item.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from actors.content import extract, fetch, sources
from actors.content.config import RETRY_DELAYS, ContentConfig
from shared.actors import ItemContext, item_actor
from shared.errors import ChannelRejected
from shared.queues import CONTENT_SUPPORT


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


#: Media type → extractor; the extensions of stored files map onto the same types.
EXTRACTORS: dict[str, Callable[[bytes], extract.Extracted]] = {
    "application/pdf": extract.pdf,
    "text/html": extract.html,
    "application/xhtml+xml": extract.html,
    "text/plain": lambda body: extract.plain(_text(body)),
    "text/markdown": lambda body: extract.markdown(_text(body)),
    "text/x-markdown": lambda body: extract.markdown(_text(body)),
}
EXTENSIONS = {
    ".pdf": "application/pdf",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
}


class ProcessDocument(BaseModel):
    source_id: int


def _stored_file(location: str, config: ContentConfig) -> tuple[str, bytes]:
    if not config.document_dir:
        raise ChannelRejected(f"{location}: stored documents need CONTENT_DOCUMENT_DIR")
    root = Path(config.document_dir).resolve()
    path = (root / location.removeprefix("file:").lstrip("/")).resolve()
    if not path.is_relative_to(root):
        raise ChannelRejected(f"{location}: outside CONTENT_DOCUMENT_DIR")
    if not path.is_file():
        raise ChannelRejected(f"{location}: no such stored document")
    if path.stat().st_size > config.max_bytes:
        raise ChannelRejected(f"{location}: over the {config.max_bytes}-byte cap")
    media = EXTENSIONS.get(path.suffix.lower())
    if media is None:
        raise ChannelRejected(f"{location}: unsupported document type {path.suffix or '(no extension)'!r}")
    return media, path.read_bytes()


@item_actor(
    "content.process_document",
    queue=CONTENT_SUPPORT,
    payload=ProcessDocument,
    on_exhausted=sources.failed_for_good,
    config=ContentConfig,
    retry_delays=RETRY_DELAYS,
)
def process_document(ctx: ItemContext, payload: ProcessDocument) -> dict[str, Any]:
    import requests

    source = sources.load(ctx.session, payload.source_id, "document")
    if source is None:
        return {"items_processed": 0, "skipped": "the source was deleted"}
    if source.url.startswith("file:"):
        media, body = _stored_file(source.url, ctx.config)
    else:
        with requests.Session() as http:
            got = fetch.get(http, source.url, ctx.config, accept=tuple(EXTRACTORS))
        media, body = got.content_type, got.body
    try:
        text = EXTRACTORS[media](body)
    except Exception as exc:  # a corrupt PDF: the same bytes fail the same way on a retry
        raise ChannelRejected(f"{source.url}: cannot read the {media} document: {type(exc).__name__}: {exc}") from None
    if not text.text:
        raise ChannelRejected(f"{source.url}: the document has no text")
    return sources.store_page(
        ctx.session,
        source.id,
        key=source.url,
        url=source.url,
        title=text.title,
        body=text.text,
        now=ctx.now,
        media_type=media,
    )
