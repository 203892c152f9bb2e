"""bench-decay: the fan-out figure's job, a per-user decay through the real platform.

When: never on its own (``enabled=False``); the benchmark triggers it by hand
(``scheduler.trigger.trigger_job``) in a database that has ``bench_users``.
Fan-out: one ``bench.decay.item`` child per user, enqueued in the cron run's
transaction; each child multiplies one user's score by 0.9 and writes its
idempotency marker (user, hour) in one statement, one round trip, as the
game's decay does per player: a redelivered child finds its marker and changes
nothing. Idempotency key: (job, user, hour) — the child's message id — so a
second trigger in the same hour enqueues nothing. With the argument ``chunk=N``
the parent sends one message per N users (``fan_out(..., chunk=N)``): the same
child runs once per user, the N users in one transaction. Loaded by workers
through ``DRAMATURG_ACTOR_MODULES=bench.fanout_job``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import text

from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.queues import EXAMPLE

USERS = text("SELECT id FROM bench_users ORDER BY id")
# Effect and marker in one statement: the UPDATE runs only if the marker is new.
DECAY_ONE = text(
    "WITH mark AS (INSERT INTO bench_decay_marks (user_id, period) VALUES (:id, :period) "
    "ON CONFLICT DO NOTHING RETURNING user_id) "
    "UPDATE bench_users SET score = score * 0.9 WHERE id = (SELECT user_id FROM mark)"
)


class BenchUser(BaseModel):
    user_id: int


class DecayArgs(BaseModel):
    chunk: int = Field(1, ge=1)  # users per child message


@item_actor("bench.decay.item", queue=EXAMPLE, payload=BenchUser)
def decay_user(ctx: ItemContext, payload: BenchUser) -> int:
    return ctx.session.execute(DECAY_ONE, {"id": payload.user_id, "period": ctx.period}).rowcount


@cron_job(
    "bench-decay",
    schedule="0 * * * *",
    actor_name="bench.decay",
    period="hour",
    enabled=False,
    args_model=DecayArgs,
    description="benchmark: decay every bench user's score, one child per user",
)
def decay(ctx: JobContext) -> int:
    ids = ctx.session.execute(USERS).scalars()
    return ctx.fan_out(decay_user, ((str(i), {"user_id": i}) for i in ids), chunk=ctx.args["chunk"])
