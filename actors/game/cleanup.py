"""cleanup: fail scheduled events left pending for over 24 h, and delete expired registrations.

When: ``30 * * * *`` (period "hour"). Both statements are set-based and
idempotent by their predicates: a second run in the same hour finds nothing
left to change. An event due more than GAME_STALE_HOURS ago is not worth
sending late, so it becomes failed with error 'stale'. items_processed is the
sum of both counts; the result keeps them apart.
"""

from __future__ import annotations

from datetime import timedelta

from actors.game.config import game_config
from shared.actors import JobContext, cron_job
from shared.sql import sa_text


@cron_job(
    "cleanup",
    schedule="30 * * * *",
    actor_name="game.cleanup",
    period="hour",
    catch_up="latest",
    description="fail stale pending events and delete expired registrations",
)
def cleanup(ctx: JobContext) -> dict:
    cutoff = ctx.now - timedelta(hours=game_config().stale_hours)
    stale = ctx.session.execute(
        sa_text("game_cleanup", "cleanup_stale_events"), {"now": ctx.now, "cutoff": cutoff}
    ).rowcount
    expired = ctx.session.execute(sa_text("game_cleanup", "cleanup_expired_registrations"), {"now": ctx.now}).rowcount
    return {"items_processed": stale + expired, "stale_events": stale, "expired_registrations": expired}
