"""Main text out of HTML (BeautifulSoup), PDF (pypdf), Markdown and plain text.

HTML: scripts, styles, navigation, headers, footers and asides are dropped;
the text of ``<article>``, else ``<main>``, else ``<body>`` is kept, with its
whitespace collapsed. The title is ``<title>`` (else the first ``<h1>``).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

NOISE = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "svg")
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def html(body: bytes | str) -> Extracted:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    title_tag = soup.find("title") or soup.find("h1")
    title = _collapse(title_tag.get_text()) if title_tag else None
    for tag in soup.find_all(NOISE):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    return Extracted(title or None, _collapse(root.get_text(" ")))


def pdf(body: bytes) -> Extracted:
    from pypdf import PdfReader  # the [content] extra

    reader = PdfReader(io.BytesIO(body))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    meta_title = reader.metadata.title if reader.metadata else None
    return Extracted(str(meta_title) if meta_title else None, _collapse(text))


def markdown(body: str) -> Extracted:
    heading = re.search(r"^#\s+(.+)$", body, re.MULTILINE)
    return Extracted(heading.group(1).strip() if heading else None, body.strip())


def plain(body: str) -> Extracted:
    first = next((line.strip() for line in body.splitlines() if line.strip()), None)
    return Extracted(first[:200] if first else None, body.strip())
