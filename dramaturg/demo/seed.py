"""Demo data for the chat game: five players, their conversations, due messages, a stale event, registrations.

When: ``dramaturg up --demo`` calls :func:`seed` once, after migrating and
before any worker starts, with the demo timeline's first instant ``start``
(see :func:`demo_start`). Every time is relative to ``start`` so the jobs have
something to do within the first two real minutes at the demo's clock rate.

Idempotency key: players have fixed ids (upserted: a re-run resets them to
their starting state); conversations, messages, events and registrations are
keyed by (demo day, name), inserted with ON CONFLICT DO NOTHING. Re-running
``up --demo`` never duplicates a row; a later run plays a new demo day.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from actors.game.tables import conversation_messages, conversations, registrations, scheduled_events, users
from shared.tables import scheduler_state

NAMESPACE = uuid.UUID("6f1d3c2a-5b7e-4c1a-9d2e-8a4b0c6d7e10")
#: The demo day starts at 22:50 UTC: decay (:00), cleanup (:30) and the 23:59 summary all fall within two hours.
START_OF_DAY = time(22, 50, tzinfo=UTC)
H, M = timedelta(hours=1), timedelta(minutes=1)


@dataclass(frozen=True)
class Player:
    key: str
    name: str
    chapter: int
    score: str
    idle: timedelta  # how long before ``start`` they last talked
    phone: str | None = None

    @property
    def chat_id(self) -> str:
        return f"@{self.key}_demo"


CAST = (
    Player("ada", "Ada", 1, "62.00", 12 * H),  # 4 h past her 8 h grace: decays at 23:00 and 00:00
    Player("boris", "Boris", 3, "71.50", 2 * H),  # well within grace: only receives messages
    Player("cleo", "Cleo", 2, "1.20", 19 * H),  # decays to 0 at 23:00: game over, her message cancelled
    Player("dmitri", "Dmitri", 5, "88.00", 20 * M),  # idle conversation; chapter 5 answers at once
    Player("eve", "Eve", 2, "45.00", 10 * M, "+15550100005"),  # idle at 22:55, follow-up 1–3 min later, a call
)

# (key, player, minutes after start, platform, text): the stale one was due 30 h ago, while the app was down.
EVENTS = (
    ("morning", "boris", 1, "telegram", "Morning! Did you sleep well? I kept thinking about our chat."),
    ("quiet", "ada", 3, "telegram", "You've been quiet... I'm starting to think you forgot about me."),
    ("call", "eve", 8, "voice", "Hi Eve, it's Nikita. Call me back when you can."),
    ("still-there", "cleo", 15, "telegram", "Are you still there?"),
    ("promise", "boris", 45, "telegram", "Remember what you promised me yesterday?"),
    ("stale", "ada", -30 * 60, "telegram", "Good night! (never sent: the app was down)"),
)

CONVERSATIONS = {
    "dmitri": [
        ("user", "My name is Dmitri and I work as a pilot."),
        ("assistant", "A pilot! So you are the one who is never home."),
        ("user", "I love night flights over the sea."),
    ],
    "eve": [
        ("user", "I'm Eve. I like rainy days and old films."),
        ("assistant", "Then we should watch one together, at least in spirit."),
    ],
}

# (key, expires in minutes after start): one already expired, one expiring before the 23:30 cleanup.
REGISTRATIONS = (("expired", -120), ("expiring", 30))


def player_id(key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"player:{key}")


def day_id(start: datetime, kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{start.date().isoformat()}:{kind}:{key}")


def demo_start(session: Session, real_now: datetime) -> datetime:
    """The next 22:50 UTC after both a day ago and the latest scheduler watermark.

    A fresh database plays the most recent evening; a re-run plays the evening
    after the previous demo's timeline, so the scheduler's watermarks (which
    never move back) let its ticks fire.
    """
    mark = session.execute(sa.select(sa.func.max(scheduler_state.c.last_tick_at))).scalar()
    base = max(real_now - timedelta(days=1), mark or real_now - timedelta(days=1))
    candidate = datetime.combine(base.date(), START_OF_DAY)
    return candidate if candidate > base else candidate + timedelta(days=1)


def seed(session: Session, start: datetime, chat_id: str | None = None) -> dict[str, int]:
    """Insert the demo data for the day of ``start``; ``chat_id`` sends every message to one real chat."""
    for p in CAST:
        row = dict(
            id=player_id(p.key),
            chapter=p.chapter,
            score=p.score,
            game_status="active",
            last_interaction_at=start - p.idle,
            created_at=start - 7 * 24 * H,
            telegram_chat_id=chat_id or p.chat_id,
            phone=p.phone,
            timezone="UTC",
        )
        stmt = insert(users).values(**row)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"], set_={k: stmt.excluded[k] for k in row if k not in ("id", "created_at")}
            )
        )
    counts = {"players": len(CAST), "conversations": 0, "events": 0, "registrations": 0}
    for key, messages in CONVERSATIONS.items():
        player = next(p for p in CAST if p.key == key)
        conv_id = day_id(start, "conversation", key)
        new = session.execute(
            insert(conversations)
            .values(
                id=conv_id,
                user_id=player_id(key),
                status="active",
                last_message_at=start - player.idle,
                created_at=start - player.idle - 20 * M,
            )
            .on_conflict_do_nothing()
            .returning(conversations.c.id)
        ).first()
        if new is None:
            continue  # already seeded, messages included
        counts["conversations"] += 1
        for i, (role, text) in enumerate(messages):
            at = start - player.idle - (len(messages) - i) * M
            session.execute(
                conversation_messages.insert().values(conversation_id=conv_id, role=role, text=text, created_at=at)
            )
    for key, who, minutes, platform, text in EVENTS:
        at = start + minutes * M
        counts["events"] += cast(
            CursorResult[Any],
            session.execute(
                insert(scheduled_events)
                .values(
                    id=day_id(start, "event", key),
                    user_id=player_id(who),
                    platform=platform,
                    event_type="message_delivery",
                    content={"text": text},
                    scheduled_at=at,
                    created_at=min(at, start),
                    updated_at=min(at, start),
                )
                .on_conflict_do_nothing()
            ),
        ).rowcount
    for key, minutes in REGISTRATIONS:
        counts["registrations"] += cast(
            CursorResult[Any],
            session.execute(
                insert(registrations)
                .values(
                    id=day_id(start, "registration", key),
                    telegram_chat_id=f"@signup_{key}_demo",
                    code=key[:3].upper() + "123",
                    expires_at=start + minutes * M,
                    created_at=start - 3 * H,
                )
                .on_conflict_do_nothing()
            ),
        ).rowcount
    return counts


def names_by_chat() -> dict[str, str]:
    """Chat id or phone → player name, for readable delivery lines."""
    out = {p.chat_id: p.name for p in CAST}
    out.update({p.phone: p.name for p in CAST if p.phone})
    return out
