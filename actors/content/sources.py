"""Context sources: the lookup every source child starts with, their health, and their stored items.

Health: a child that fails for good (its last retry, or an error not retried)
counts one failure through its ``on_exhausted`` hook — never one per attempt;
``CONTENT_UNHEALTHY_AFTER`` (5) in a row make the source ``unhealthy``, which the
scheduled scrape skips (a run sent by hand or through the job API still runs
it). One success resets the count to 0 and the status to healthy, and sets
``last_scraped_at``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from actors.content.config import ContentConfig
from shared.errors import PayloadError
from shared.middleware.app_context import AppContext
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SQL = SqlFile(__package__, "sources")


@dataclass
class Stored:
    """What storing a run's items did; the child's job_history result."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0

    def result(self, **extra: Any) -> dict[str, Any]:
        return {
            "items_processed": len(self.created) + len(self.updated),
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "context_item_ids": sorted(self.created + self.updated),
            **extra,
        }


def load(session: Session, source_id: int, kind: str) -> Any:
    """The source row, or None if it was deleted.

    Raises:
        PayloadError: the source is of another kind (a website given to the feed sync …).
    """
    source = session.execute(sa_text(SQL, "source_get"), {"id": source_id}).one_or_none()
    if source is not None and source.kind != kind:
        raise PayloadError(f"context source {source_id} is a {source.kind} source, not a {kind} one")
    return source


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def store(
    session: Session,
    stored: Stored,
    *,
    source_id: int,
    key: str,
    url: str | None,
    title: str | None,
    body: str,
    now: datetime,
) -> None:
    """Insert or update one context item; unchanged content (same hash) is skipped."""
    row = session.execute(
        sa_text(SQL, "context_item_upsert"),
        {
            "source_id": source_id,
            "key": key,
            "url": url,
            "title": title,
            "body": body,
            "hash": content_hash(body),
            "now": now,
        },
    ).one_or_none()
    if row is None:
        stored.unchanged += 1
    elif row.created:
        stored.created.append(row.id)
    else:
        stored.updated.append(row.id)


def store_page(
    session: Session,
    source_id: int,
    *,
    key: str,
    url: str,
    title: str | None,
    body: str,
    now: datetime,
    **extra: Any,
) -> dict[str, Any]:
    """A single-page source (a website, a document): its one context item under ``key`` (the
    source's URL), and the source marked healthy. Returns the run's result."""
    stored = Stored()
    store(session, stored, source_id=source_id, key=key, url=url, title=title, body=body, now=now)
    succeeded(session, source_id, now)
    return stored.result(source_id=source_id, **extra)


def succeeded(
    session: Session, source_id: int, now: datetime, *, etag: str | None = None, last_modified: str | None = None
) -> None:
    session.execute(
        sa_text(SQL, "source_succeeded"),
        {"id": source_id, "now": now, "etag": etag, "last_modified": last_modified},
    )


def failed_for_good(session: Session, payload: dict[str, Any], error: str, now: datetime) -> None:
    """on_exhausted hook of every source child: one failure in a row more, unhealthy at the threshold."""
    threshold = AppContext.current().config(ContentConfig).unhealthy_after
    session.execute(
        sa_text(SQL, "source_failed"), {"id": payload["source_id"], "threshold": threshold, "error": error[:2000]}
    )
