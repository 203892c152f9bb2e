"""Schedule a follow-up message to a player, and cancel one that has not gone out yet.

Called by the chat handler and by process-conversations' last stage, inside
the caller's transaction (so the event exists iff the caller's work commits).
The delay depends on the player's chapter: chapter 1 makes them wait 2–5
minutes, chapter 5 answers at once (ranges in GAME_RESPONSE_DELAY_MIN/MAX).
The deliver job sends the event when it is due. Idempotency is the
caller's: e.g. process-conversations records its "response_scheduled" stage
in the same transaction, so a conversation gets one follow-up.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from actors.game.config import GameConfig
from shared.errors import PayloadError
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult
    from sqlalchemy.orm import Session

SQL = SqlFile(__package__, "responses")


def response_delay(chapter: int, cfg: GameConfig, rng: random.Random | None = None) -> timedelta:
    """A random delay within the chapter's configured range (whole seconds)."""
    if not 1 <= chapter <= 5:
        raise ValueError(f"chapter must be 1..5, not {chapter}")
    lo, hi = cfg.delay_min_minutes[chapter - 1] * 60, cfg.delay_max_minutes[chapter - 1] * 60
    return timedelta(seconds=round((rng or random).uniform(lo, max(lo, hi))))


def schedule_response(
    session: Session,
    user_id: UUID | str,
    text: str,
    *,
    now: datetime,
    cfg: GameConfig,
    chat_id: str | int | None = None,
    source_conversation_id: UUID | str | None = None,
    rng: random.Random | None = None,
) -> UUID:
    """Create a pending telegram event carrying ``{"chat_id", "text"}``; return its id.

    Raises:
        PayloadError: the user does not exist.
    """
    user = session.execute(sa_text(SQL, "response_user"), {"user_id": user_id}).one_or_none()
    if user is None:
        raise PayloadError(f"user {user_id} does not exist")
    content = {"chat_id": chat_id if chat_id is not None else user.telegram_chat_id, "text": text}
    return cast(
        UUID,
        session.execute(
            sa_text(SQL, "response_insert"),
            {
                "user_id": user_id,
                "content": json.dumps(content),
                "scheduled_at": now + response_delay(user.chapter, cfg, rng),
                "source_conversation_id": source_conversation_id,
                "now": now,
            },
        ).scalar_one(),
    )


def cancel_event(session: Session, event_id: UUID | str, *, now: datetime) -> bool:
    """Cancel a pending event; False when it is already sending, sent, failed or gone."""
    return (
        cast("CursorResult[Any]", session.execute(sa_text(SQL, "event_cancel"), {"id": event_id, "now": now})).rowcount
        == 1
    )
