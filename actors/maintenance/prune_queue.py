"""prune-queue: delete done and rejected queue rows older than the retention.

Runs daily at 03:10; retention is ``DRAMATURG_QUEUE_RETENTION_DAYS`` (7).
Queued and in-flight rows are never touched.
"""

from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from shared.actors import JobContext, cron_job
from shared.sql import sa_text

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult


@cron_job(
    "prune-queue",
    schedule="10 3 * * *",
    actor_name="maintenance.prune_queue",
    period="day",
    catch_up="latest",
    description="delete finished queue rows older than the retention",
)
def prune_queue(ctx: JobContext) -> int:
    before = ctx.now - timedelta(days=ctx.app.settings.queue_retention_days)
    return cast("CursorResult[Any]", ctx.session.execute(sa_text("queue", "queue_prune"), {"before": before})).rowcount
