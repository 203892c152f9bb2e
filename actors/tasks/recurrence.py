"""Next due date of a recurring task: pure calendar arithmetic, no I/O.

Used by the recurring-tasks child (``actors/tasks/recurring.py``) when a
completed recurring task gets its next instance. The rules:

- occurrences count from the previous *due date*, never from the completion
  time, so a task completed late does not drift;
- the owner's local wall-clock time is kept: a 09:00 Europe/Berlin task stays
  at 09:00 local across DST (its UTC instant moves by an hour);
- monthly and yearly steps are anchored to ``anchor_day`` and clamped to the
  month's length: Jan 31 → Feb 28 (29 in leap years) → Mar 31; a yearly
  Feb 29 falls on Feb 28 in common years and returns to Feb 29 in leap years;
- ``custom`` repeats every ``interval`` days;
- the result is rolled forward by whole steps until it is strictly after
  ``now``, so a new instance is never born overdue.

A local time the clock skips (spring forward) is read with the offset before
the change, i.e. 02:30 becomes 03:30; a repeated local time (fall back) is its
first occurrence (PEP 495 ``fold=0``).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

RECURRENCE_TYPES = ("daily", "weekly", "monthly", "yearly", "custom")

# The longest a single step can last (DST adds an hour; months and leap years vary).
# Used to skip ahead without ever overshooting the first occurrence after ``now``.
_MAX_STEP = {
    "daily": timedelta(days=1, hours=1),
    "custom": timedelta(days=1, hours=1),
    "weekly": timedelta(days=7, hours=1),
    "monthly": timedelta(days=31, hours=1),
    "yearly": timedelta(days=366, hours=1),
}


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def shift(wall: datetime, recurrence_type: str, units: int, anchor_day: int) -> datetime:
    """``wall`` (naive local time) moved by ``units`` days/weeks/months/years."""
    if recurrence_type in ("daily", "custom"):
        return wall + timedelta(days=units)
    if recurrence_type == "weekly":
        return wall + timedelta(weeks=units)
    if recurrence_type == "monthly":
        year, month0 = divmod(wall.year * 12 + wall.month - 1 + units, 12)
        month = month0 + 1
    else:  # yearly
        year, month = wall.year + units, wall.month
    return wall.replace(year=year, month=month, day=min(anchor_day, days_in_month(year, month)))


def to_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in ``zone`` (fold=0, see module docstring)."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def next_due(
    previous_due: datetime,
    recurrence_type: str,
    interval: int,
    zone: ZoneInfo,
    *,
    now: datetime,
    anchor_day: int | None = None,
) -> datetime:
    """The first occurrence after ``previous_due`` that is strictly later than ``now`` (aware UTC).

    Raises:
        ValueError: unknown recurrence type, interval below 1, or a naive datetime.
    """
    if recurrence_type not in RECURRENCE_TYPES:
        raise ValueError(f"recurrence_type must be one of {RECURRENCE_TYPES}, not {recurrence_type!r}")
    if interval is None or interval < 1:
        raise ValueError(f"recurrence_interval must be at least 1, not {interval!r}")
    if previous_due.tzinfo is None or now.tzinfo is None:
        raise ValueError("next_due() needs timezone-aware datetimes")
    wall = previous_due.astimezone(zone).replace(tzinfo=None, fold=0)
    anchor = anchor_day or wall.day
    # Start from a step count that is certainly not past ``now`` (n * longest step <= gap).
    gap = now - previous_due
    steps = max(1, int(gap / (_MAX_STEP[recurrence_type] * interval))) if gap > timedelta(0) else 1
    while True:
        candidate = to_instant(shift(wall, recurrence_type, steps * interval, anchor), zone)
        if candidate > now:
            return candidate
        steps += 1
