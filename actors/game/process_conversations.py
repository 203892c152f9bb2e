"""process-conversations: the post-processing pipeline for conversations that went idle.

When: ``*/5 * * * *`` (period "minute"). The cron run fans out one
``game.conversation.item`` child per conversation idle for GAME_CONVERSATION_IDLE_MINUTES
(default 15, measured from last_message_at) and not yet processed.

The child runs five stages in order — close, summarise, extract facts, update
the player's stats, schedule the follow-up message. Each stage runs in its own
transaction under the conversation's row lock and records itself in
``conversations.processing_stage`` in that same transaction. Idempotency key:
(conversation, stage): a retry (or a duplicate child from a later tick) skips
finished stages and resumes at the one that failed. The run's result lists the
stages it did and the ones it found done.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel

from actors.game.config import GameConfig
from actors.game.responses import schedule_response
from shared import llm
from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.queues import GAME
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

Q = SqlFile(__package__, "process_conversations")
STAGES = ("closed", "summarised", "facts_extracted", "stats_updated", "response_scheduled")
SYSTEM = "Summarise this chat between a player and Nikita in two sentences, for Nikita's memory."
_FACT = re.compile(r"\b(?:my name is|i am|i'm|i like|i love|i work as)\s+([^.,!?\n]{1,60})", re.IGNORECASE)


class ConversationItem(BaseModel):
    conversation_id: UUID


def _messages(session: Session, conv: sa.Row[Any]) -> list[sa.Row[Any]]:
    return list(session.execute(sa_text(Q, "conversation_messages"), {"id": conv.id}).all())


def _summarise(ctx: ItemContext, session: Session, conv: sa.Row[Any]) -> None:
    messages = _messages(session, conv)
    transcript = "\n".join(f"{m.role}: {m.text}" for m in messages)
    text = llm.complete(ctx.app.settings, system=SYSTEM, prompt=transcript or "(no messages)", max_tokens=200)
    if text is None:  # offline: a deterministic summary
        last = next((m.text for m in reversed(messages) if m.role == "user"), "")
        text = f"{len(messages)} messages. The player last said: {last[:200]}"
    session.execute(sa_text(Q, "conversation_summary_set"), {"id": conv.id, "summary": text})


def extract_facts(messages: list[tuple[str, str]]) -> dict[str, Any]:
    """Facts the player stated about themselves (simple patterns), plus counts."""
    user_lines = [text for role, text in messages if role == "user"]
    facts = [m.group(0).strip() for line in user_lines for m in _FACT.finditer(line)]
    return {"messages": len(messages), "user_messages": len(user_lines), "statements": facts[:20]}


def _facts(ctx: ItemContext, session: Session, conv: sa.Row[Any]) -> None:
    facts = extract_facts([(m.role, m.text) for m in _messages(session, conv)])
    session.execute(sa_text(Q, "conversation_facts_set"), {"id": conv.id, "facts": json.dumps(facts)})


def _stats(ctx: ItemContext, session: Session, conv: sa.Row[Any]) -> None:
    if conv.last_message_at is not None:
        session.execute(sa_text(Q, "conversation_user_touch"), {"user_id": conv.user_id, "at": conv.last_message_at})


def _follow_up(ctx: ItemContext, session: Session, conv: sa.Row[Any]) -> None:
    status = session.execute(sa_text(Q, "conversation_user_status"), {"user_id": conv.user_id}).scalar()
    if status in ("active", "boss_fight"):  # no follow-up once the game has ended
        text = "Still thinking about what you told me earlier... you're not getting rid of me that easily."
        schedule_response(session, conv.user_id, text, now=ctx.now, cfg=ctx.config, source_conversation_id=conv.id)


_WORK = {
    "closed": lambda ctx, s, c: None,
    "summarised": _summarise,
    "facts_extracted": _facts,
    "stats_updated": _stats,
    "response_scheduled": _follow_up,
}


@item_actor("game.conversation.item", queue=GAME, payload=ConversationItem, config=GameConfig)
def process_conversation(ctx: ItemContext, payload: ConversationItem) -> dict[str, Any]:
    done: list[str] = []
    found_done: list[str] = []
    for index, stage in enumerate(STAGES):
        with ctx.app.sessions.begin() as session:
            conv = session.execute(sa_text(Q, "conversation_lock"), {"id": payload.conversation_id}).one_or_none()
            if conv is None:
                return {"items_processed": 0, "skipped": "conversation gone", "stages_done": done}
            finished = STAGES.index(conv.processing_stage) if conv.processing_stage in STAGES else -1
            if finished >= index:
                found_done.append(stage)
                continue
            _WORK[stage](ctx, session, conv)
            status = "processed" if stage == STAGES[-1] else "idle"
            session.execute(sa_text(Q, "conversation_stage_set"), {"id": conv.id, "stage": stage, "status": status})
        done.append(stage)
    return {"items_processed": 1 if done else 0, "stages_done": done, "stages_already_done": found_done}


def _idle(ctx: JobContext) -> Iterator[Any]:
    before = ctx.now - timedelta(minutes=ctx.config.idle_minutes)
    return ctx.pages(sa_text(Q, "conversations_idle"), {"idle_before": before}, page_size=ctx.config.fanout_page)


@cron_job(
    "process-conversations",
    schedule="*/5 * * * *",
    actor_name="game.process_conversations",
    period="minute",
    catch_up="latest",
    description="run the post-processing pipeline on idle conversations",
    config=GameConfig,
)
def process_conversations(ctx: JobContext) -> int:
    return ctx.fan_out(process_conversation, ((str(cid), {"conversation_id": str(cid)}) for cid in _idle(ctx)))
