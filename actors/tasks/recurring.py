"""recurring-tasks: give each completed recurring task its next instance.

When: every 5 minutes (``DRAMATURG_JOB_RECURRING_TASKS_SCHEDULE``); missed
ticks collapse into one run. An unknown owner zone falls back to UTC (logged).
Fan-out: one ``tasks.recurring.item`` child per completed recurring task with
a due date and no ``last_processed_at``. The child locks the parent row,
computes the next due date (``actors/tasks/recurrence.py``: from the previous
due date, in the owner's zone, rolled forward past now), inserts the new
instance (title, description, priority, tags copied; not completed), carries
the reminders over relative to the new due date and sets the parent's
``last_processed_at``, all in one transaction.
Idempotency key: the parent task. The row lock plus ``last_processed_at``
make a second child a no-op, and the unique ``tasks.parent_task_id`` makes a
second instance impossible even for overlapping runs, retries or two workers.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from actors.tasks.config import TasksConfig
from actors.tasks.recurrence import next_due
from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.queues import TASKS
from shared.sql import SqlFile, sa_text

SQL = SqlFile(__package__, "recurring")
logger = logging.getLogger(__name__)


class NextInstance(BaseModel):
    task_id: int


def _zone(name: str, task_id: int) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # Failing would stop the series for good (every run would fail again);
        # UTC keeps it going, and the warning says which task to fix.
        logger.warning("task %s has an unknown owner_timezone %r; computing its next due date in UTC", task_id, name)
        return ZoneInfo("UTC")


@item_actor("tasks.recurring.item", queue=TASKS, payload=NextInstance, config=TasksConfig)
def create_next_instance(ctx: ItemContext, payload: NextInstance) -> int | dict[str, Any]:
    parent = ctx.session.execute(sa_text(SQL, "task_lock"), {"id": payload.task_id}).mappings().one_or_none()
    if parent is None or parent["last_processed_at"] is not None:
        return 0  # deleted, or another child already generated the next instance
    if not (parent["is_recurring"] and parent["completed"] and parent["due_date"] and parent["recurrence_type"]):
        return 0  # reopened or edited since the fan-out
    zone = _zone(parent["owner_timezone"], parent["id"])
    anchor = parent["anchor_day"]
    if anchor is None and parent["recurrence_type"] in ("monthly", "yearly"):
        anchor = parent["due_date"].astimezone(zone).day  # the series keeps the original day of month
    due = next_due(
        parent["due_date"],
        parent["recurrence_type"],
        parent["recurrence_interval"],
        zone,
        now=ctx.now,
        anchor_day=anchor,
    )
    child = ctx.session.execute(
        sa_text(SQL, "task_insert_next"), {"id": parent["id"], "due": due, "anchor": anchor}
    ).scalar()
    if child is not None:
        ctx.session.execute(
            sa_text(SQL, "task_reminders_copy"),
            {"child": child, "parent": parent["id"], "due": due, "old_due": parent["due_date"]},
        )
    ctx.session.execute(sa_text(SQL, "task_mark_processed"), {"id": parent["id"], "now": ctx.now})
    if child is None:
        return 0
    return {"items_processed": 1, "created_task_id": child}  # the new instance's id in history and the log line


# Missed ticks collapse into one (catch_up latest): a run looks at task state, not at its tick time.
@cron_job(
    "recurring-tasks",
    schedule="*/5 * * * *",
    actor_name="tasks.recurring",
    period="minute",
    catch_up="latest",
    description="create the next instance of each completed recurring task",
    config=TasksConfig,
)
def recurring_tasks(ctx: JobContext) -> int:
    ids = ctx.session.execute(sa_text(SQL, "tasks_due_for_recurrence")).scalars()
    return ctx.fan_out(create_next_instance, ((str(i), {"task_id": i}) for i in ids))
