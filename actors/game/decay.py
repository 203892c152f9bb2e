"""decay: hourly score decay for players who went quiet past their chapter's grace period.

When: ``0 * * * *`` (period "hour", catch-up "all": each missed hour runs
once, for its own instant). The cron run selects active users with at least
one whole overdue hour not yet charged (keyset-paged) and fans out one
``game.decay.item`` child each, in its own transaction (``GAME_DECAY_CHUNK=N``:
one message per N players, each player handled alike, the N in one transaction).

Idempotency key: (user, decay watermark hour). The child locks the user row
FOR UPDATE, computes from the watermark (the latest ``score_history.decay_hour``)
and writes the score and the history row in one transaction; the partial
unique index on (user_id, decay_hour) WHERE event_type = 'decay' makes a
duplicate write a no-op. So each overdue hour is charged at most once however
often runs repeat, retry, overlap or catch up. Arithmetic: actors/game/decay_math.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from actors.game.config import GameConfig
from actors.game.decay_math import plan_decay
from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.queues import GAME
from shared.sql import SqlFile, sa_text

SQL = SqlFile(__package__, "decay")


class DecayUser(BaseModel):
    user_id: UUID
    as_of: datetime  # the tick's instant: a caught-up hour charges only up to its own time


@item_actor("game.decay.item", queue=GAME, payload=DecayUser, config=GameConfig)
def decay_user(ctx: ItemContext, payload: DecayUser) -> dict[str, Any]:
    cfg = ctx.config
    params = {"user_id": payload.user_id}
    user = ctx.session.execute(sa_text(SQL, "decay_user_lock"), params).one_or_none()
    if user is None or user.game_status != "active":
        return {"items_processed": 0, "skipped": "user gone or not active"}
    watermark = ctx.session.execute(sa_text(SQL, "decay_watermark"), params).scalar()
    chapter = user.chapter - 1
    plan = plan_decay(
        base=user.base,
        grace_hours=cfg.grace_hours[chapter],
        rate=cfg.decay_rates[chapter],
        cap=cfg.decay_cap,
        score=user.score,
        as_of=payload.as_of,
        watermark=watermark,
    )
    if not plan.applies:
        return {"items_processed": 0, "hours": 0}
    details = {
        "hours": plan.hours,
        "rate": cfg.decay_rates[chapter],
        "chapter": user.chapter,
        "capped": plan.capped,
        "as_of": payload.as_of.isoformat(),
    }
    inserted = ctx.session.execute(
        sa_text(SQL, "decay_history_insert"),
        {
            **params,
            "score_before": plan.score_before,
            "score_after": plan.score_after,
            "delta": -plan.delta,
            "details": json.dumps(details),
            "decay_hour": plan.watermark,
            "now": ctx.now,
        },
    ).scalar()
    if inserted is None:
        return {"items_processed": 0, "hours": 0}  # the same hour was charged under this lock already
    ctx.session.execute(
        sa_text(SQL, "decay_user_update"), {**params, "score": plan.score_after, "game_over": plan.game_over}
    )
    if plan.game_over:
        ctx.session.execute(
            sa_text(SQL, "decay_game_over_insert"),
            {
                **params,
                "score": plan.score_after,
                "now": ctx.now,
                "details": json.dumps({"reason": "score decayed to 0"}),
            },
        )
    return {
        "items_processed": 1,
        "hours": plan.hours,
        "delta": float(plan.delta),
        "capped": plan.capped,
        "game_over": plan.game_over,
    }


def _eligible(ctx: JobContext, cfg: GameConfig) -> Iterator[UUID]:
    """Eligible user ids in pages, so a large table never sits in memory at once."""
    return ctx.pages(
        sa_text(SQL, "decay_users_eligible"),
        {"grace_hours": list(cfg.grace_hours), "as_of": ctx.now},
        page_size=cfg.fanout_page,
    )


@cron_job(
    "decay",
    schedule="0 * * * *",
    actor_name="game.decay",
    period="hour",
    catch_up="all",
    description="charge score decay for every whole hour a player is overdue",
    config=GameConfig,
)
def decay(ctx: JobContext) -> int:
    cfg = ctx.config
    items = ((str(uid), {"user_id": str(uid), "as_of": ctx.now.isoformat()}) for uid in _eligible(ctx, cfg))
    return ctx.fan_out(decay_user, items, chunk=cfg.decay_chunk)
