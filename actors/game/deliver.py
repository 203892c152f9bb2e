"""deliver: send due scheduled_events (Telegram messages, voice calls), at most once each.

When: every minute (period "minute", catch-up "none": a late tick is simply
the next one). The cron run claims up to 50 due pending events, oldest due
first, FOR UPDATE SKIP LOCKED, and enqueues one ``game.deliver.item`` child
per event. Idempotency key: the event id — the child's message id is derived
from (job, event) alone, so an event waiting for a retry is never given a
second child by a later tick.

The child is an outbox state machine: pending → sending (committed before the
HTTP call) → delivered | pending (transient error: retried by the platform at
1, 2, 4 minutes; after the last retry → failed with retry_count 3) | failed
(rejected: chat not found, blocked) | unknown (no answer after sending; never
re-sent blindly). An event found in 'sending' means a previous attempt died
between the call and the write: it becomes 'unknown' instead of being sent again.
The transitions themselves live in actors/game/outbox.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from dramatiq.middleware import CurrentMessage
from pydantic import BaseModel

from actors.game import outbox
from actors.game.config import GameConfig
from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.channels.telegram import TelegramClient
from shared.channels.voice import VoiceClient
from shared.errors import ChannelRejected, ChannelTransient, DeliveryUnknown
from shared.middleware.retries import retry_plan_of
from shared.queues import GAME
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    import sqlalchemy as sa

SQL = SqlFile(__package__, "deliver")


class DeliverEvent(BaseModel):
    event_id: UUID


def _retry_plan(ctx: ItemContext) -> tuple[bool, float]:
    """(is this the last attempt, seconds until the platform's next attempt), by the Retries rule itself."""
    message = CurrentMessage.get_current_message()
    assert message is not None  # set by the CurrentMessage middleware while an actor runs
    plan = retry_plan_of(ctx.app.broker, message)
    return plan.last, plan.delay_ms / 1000


def _send(ctx: ItemContext, event: sa.Row[Any], recipient: str, text: str) -> None:
    s = ctx.app.settings
    if event.platform == "voice":
        if not s.voice_api_base:
            raise ChannelRejected("VOICE_API_BASE is not configured")
        voice = VoiceClient(str(s.voice_api_base), s.voice_api_key or "")
        try:
            voice.start_call(recipient, text, idempotency_key=str(event.id))  # the key dedupes a re-sent call
        finally:
            voice.close()
    else:
        telegram = TelegramClient(str(s.telegram_api_base), s.telegram_bot_token or "")
        try:
            telegram.send_message(recipient, text)
        finally:
            telegram.close()


def _counts(outcome: str, **extra: Any) -> dict[str, Any]:
    """The child's result: delivered / failed / skipped (cancelled and unknown count as skipped sends)."""
    counts = {"delivered": 0, "failed": 0, "skipped": 0}
    counts["delivered" if outcome == "delivered" else "failed" if outcome == "failed" else "skipped"] = 1
    return {"items_processed": counts["delivered"], **counts, "outcome": outcome, **extra}


@item_actor(
    "game.deliver.item", queue=GAME, payload=DeliverEvent, on_exhausted=outbox.mark_exhausted, config=GameConfig
)
def deliver_event(ctx: ItemContext, payload: DeliverEvent) -> dict[str, Any]:
    outcome, event, recipient, text = outbox.claim(ctx.app.sessions, payload.event_id, ctx.now)
    if outcome != "send":
        return _counts(outcome)
    assert event is not None and recipient is not None and text is not None  # claim() gives all three to send
    eid, now = payload.event_id, ctx.now
    try:
        _send(ctx, event, recipient, text)
    except ChannelTransient as exc:
        last, wait = _retry_plan(ctx)
        if last:
            outbox.write(
                ctx.app,
                "deliver_event_set",
                id=eid,
                status="failed",
                error=str(exc),
                now=now,
                expect="sending",
            )
        else:
            wait = max(wait, exc.retry_after or 0)
            outbox.write(
                ctx.app,
                "deliver_event_retry",
                id=eid,
                error=str(exc),
                now=now,
                retry_at=now + timedelta(seconds=wait),
            )
        raise
    except ChannelRejected as exc:
        outbox.write(ctx.app, "deliver_event_set", id=eid, status="failed", error=str(exc), now=now, expect="sending")
        return _counts("failed", error=str(exc))
    except DeliveryUnknown as exc:
        outbox.write(ctx.app, "deliver_event_set", id=eid, status="unknown", error=str(exc), now=now, expect="sending")
        raise  # not retried: an operator decides whether the player got it
    outbox.write(ctx.app, "deliver_event_delivered", id=eid, now=now)
    return _counts("delivered")


@cron_job(
    "deliver",
    schedule="* * * * *",
    actor_name="game.deliver",
    period="minute",
    catch_up="none",
    description="send due scheduled events (Telegram, voice), at most 50 per tick",
    config=GameConfig,
)
def deliver(ctx: JobContext) -> dict[str, Any]:
    ids = (
        ctx.session.execute(sa_text(SQL, "deliver_claim_due"), {"now": ctx.now, "limit": ctx.config.deliver_batch})
        .scalars()
        .all()
    )
    # Keyed on the event alone (not the minute): an event is sent by one child, ever.
    new = ctx.fan_out(deliver_event, ((str(i), {"event_id": str(i)}) for i in ids), key_period="event")
    return {"items_processed": new, "claimed": len(ids), "already_queued": len(ids) - new}
