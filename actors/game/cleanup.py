"""cleanup: fail scheduled events left pending for over 24 h, and delete expired registrations.

When: ``30 * * * *`` (period "hour"). Both statements are set-based and
idempotent by their predicates: a second run in the same hour finds nothing
left to change. An event due more than GAME_STALE_HOURS ago is not worth
sending late, so it becomes failed with error 'stale'. items_processed is the
sum of both counts; the result keeps them apart.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from actors.game.config import GameConfig
from shared.actors import JobContext, cron_job
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

SQL = SqlFile(__package__, "cleanup")


@cron_job(
    "cleanup",
    schedule="30 * * * *",
    actor_name="game.cleanup",
    period="hour",
    catch_up="latest",
    description="fail stale pending events and delete expired registrations",
    config=GameConfig,
)
def cleanup(ctx: JobContext) -> dict[str, Any]:
    cutoff = ctx.now - timedelta(hours=ctx.config.stale_hours)
    stale = cast(
        "CursorResult[Any]",
        ctx.session.execute(sa_text(SQL, "cleanup_stale_events"), {"now": ctx.now, "cutoff": cutoff}),
    ).rowcount
    expired = cast(
        "CursorResult[Any]", ctx.session.execute(sa_text(SQL, "cleanup_expired_registrations"), {"now": ctx.now})
    ).rowcount
    return {"items_processed": stale + expired, "stale_events": stale, "expired_registrations": expired}
