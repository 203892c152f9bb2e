"""refresh-stats: refresh the ``challenge_stats`` materialized view without blocking readers.

When: hourly at minute 0 (``DRAMATURG_JOB_REFRESH_STATS_SCHEDULE``), period
hour, missed hours collapse into one run (catch_up latest: the view is the
same whichever hour refreshes it).
``REFRESH MATERIALIZED VIEW CONCURRENTLY`` lets readers keep selecting the
previous contents during the refresh. Idempotency key: none needed, a refresh
replaces the whole view; the (job, hour) lock keeps two refreshes from racing.
``items_processed`` is the number of rows in the refreshed view.
"""

from __future__ import annotations

from typing import cast

from actors.challenges.config import ChallengesConfig
from shared.actors import JobContext, cron_job
from shared.sql import SqlFile, sa_text

SQL = SqlFile(__package__, "refresh_stats")


@cron_job(
    "refresh-stats",
    schedule="0 * * * *",
    actor_name="challenges.refresh_stats",
    period="hour",
    catch_up="latest",
    description="refresh the challenge_stats materialized view concurrently",
    config=ChallengesConfig,
)
def refresh_stats(ctx: JobContext) -> int:
    ctx.session.execute(sa_text(SQL, "challenge_stats_refresh"))
    return cast(int, ctx.session.execute(sa_text(SQL, "challenge_stats_count")).scalar())
