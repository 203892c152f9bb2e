"""auto-complete-challenges: close active challenges whose end date has passed.

When: daily at 00:00 UTC (``DRAMATURG_JOB_AUTO_COMPLETE_CHALLENGES_SCHEDULE``),
period day; the run's date is its period (the UTC date of the tick, or of
``at`` for a manual trigger). Set-based, no fan-out: each active challenge
with ``end_date`` before the run's date becomes ``completed`` when its
members' average completion rate reaches ``CHALLENGES_COMPLETION_THRESHOLD``
(80), else ``failed`` (also when it has no members). Every member of each
challenge closed by this run gets one 'challenge_completed' or
'challenge_failed' notification.
Idempotency key: the challenge's status (only active ones are closed) and
the unique notification (user_id, type, challenge id), so a re-run or a
catch-up never closes twice nor notifies twice.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, cast

from actors.challenges.config import ChallengesConfig
from shared.actors import JobContext, cron_job
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

SQL = SqlFile(__package__, "auto_complete")


@cron_job(
    "auto-complete-challenges",
    schedule="0 0 * * *",
    actor_name="challenges.auto_complete",
    period="day",
    timezone="UTC",
    description="complete or fail challenges that have ended",
    config=ChallengesConfig,
)
def auto_complete_challenges(ctx: JobContext) -> dict[str, Any]:
    run_date = date.fromisoformat(ctx.period)
    closed = (
        ctx.session.execute(
            sa_text(SQL, "challenges_close_ended"),
            {
                "run_date": run_date,
                "threshold": ctx.config.completion_threshold,
                "now": ctx.now,
            },
        )
        .mappings()
        .all()
    )
    notified = 0
    if closed:
        notified = cast(
            "CursorResult[Any]",
            ctx.session.execute(
                sa_text(SQL, "challenge_notifications_insert"), {"ids": [c["id"] for c in closed], "now": ctx.now}
            ),
        ).rowcount
    completed = sorted(c["id"] for c in closed if c["status"] == "completed")
    failed = sorted(c["id"] for c in closed if c["status"] == "failed")
    return {
        "items_processed": len(closed),
        "completed": completed,
        "failed": failed,
        "notified": notified,
        "run_date": run_date.isoformat(),
    }
