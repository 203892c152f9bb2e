"""How many rows one consumer holds claimed: about ``HORIZON`` seconds of its own pace.

Dramatiq prefetches 2 × threads, which suits jobs that take a while: a worker
holds little that another could run. For jobs of a few milliseconds (a
fan-out's children) that window makes the consumer claim every few messages,
and its claim-and-ack cycle, not the jobs, sets the pace. So the window
follows the consumer's measured pace: never below 2 × threads, at most
``MOST``; rows held beyond the threads' own are about ``HORIZON`` of work,
which another worker on the same backlog would barely have started.
``DRAMATURG_CLAIM_WINDOW`` fixes it instead.
"""

from __future__ import annotations

#: Seconds of this consumer's pace that it holds claimed.
HORIZON = 0.05
#: The widest adaptive window: past it, claims of half of it gained nothing in the benchmark.
MOST = 64
#: The pace is measured over intervals at least this long (seconds).
SAMPLE = 0.2


class ClaimWindow:
    """The window of one consumer: ``size`` now, ``observe`` after each cycle (not thread-safe:
    only the consumer thread uses it). Times are ``time.monotonic()`` seconds, passed in."""

    def __init__(self, least: int, *, fixed: bool = False, most: int = MOST) -> None:
        self.least = max(1, least)
        self.most = self.least if fixed else max(self.least, most)
        self.rate = 0.0  # outcomes per second, smoothed
        self._count = 0
        self._since: float | None = None

    @property
    def size(self) -> int:
        return max(self.least, min(self.most, int(self.rate * HORIZON)))

    @property
    def refill_at(self) -> int:
        """Claim again once this many slots are free: one claim per several messages."""
        return max(1, self.size // 2)

    def observe(self, finished: int, at: float) -> None:
        """``finished`` outcomes were written at ``at``."""
        if self.most == self.least:
            return
        if self._since is None:
            self._since = at
        self._count += finished
        elapsed = at - self._since
        if elapsed >= SAMPLE:
            pace = self._count / elapsed
            self.rate = (self.rate + pace) / 2
            self._count, self._since = 0, at
