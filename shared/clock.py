"""The one clock every component reads.

Jobs, the scheduler, the broker's delays and the history all ask a ``Clock``
for the time, and SQL receives that time as a parameter instead of calling
``now()``. Tests and demos can then run any job at any instant:

- ``SystemClock``: the real time.
- ``OffsetClock``: starts at a given instant and runs forward in real time
  (``DRAMATURG_NOW=2026-03-29T00:59:30Z``).
- ``FrozenClock``: stays at an instant until told to move
  (``DRAMATURG_NOW=... DRAMATURG_CLOCK_FROZEN=true``, or tests calling ``advance``).

Leases and heartbeats of the broker deliberately use real time: they measure
whether a process is alive, not when business happens.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol

logger = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""


class SystemClock:
    """Real UTC time."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class OffsetClock:
    """Starts at ``start`` and advances with real time."""

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(timezone.utc)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


class FrozenClock:
    """Stays at one instant; ``advance``/``set`` move it (thread-safe)."""

    def __init__(self, at: datetime) -> None:
        self._lock = threading.Lock()
        self._at = at.astimezone(timezone.utc)

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = at.astimezone(timezone.utc)

    def advance(self, delta: timedelta | float) -> datetime:
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        with self._lock:
            self._at += delta
            return self._at


def clock_from_settings(settings) -> Clock:
    """Build the clock that ``DRAMATURG_NOW`` / ``DRAMATURG_CLOCK_FROZEN`` ask for."""
    if settings.now is None:
        return SystemClock()
    kind = "frozen at" if settings.clock_frozen else "starting at"
    logger.warning(
        "!!! DRAMATURG_NOW is set: this process's clock is %s %s, not the real time. "
        "Use it for tests, demos and replays only. !!!",
        kind,
        settings.now.isoformat(),
    )
    return FrozenClock(settings.now) if settings.clock_frozen else OffsetClock(settings.now)
