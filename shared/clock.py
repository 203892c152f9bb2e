"""The one clock every component reads.

Jobs, the scheduler, the broker's delays and the history all ask a ``Clock``
for the time, and SQL receives that time as a parameter instead of calling
``now()``. Tests and demos can then run any job at any instant:

- ``SystemClock``: the real time.
- ``OffsetClock``: starts at a given instant and runs forward in real time,
  or ``rate`` times faster (``DRAMATURG_NOW=2026-03-29T00:59:30Z``,
  ``DRAMATURG_CLOCK_RATE=60`` makes a minute of backoff pass in a second).
- ``FrozenClock``: stays at an instant until told to move
  (``DRAMATURG_NOW=... DRAMATURG_CLOCK_FROZEN=true``, or tests calling ``advance``).

Leases and heartbeats of the broker deliberately use real time: they measure
whether a process is alive, not when business happens.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from shared.settings import Settings

logger = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""


class SystemClock:
    """Real UTC time."""

    #: Not a test's or a demo's clock: checked against the database's (see shared/clock_guard.py).
    simulated = False

    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    """Reads ``start`` at the real instant ``anchor`` (default: now) and advances ``rate`` times as fast.

    Processes given the same start, anchor and rate agree on the time, so a
    scheduler and workers started at different moments share one timeline.
    """

    simulated = True

    def __init__(self, start: datetime, rate: float = 1.0, anchor: datetime | None = None) -> None:
        self._start = start.astimezone(UTC)
        self._anchor = (anchor or datetime.now(UTC)).timestamp()
        self.rate = rate

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.time() - self._anchor) * self.rate)


class FrozenClock:
    """Stays at one instant; ``advance``/``set`` move it (thread-safe)."""

    simulated = True

    def __init__(self, at: datetime) -> None:
        self._lock = threading.Lock()
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta | float) -> datetime:
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        with self._lock:
            self._at += delta
            return self._at


def clock_from_settings(settings: Settings) -> Clock:
    """Build the clock that ``DRAMATURG_NOW`` / ``DRAMATURG_CLOCK_FROZEN`` / ``DRAMATURG_CLOCK_RATE`` ask for."""
    if settings.now is None and settings.clock_rate == 1:
        return SystemClock()
    start = settings.now or datetime.now(UTC)
    kind = "frozen at" if settings.clock_frozen else f"running at {settings.clock_rate:g}x from"
    logger.warning(
        "!!! DRAMATURG_NOW/DRAMATURG_CLOCK_RATE is set: this process's clock is %s %s, not the real time. "
        "Use it for tests, demos and replays only. !!!",
        kind,
        start.isoformat(),
    )
    if settings.clock_frozen:
        return FrozenClock(start)
    return OffsetClock(start, settings.clock_rate, settings.clock_anchor)


def is_simulated(clock: Clock) -> bool:
    """True for a test's or demo's clock; any clock that does not say otherwise counts as simulated."""
    return bool(getattr(clock, "simulated", True))


def real_seconds(clock: Clock, clock_seconds: float) -> float:
    """How long to really wait for ``clock_seconds`` to pass on ``clock``."""
    return clock_seconds / getattr(clock, "rate", 1.0)
