"""The scheduled_events outbox transitions used by the deliver job's child (actors/game/deliver.py).

Each transition is its own committed transaction: 'sending' must be durable
before the HTTP call, and outcomes must survive the child re-raising for a
retry. Transitions are guarded by the expected current state, so a stale
writer changes nothing. Idempotency key: the event id and its state.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.app import App
from shared.db import retry_through_outage
from shared.redact import redact
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session, sessionmaker

Q = SqlFile(__package__, "outbox")


def write(app: App, name: str, **params: Any) -> None:
    """One state write in its own committed transaction (the child's session would roll back on raise).

    It waits out a database restart: after the HTTP call the outcome is known, and
    dropping it would leave the event 'sending' and turn a delivered message 'unknown'.
    """

    if params.get("error"):  # an outbox row is written text too: through the one redaction
        params["error"] = redact(params["error"], app.settings.secrets)

    def commit() -> None:
        with app.sessions.begin() as session:
            session.execute(sa_text(Q, name), params)

    retry_through_outage(commit, what=f"recording {name} for event {params.get('id')}")


def mark_exhausted(session: Session, payload: dict[str, Any], error: str, now: datetime) -> None:
    """on_exhausted hook: the message failed for good; settle an event it left pending or sending."""
    session.execute(sa_text(Q, "deliver_event_exhausted"), {"id": payload["event_id"], "error": error, "now": now})


def recipient(event: sa.Row[Any]) -> tuple[str | None, str | None]:
    """(chat id or phone, text): the event's content first, else the player's own; ``response_text`` too."""
    content = event.content or {}
    text = content.get("text") or content.get("response_text")
    if event.platform == "voice":
        return content.get("phone") or event.phone, text
    return content.get("chat_id") or event.telegram_chat_id, text


def claim(
    sessions: sessionmaker[Session], event_id: UUID, now: datetime
) -> tuple[str, sa.Row[Any] | None, str | None, str | None]:
    """Lock the event and decide; 'send' means it is now committed as 'sending'."""
    with sessions.begin() as session:
        event = session.execute(sa_text(Q, "deliver_event_lock"), {"id": event_id}).one_or_none()
        if event is None:
            return "skipped", None, None, None  # deleted (with its user) since the claim

        def move(status: str, error: str | None) -> None:
            session.execute(
                sa_text(Q, "deliver_event_set"),
                {"id": event_id, "status": status, "error": error, "now": now, "expect": event.status},
            )

        if event.status == "sending":
            move("unknown", "an earlier attempt was interrupted after sending began; not re-sent")
            return "unknown", event, None, None
        if event.status != "pending":
            return "skipped", event, None, None
        if event.game_status == "game_over":
            move("cancelled", "cancelled: the player's game is over")
            return "cancelled", event, None, None
        to, text = recipient(event)
        if not to or not text:
            move("failed", f"no {'phone' if event.platform == 'voice' else 'chat id'} or text to deliver")
            return "failed", event, None, None
        move("sending", None)
    return "send", event, to, text
