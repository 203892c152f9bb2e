"""bench-decay: the fan-out figure's job, a per-user decay through the real platform.

When: never on its own (``enabled=False``); the benchmark triggers it by hand
(``shared.trigger.trigger_job``) in a database that has ``bench_users``.
Fan-out: one ``bench.decay.item`` child per user, enqueued in the cron run's
transaction; each child multiplies one user's score by 0.9 in one UPDATE,
as the game's decay does per player. Idempotency key: (job, user, hour) —
the child's message id — so a second trigger in the same hour enqueues
nothing. Loaded by workers through ``DRAMATURG_ACTOR_MODULES=bench.fanout_job``.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import text

from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.queues import EXAMPLE

USERS = text("SELECT id FROM bench_users ORDER BY id")
DECAY_ONE = text("UPDATE bench_users SET score = score * 0.9 WHERE id = :id")


class BenchUser(BaseModel):
    user_id: int


@item_actor("bench.decay.item", queue=EXAMPLE, payload=BenchUser)
def decay_user(ctx: ItemContext, payload: BenchUser) -> int:
    return ctx.session.execute(DECAY_ONE, {"id": payload.user_id}).rowcount


@cron_job(
    "bench-decay",
    schedule="0 * * * *",
    actor_name="bench.decay",
    period="hour",
    enabled=False,
    description="benchmark: decay every bench user's score, one child per user",
)
def decay(ctx: JobContext) -> int:
    ids = ctx.session.execute(USERS).scalars()
    return ctx.fan_out(decay_user, ((str(i), {"user_id": i}) for i in ids))
