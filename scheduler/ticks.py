"""Which ticks to enqueue now: pure functions of (job, watermark, now).

The watermark is the instant up to which a job's ticks were already
considered; it is persisted, so a restarted scheduler knows what it missed.
Per-job misfire policy decides what happens to ticks older than
``max_lateness``:

- ``all``: every missed tick runs once, for its own period (bounded by MAX_CATCH_UP);
- ``latest``: only the most recent missed tick runs;
- ``none``: missed ticks are dropped (a per-minute delivery tick does not pile up).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.schedule import ScheduledJob

#: A scheduler down for weeks must not flood the queue with a per-minute job's backlog.
MAX_CATCH_UP = 1000


def due_ticks(job: ScheduledJob, watermark: datetime | None, now: datetime) -> list[datetime]:
    """Tick instants in (watermark, now] that should be enqueued now, oldest first.

    With no watermark (first start) nothing before ``now - max_lateness`` is replayed.
    """
    floor = now - timedelta(seconds=max(job.max_lateness, 1))
    start = watermark if watermark is not None else floor
    ticks = list(job.cron.fire_times(start, now, job.zone))
    if not ticks:
        return []
    late = [t for t in ticks if t < floor]
    fresh = [t for t in ticks if t >= floor]
    if job.catch_up == "all":
        return (late + fresh)[-MAX_CATCH_UP:]
    if job.catch_up == "latest":
        return ticks[-1:]
    return fresh


def tick_text(tick: datetime) -> str:
    """Canonical text of a tick instant (UTC, seconds), part of its message id."""
    return tick.astimezone(UTC).replace(microsecond=0).isoformat()
