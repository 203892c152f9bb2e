"""summary: one daily recap per player and UTC day, written by Claude or, offline, from a template.

When: ``59 23 * * *`` (period "day", catch-up "all": a missed day still gets
its recap, for its own date). The cron run fans out one ``game.summary.item``
child per player still in the game without a finished summary for the tick's
UTC date. Idempotency key: (user_id, summary_date), the table's unique key.

The child first reserves the row (score_start/score_end from that day's
score_history, conversation count) in its own committed transaction, then
locks it, calls the model (shared/llm.py) and fills the text. A finished row
is never rewritten; a crash after the model call costs at most one more call.
Model errors (unreachable, 429, 5xx) are ChannelTransient and retry at 1, 2, 4 min.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel

from actors.game.config import GameConfig
from shared import llm
from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.queues import GAME
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    import sqlalchemy as sa

Q = SqlFile(__package__, "summary")
SYSTEM = (
    "You are Nikita, the character of a chat game. Write a short, warm, slightly teasing recap "
    "of the player's day with you, in your own voice, in at most four sentences."
)


class SummaryUser(BaseModel):
    user_id: UUID
    day: date


def template_recap(day: date, conversations: int, score_start: Decimal, score_end: Decimal) -> str:
    """The deterministic recap used when no model is configured."""
    trend = "went up" if score_end > score_start else "went down" if score_end < score_start else "held steady"
    talks = "no conversations" if conversations == 0 else f"{conversations} conversation{'s' * (conversations != 1)}"
    return f"Recap for {day.isoformat()}: {talks} with me. Your score {trend} ({score_start} → {score_end})."


def _prompt(day: date, stats: sa.Row[Any], summaries: list[str]) -> str:
    lines = [
        f"Date: {day.isoformat()}",
        f"Chapter: {stats.chapter}",
        f"Score: {stats.score_start} at the start of the day, {stats.score_end} at the end",
        f"Conversations: {stats.conversations_count}",
    ]
    lines += [f"- {s}" for s in summaries]
    return "\n".join(lines)


@item_actor("game.summary.item", queue=GAME, payload=SummaryUser, config=GameConfig)
def summarise_user(ctx: ItemContext, payload: SummaryUser) -> dict[str, Any]:
    start = datetime.combine(payload.day, time.min, tzinfo=UTC)
    span = {"user_id": payload.user_id, "day": payload.day, "day_start": start, "day_end": start + timedelta(days=1)}
    with ctx.app.sessions.begin() as session:
        stats = session.execute(sa_text(Q, "summary_day_stats"), span).one_or_none()
        if stats is None:
            return {"items_processed": 0, "skipped": "user gone"}
        session.execute(
            sa_text(Q, "summary_reserve"),
            {
                **span,
                "score_start": stats.score_start,
                "score_end": stats.score_end,
                "conversations_count": stats.conversations_count,
                "now": ctx.now,
            },
        )
    # The row lock makes a concurrent duplicate wait, then see the finished text.
    row = ctx.session.execute(sa_text(Q, "summary_lock"), span).one()
    if row.text is not None:
        return {"items_processed": 0, "skipped": "already summarised"}
    summaries = list(ctx.session.execute(sa_text(Q, "summary_day_conversations"), span).scalars())
    text = llm.complete(ctx.app.settings, system=SYSTEM, prompt=_prompt(payload.day, stats, summaries))
    generated_by = "model" if text else "template"
    text = text or template_recap(payload.day, row.conversations_count, row.score_start, row.score_end)
    ctx.session.execute(sa_text(Q, "summary_fill"), {"id": row.id, "text": text, "generated_by": generated_by})
    return {"items_processed": 1, "generated_by": generated_by}


def _due(ctx: JobContext, day: date) -> Iterator[Any]:
    return ctx.pages(sa_text(Q, "summary_users_due"), {"day": day}, page_size=ctx.config.fanout_page)


@cron_job(
    "summary",
    schedule="59 23 * * *",
    actor_name="game.summary",
    period="day",
    catch_up="all",
    description="write each player's daily recap (model, or template offline)",
    config=GameConfig,
)
def summary(ctx: JobContext) -> int:
    day = ctx.now.astimezone(UTC).date()
    return ctx.fan_out(
        summarise_user, ((str(uid), {"user_id": str(uid), "day": day.isoformat()}) for uid in _due(ctx, day))
    )
