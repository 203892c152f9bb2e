"""The clock guard: a process's clock is checked against the database's before it schedules, works or triggers.

Every process reads business time from its own :class:`~shared.clock.Clock`,
but the processes of one deployment must agree on it: a scheduler whose host
clock runs a year ahead would otherwise move every watermark into the future,
and a tick judged late by a fast clock would be dropped. The database's clock
is the one they all share, so it is the reference:

- a real clock may differ from it by at most ``DRAMATURG_MAX_CLOCK_SKEW``
  seconds; beyond that the process refuses to schedule (or, for a worker, to
  start), says so in its log and records it in ``clock_checks`` for
  ``dramaturg status``;
- a simulated clock (``DRAMATURG_NOW``/``DRAMATURG_CLOCK_RATE``, a test's
  ``FrozenClock``) is only accepted when the database is marked as simulated
  (``clock_simulation``): with a timeline in the mark (start, anchor, rate),
  the reference is that timeline read off the database's clock and the same
  tolerance applies; without one (tests moving a frozen clock by hand), the
  process's clock is trusted.

Within the tolerance the scheduler works on the reference instant itself, so
redundant schedulers with skewed clocks agree on which ticks are due and late.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import RealDictCursor

from shared.clock import Clock, is_simulated
from shared.db import pg_connection
from shared.errors import ClockSkew
from shared.sql import queries

if TYPE_CHECKING:
    from shared.app import App

logger = logging.getLogger(__name__)
SQL = queries("clock")
#: How long a process's last check stays in ``dramaturg status``.
RECENT_SECONDS = 600


@dataclass(frozen=True)
class ClockReading:
    """One comparison of a process's clock with the database's."""

    clock_at: datetime  # this process's clock
    db_at: datetime  # the database's clock_timestamp()
    reference_at: datetime  # the instant every process should agree on
    clock_simulated: bool
    db_simulated: bool
    tolerance: float  # seconds

    @property
    def skew(self) -> float:
        """Seconds this process's clock is ahead of the reference (negative: behind)."""
        return (self.clock_at - self.reference_at).total_seconds()

    @property
    def problem(self) -> str | None:
        """Why this clock must not be used, or None when it may."""
        if self.clock_simulated and not self.db_simulated:
            return (
                f"this process's clock is simulated ({self.clock_at.isoformat()}; DRAMATURG_NOW/DRAMATURG_CLOCK_RATE) "
                "but the database is not marked as simulated, so it runs on real time"
            )
        if abs(self.skew) > self.tolerance:
            return (
                f"this process's clock ({self.clock_at.isoformat()}) is {self.skew:+.1f}s off the database's "
                f"({self.reference_at.isoformat()}), more than DRAMATURG_MAX_CLOCK_SKEW={self.tolerance:g}s"
            )
        return None

    @property
    def trusted(self) -> bool:
        return self.problem is None

    @property
    def ceiling(self) -> datetime:
        """No watermark or trigger may be past this instant."""
        return self.reference_at + timedelta(seconds=self.tolerance)


def read(raw: PgConnection, clock: Clock, tolerance: float, *, at: datetime | None = None) -> ClockReading:
    """Compare ``clock`` (or the instant ``at`` it is asked about) with the database's clock.

    Parameters:
        raw: a psycopg2 connection; runs in its current transaction.
        tolerance: DRAMATURG_MAX_CLOCK_SKEW, in seconds.
    """
    clock_at = (at or clock.now()).astimezone(UTC)
    with raw.cursor() as cur:
        cur.execute(SQL["clock_read"])
        db_at, db_simulated, timeline_at = cast(tuple[datetime, bool, datetime | None], cur.fetchone())
    clock_simulated = at is not None or is_simulated(clock)
    if not db_simulated:
        reference = db_at
    elif timeline_at is not None:
        reference = timeline_at
    else:  # a simulated database without a timeline: the process's clock is the reference
        reference = clock_at
    return ClockReading(clock_at, db_at, reference, clock_simulated, bool(db_simulated), tolerance)


def reference_now(app: App, raw: PgConnection) -> ClockReading:
    """A reading for ``app``'s clock and tolerance, in ``raw``'s transaction."""
    return read(raw, app.clock, app.settings.max_clock_skew)


def process_name(role: str) -> str:
    return f"{role}@{socket.gethostname()}:{os.getpid()}"


def record(raw: PgConnection, process: str, role: str, reading: ClockReading) -> None:
    """Store ``reading`` as ``process``'s last clock check (in the caller's transaction)."""
    with raw.cursor() as cur:
        cur.execute(
            SQL["clock_check_record"],
            dict(
                process=process,
                role=role,
                state="ok" if reading.trusted else "refused",
                clock_at=reading.clock_at,
                reference_at=reading.reference_at,
                skew=reading.skew,
                detail=reading.problem,
            ),
        )
        cur.execute(SQL["clock_check_prune"])


def recent(raw: PgConnection, within: float = RECENT_SECONDS) -> list[dict[str, Any]]:
    """The clock checks of processes seen in the last ``within`` seconds, for ``dramaturg status``."""
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL["clock_checks_recent"], {"within": within})
        return [dict(r) for r in cur.fetchall()]


def check_at_start(app: App, role: str) -> ClockReading:
    """Refuse to start a process (a worker) whose clock cannot be trusted; record the check either way.

    Raises:
        ClockSkew: naming the skew and the setting.
    """
    with app.engine.begin() as conn:
        raw = pg_connection(conn)
        reading = read(raw, app.clock, app.settings.max_clock_skew)
        record(raw, process_name(role), role, reading)
    if not reading.trusted:
        raise ClockSkew(f"{role} refuses to start: {reading.problem}")
    return reading


def mark_simulated(
    raw: PgConnection,
    *,
    start: datetime | None = None,
    anchor: datetime | None = None,
    rate: float = 1.0,
    note: str = "",
) -> None:
    """Mark the database as running on a simulated clock (tests, demos, replays).

    With ``start`` and ``anchor``, every process is checked against the timeline
    that reads ``start`` at the real instant ``anchor`` and runs ``rate`` times
    as fast; without them, any simulated clock is trusted.
    """
    if (start is None) != (anchor is None):
        raise ValueError("a simulated timeline needs both start and anchor")
    with raw.cursor() as cur:
        cur.execute(SQL["clock_simulation_mark"], dict(start=start, anchor=anchor, rate=rate, note=note))


def clear_simulated(raw: PgConnection) -> None:
    """The database runs on real time again."""
    with raw.cursor() as cur:
        cur.execute(SQL["clock_simulation_clear"])
