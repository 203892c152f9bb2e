"""Clocks for tests of the clock guard: a host whose real clock is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SkewedClock:
    """Real time off by ``offset`` seconds, as on a host with a misset clock.

    Not a simulation (``simulated = False``): nothing tells the guard this
    clock is a test's, exactly as with a misconfigured production host.
    """

    simulated = False

    def __init__(self, offset: float) -> None:
        self.offset = timedelta(seconds=offset)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset
