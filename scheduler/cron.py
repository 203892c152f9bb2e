"""Cron expressions with correct day-of-week and DST semantics.

Actors keep periodiq's declaration style (``periodic=cron("0 * * * *")``),
but matching is ours: periodiq compares ``isoweekday()`` (1..7) with
day-of-week values 0..6, so Sunday written as ``0`` never fires, and it
evaluates in process-local time, so DST transitions lose or double runs.

Syntax: five fields ``minute hour day-of-month month day-of-week`` with
``*``, lists ``a,b``, ranges ``a-b``, steps ``*/n``, ``a-b/n``, ``a/n``
(= ``a-max/n``), names ``jan..dec`` / ``sun..sat`` (case-insensitive),
day-of-week 0-7 (0 and 7 are Sunday) and the ``@yearly``, ``@annually``,
``@monthly``, ``@weekly``, ``@daily``, ``@midnight``, ``@hourly`` aliases.

Day matching follows Vixie cron: when both day-of-month and day-of-week
are restricted, a day matches if *either* matches; a field whose text
starts with ``*`` (``*/2`` too, unlike croniter) counts as unrestricted.

Schedules are evaluated on the wall clock of a ``ZoneInfo`` zone:

* ambiguous wall times (fall back) fire once, at the first occurrence;
* nonexistent wall times (spring forward) fire once per gap, at the first
  real instant after the gap, if any wall minute inside the gap matches.

This module is pure: no I/O, no clock reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["CronExpr", "as_cron", "cron"]

_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)
# The Gregorian calendar repeats every 400 years (146097 days), so a spec that
# has not fired within that span never will (e.g. Feb 29 on a given weekday is rare).
_SEARCH_HORIZON = timedelta(days=146097)

_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {
    n: i
    for i, n in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
_DOWS = {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (name used in error messages, min, max, symbolic names)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 7, _DOWS),
)
# Longest month length, Feb counted as 29 so leap-day specs stay valid.
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _value(text: str, part: str, name: str, lo: int, hi: int, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not (text.isascii() and text.isdigit()):  # rejects '', signs, unknown names
        raise ValueError(f"{name} field '{part}': invalid value '{text}'")
    value = int(text)
    if not lo <= value <= hi:
        raise ValueError(f"{name} field '{text}' out of range {lo}-{hi}")
    return value


def _parse_field(text: str, name: str, lo: int, hi: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not (step_text.isascii() and step_text.isdigit()) or int(step_text) == 0:
                raise ValueError(f"{name} field '{part}': step must be a positive integer")
            step = int(step_text)
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            first, _, last = base.partition("-")
            start = _value(first, part, name, lo, hi, names)
            end = _value(last, part, name, lo, hi, names)
            if start > end:
                raise ValueError(f"{name} field '{part}': range start {start} is greater than end {end}")
        else:
            start = _value(base, part, name, lo, hi, names)
            end = hi if slash else start  # 'a/n' means 'a-max/n'
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronExpr:
    """A parsed five-field cron expression; build it with :meth:`parse`.

    Equality compares the schedule, not the text: ``@hourly == 0 * * * *``.
    """

    spec: str = field(compare=False)
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday; 7 is folded into 0
    day_or: bool  # Vixie rule: both day fields restricted -> either may match

    @classmethod
    def parse(cls, spec: str) -> CronExpr:
        """Parse a cron expression.

        Parameters:
            spec: five whitespace-separated fields or an ``@alias``.

        Raises:
            ValueError: the text is empty, has the wrong number of fields, or
                a field holds garbage, an out-of-range value, a zero step or a
                reversed range (the message names the field); or the day and
                month fields can never match together (e.g. ``0 0 30 2 *``).
        """
        if not isinstance(spec, str):
            raise TypeError(f"cron spec must be a str, not {type(spec).__name__}")
        text = spec.strip()
        if not text:
            raise ValueError("empty cron expression")
        if text.startswith("@"):
            if text.lower() not in _ALIASES:
                raise ValueError(f"unknown cron alias '{text}'; expected one of {', '.join(_ALIASES)}")
            text = _ALIASES[text.lower()]
        parts = text.split()
        if len(parts) != 5:
            raise ValueError(
                f"cron expression '{spec}' must have 5 fields "
                f"(minute hour day-of-month month day-of-week), got {len(parts)}"
            )
        minutes, hours, days, months, dows = (_parse_field(p, *f) for p, f in zip(parts, _FIELDS))
        weekdays = frozenset(d % 7 for d in dows)
        day_or = not parts[2].startswith("*") and not parts[4].startswith("*")
        if not day_or and not any(d <= _MONTH_DAYS[m - 1] for m in months for d in days):
            raise ValueError(  # it would silently never fire
                f"day-of-month field '{parts[2]}' never matches month field '{parts[3]}'"
            )
        return cls(spec, minutes, hours, days, months, weekdays, day_or)

    def __str__(self) -> str:
        return self.spec

    def __repr__(self) -> str:
        return f"CronExpr({self.spec!r})"

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.weekday() + 1) % 7 in self.weekdays  # Python: Monday=0
        return (dom or dow) if self.day_or else (dom and dow)

    def matches(self, wall: datetime) -> bool:
        """Whether the schedule fires at this wall-clock minute.

        Parameters:
            wall: naive local wall-clock time; seconds are ignored.

        Raises:
            ValueError: ``wall`` is timezone-aware (use :meth:`fire_times`).
        """
        if wall.tzinfo is not None:
            raise ValueError("matches() takes a naive wall-clock datetime")
        return wall.minute in self.minutes and wall.hour in self.hours and self._day_matches(wall.date())

    def fire_times(self, after: datetime, until: datetime, tz: ZoneInfo) -> Iterator[datetime]:
        """Yield fire instants ``t`` with ``after < t <= until``, in order.

        Parameters:
            after: exclusive lower bound, timezone-aware.
            until: inclusive upper bound, timezone-aware.
            tz: zone whose wall clock the expression is evaluated in.

        Yields:
            Aware UTC datetimes on whole minutes, strictly increasing.

        Raises:
            ValueError: ``after`` or ``until`` is naive.
        """
        if after.tzinfo is None or until.tzinfo is None:
            raise ValueError("fire_times() needs timezone-aware after/until")
        after_utc = after.astimezone(UTC)
        until_utc = until.astimezone(UTC)
        times = sorted(time(h, m) for h in self.hours for m in self.minutes)
        # One day of slack each side: offsets can move a wall date across UTC bounds.
        day = after.astimezone(tz).date() - _DAY
        last_day = until.astimezone(tz).date() + _DAY
        last = after_utc
        while day <= last_day:
            if self._day_matches(day):  # skip whole days cheaply
                for t in times:
                    fire = _resolve(datetime.combine(day, t), tz)
                    if fire > until_utc:
                        return  # resolution is monotone in wall time
                    if fire > last:  # drops duplicates from one DST gap
                        last = fire
                        yield fire
            day += _DAY

    def next_fire(self, after: datetime, tz: ZoneInfo) -> datetime:
        """Return the first fire instant strictly after ``after`` (aware UTC).

        Parameters:
            after: exclusive lower bound, timezone-aware.
            tz: zone whose wall clock the expression is evaluated in.

        Raises:
            ValueError: ``after`` is naive.
        """
        fire = next(self.fire_times(after, after + _SEARCH_HORIZON, tz), None)
        if fire is None:  # unreachable: parse() rejects impossible day/month pairs
            raise ValueError(f"cron expression '{self.spec}' never fires")
        return fire


def _offsets(wall: datetime, tz: ZoneInfo) -> tuple[timedelta, timedelta]:
    first, second = wall.replace(tzinfo=tz).utcoffset(), wall.replace(tzinfo=tz, fold=1).utcoffset()
    assert first is not None and second is not None  # a ZoneInfo always gives an offset
    return first, second


def _resolve(wall: datetime, tz: ZoneInfo) -> datetime:
    """Map a naive wall minute in ``tz`` to the UTC instant it fires at."""
    # PEP 495: in a gap fold=0 uses the earlier (smaller) offset, fold=1 the
    # later one; in an overlap it is the reverse, and fold=0 is the first run.
    before, after = _offsets(wall, tz)
    if before < after:
        # Nonexistent: every wall minute of the gap maps to the transition,
        # i.e. the gap's first minute read with the pre-transition offset.
        while (prev := _offsets(wall - _MINUTE, tz))[0] < prev[1]:
            wall -= _MINUTE
    return (wall - before).replace(tzinfo=UTC)


def cron(spec: str) -> CronExpr:
    """Parse ``spec``; a drop-in for ``periodiq.cron`` in actor declarations.

    Raises:
        ValueError: see :meth:`CronExpr.parse`.
    """
    return CronExpr.parse(spec)


def as_cron(value: object) -> CronExpr:
    """Coerce a ``CronExpr``, a ``str`` or a periodiq ``CronSpec`` to ``CronExpr``.

    Parameters:
        value: the schedule as declared on an actor.

    Raises:
        ValueError: the text does not parse.
        TypeError: ``value`` is none of the accepted types.
    """
    if isinstance(value, CronExpr):
        return value
    if isinstance(value, str):
        return CronExpr.parse(value)
    # Duck-typed so this module does not import periodiq; str() gives its spec text.
    if type(value).__name__ == "CronSpec" and hasattr(value, "astuple"):
        return CronExpr.parse(str(value))
    raise TypeError(f"expected a cron spec, got {type(value).__name__}")
