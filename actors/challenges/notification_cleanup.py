"""notification-cleanup: delete notifications older than the retention, read or unread.

When: daily at 00:15 (``DRAMATURG_JOB_NOTIFICATION_CLEANUP_SCHEDULE``), period
day, missed days collapse into one run (catch_up latest). Both feeds are
pruned: the challenge app's ``challenges.notifications`` and, when the task
app is enabled too (``DRAMATURG_APPS``), its ``tasks.web_notifications``. Retention is ``CHALLENGES_NOTIFICATION_RETENTION_DAYS``
(30) counted back from the run's instant; a row is deleted when
``created_at < now - retention`` — one exactly 30 days old is kept until the
next run. Idempotency key: none needed, a second run finds nothing to delete.
``items_processed`` is the total deleted, per table in the result.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from actors.challenges.config import ChallengesConfig
from shared.actors import JobContext, cron_job
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

SQL = SqlFile(__package__, "notification_cleanup")


@cron_job(
    "notification-cleanup",
    schedule="15 0 * * *",
    actor_name="challenges.notification_cleanup",
    period="day",
    catch_up="latest",
    description="delete notifications older than the retention",
    config=ChallengesConfig,
)
def notification_cleanup(ctx: JobContext) -> dict[str, Any]:
    before = ctx.now - timedelta(days=ctx.config.notification_retention_days)
    notifications = cast(
        "CursorResult[Any]", ctx.session.execute(sa_text(SQL, "notifications_delete_expired"), {"before": before})
    ).rowcount
    # The task app's feed exists only where that app is enabled (its own schema, its own migrations).
    web = (
        cast(
            "CursorResult[Any]",
            ctx.session.execute(sa_text(SQL, "web_notifications_delete_expired"), {"before": before}),
        ).rowcount
        if "tasks" in ctx.app.settings.apps
        else 0
    )
    return {
        "items_processed": notifications + web,
        "notifications": notifications,
        "web_notifications": web,
        "before": before.isoformat(),
    }
