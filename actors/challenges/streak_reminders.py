"""streak-reminders: remind users at 08:00 their local time that their streak is at risk.

When: every 15 minutes (``DRAMATURG_JOB_STREAK_REMINDERS_SCHEDULE``) with
catch_up all, so every missed tick runs once for its own instant. A tick at
``t`` covers the window (t − 15 min, t]: it picks the users whose local
clock passed ``CHALLENGES_STREAK_REMINDER_TIME`` (08:00) in that window, in
their IANA zone (none or unknown → UTC). Consecutive ticks' windows tile time, so each
local 08:00 — at whatever UTC offset, half-hour and 45-minute zones and DST
days included — falls in exactly one tick. Users with ``current_streak > 0``
and no activity on their local date get one 'streak_reminder' notification.
Idempotency key: (user, 'streak_reminder', local date), a unique key, so a
re-run, an overlapping manual trigger or a catch-up never reminds twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from actors.challenges.config import ChallengesConfig
from shared.actors import JobContext, cron_job
from shared.sql import SqlFile, sa_text

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

SQL = SqlFile(__package__, "streak_reminders")


@cron_job(
    "streak-reminders",
    schedule="*/15 * * * *",
    actor_name="challenges.streak_reminders",
    period="minute",
    catch_up="all",
    description="remind users at 08:00 local time of a streak at risk",
    config=ChallengesConfig,
)
def streak_reminders(ctx: JobContext) -> dict[str, Any]:
    config = ctx.config
    since = ctx.now - timedelta(minutes=config.streak_window_minutes)
    sent = cast(
        "CursorResult[Any]",
        ctx.session.execute(
            sa_text(SQL, "streak_reminders_insert"),
            {
                "now": ctx.now,
                "since": since,
                "remind_time": config.streak_reminder_time,
            },
        ),
    ).rowcount
    return {"items_processed": sent, "window_start": since.isoformat(), "window_end": ctx.now.isoformat()}
