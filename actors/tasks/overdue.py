"""overdue-scan: flag uncompleted tasks past their due date as overdue, and back.

When: every 15 minutes (``DRAMATURG_JOB_OVERDUE_SCAN_SCHEDULE``).
Set-based, no fan-out: open, uncompleted tasks with ``due_date < now`` become
``overdue``; overdue tasks whose due date moved back into the future (or was
removed) return to ``open``. Completed tasks are never flipped. With
``TASKS_OVERDUE_NOTIFY`` (default true) each task that becomes overdue gets
one ``web_notifications`` row of kind 'overdue'.
Idempotency key: the task's status (a second run finds nothing to change)
and the unique (task_id, kind='overdue') notice, so at most one notice per
task ever. ``items_processed`` is the number of tasks whose status changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from actors.tasks.config import TasksConfig
from shared.actors import JobContext, cron_job
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

SQL = SqlFile(__package__, "overdue")
IDS_LOGGED = 100


@cron_job(
    "overdue-scan",
    schedule="*/15 * * * *",
    actor_name="tasks.overdue_scan",
    period="minute",
    catch_up="latest",
    description="mark tasks past due as overdue (and due-again ones open)",
    config=TasksConfig,
)
def overdue_scan(ctx: JobContext) -> dict[str, Any]:
    overdue = ctx.session.execute(sa_text(SQL, "tasks_mark_overdue"), {"now": ctx.now}).mappings().all()
    reopened = ctx.session.execute(sa_text(SQL, "tasks_reopen"), {"now": ctx.now}).scalars().all()
    notified = 0
    if ctx.config.overdue_notify:
        for task in overdue:
            notified += cast(
                "CursorResult[Any]",
                ctx.session.execute(
                    sa_text(SQL, "overdue_notification_insert"),
                    {
                        "user_id": task["owner_id"],
                        "task_id": task["id"],
                        "title": f"Overdue: {task['title']}",
                        "body": f"{task['title']} was due {task['due_date'].isoformat()}",
                        "now": ctx.now,
                    },
                ),
            ).rowcount
    # The affected ids go to job_history for diagnosis, capped so a mass change stays a small row.
    return {
        "items_processed": len(overdue) + len(reopened),
        "overdue_count": len(overdue),
        "reopened_count": len(reopened),
        "notified": notified,
        "overdue": sorted(t["id"] for t in overdue)[:IDS_LOGGED],
        "reopened": sorted(reopened)[:IDS_LOGGED],
    }
