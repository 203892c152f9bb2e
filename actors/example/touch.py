"""example-touch: touch every active example item once per period.

When: every 10 minutes (``DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDULE``) once enabled
(``DRAMATURG_JOB_EXAMPLE_TOUCH_ENABLED=true``); off by default, it exists to show
and test the platform end to end.
Fan-out: one ``example.touch.item`` child per active item, enqueued in the
transaction that selected them. Idempotency key: (job, item, period) — the
child's message id, and the unique ``example_touches (item_id, period)`` row
written in the same transaction as the counter update, so the effect happens
once even if the child runs twice. ``fail_first`` makes the child fail its
first N attempts, which is how the platform's retries are exercised. The
argument ``chunk=N`` fans out N items per child message (``fan_out(..., chunk=N)``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from dramatiq.middleware import CurrentMessage
from pydantic import BaseModel, Field

from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.queues import EXAMPLE
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult
    from sqlalchemy.orm import Session

SQL = SqlFile(__package__, "touch")


class TouchItem(BaseModel):
    item_id: int


class TouchArgs(BaseModel):
    chunk: int = Field(1, ge=1, le=10_000)  # items per child message


def mark_failed(session: Session, payload: dict[str, Any], error: str, now: datetime) -> None:
    session.execute(sa_text(SQL, "example_item_fail"), {"id": payload["item_id"], "error": error})


@item_actor("example.touch.item", queue=EXAMPLE, payload=TouchItem, on_exhausted=mark_failed)
def touch_item(ctx: ItemContext, payload: TouchItem) -> int:
    row = ctx.session.execute(sa_text(SQL, "example_item_lock"), {"id": payload.item_id}).one_or_none()
    if row is None:
        return 0  # the item was deleted since the fan-out: nothing to do
    message = CurrentMessage.get_current_message()
    assert message is not None  # set by the CurrentMessage middleware while an actor runs
    attempt = message.options.get("retries", 0) + 1
    if attempt <= row.fail_first:
        raise RuntimeError(f"example item {payload.item_id} fails attempt {attempt} of its first {row.fail_first}")
    marked = cast(
        "CursorResult[Any]",
        ctx.session.execute(
            sa_text(SQL, "example_touch_mark"), {"id": payload.item_id, "period": ctx.period, "now": ctx.now}
        ),
    ).rowcount
    if marked:
        ctx.session.execute(sa_text(SQL, "example_item_touch"), {"id": payload.item_id, "now": ctx.now})
    return marked


@cron_job(
    "example-touch",
    schedule="*/10 * * * *",
    actor_name="example.touch",
    period="minute",
    enabled=False,
    args_model=TouchArgs,
    description="example: touch every active example item once per period (off unless enabled)",
)
def touch(ctx: JobContext) -> int:
    ids = ctx.session.execute(sa_text(SQL, "example_items_active")).scalars()
    return ctx.fan_out(touch_item, ((str(i), {"item_id": i}) for i in ids), chunk=ctx.args["chunk"])
