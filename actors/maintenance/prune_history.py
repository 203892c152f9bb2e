"""prune-history: delete job_history rows that finished more than the retention ago.

Runs daily at 03:00 (``DRAMATURG_JOB_PRUNE_HISTORY_SCHEDULE``); retention is
``DRAMATURG_HISTORY_RETENTION_DAYS`` (30), counted from ``finished_at``.
Idempotent by nature: a second run finds nothing left to delete.
"""

from shared import history
from shared.actors import JobContext, cron_job
from shared.db import pg_connection


@cron_job(
    "prune-history",
    schedule="0 3 * * *",
    actor_name="maintenance.prune_history",
    period="day",
    catch_up="latest",
    description="delete job_history rows older than the retention",
)
def prune_history(ctx: JobContext) -> int:
    raw = pg_connection(ctx.session.connection())
    return history.prune(raw, now=ctx.now, retention_days=ctx.app.settings.history_retention_days)
