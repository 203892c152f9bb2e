"""Stop requests of the long-running commands (``up``, ``worker``, ``scheduler``): a flag set by SIGINT/SIGTERM.

A signal handler runs between two bytecodes of the main thread, possibly inside
``Event.set()``, a lock or a ``print``: doing any of those again there can
deadlock (a second signal re-entering ``Event.set()`` did). So the handler
only stores the signal's number; the main thread polls :meth:`StopFlag.wait`
and does the stopping itself, outside any handler.

A child of ``dramaturg up`` is started with SIGINT blocked (:func:`blocking_sigint`):
Ctrl-C reaches the whole process group, and the child must stop on ``up``'s
single SIGTERM instead of on a second, racing signal — also while it is still
importing, before any handler of ours exists.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopFlag:
    """Set by SIGINT or SIGTERM; read by the main thread."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def install(self) -> StopFlag:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._handle)
        return self

    def ignore_further(self) -> None:
        """Ignore stop signals from now on: the process is exiting anyway.

        While the interpreter shuts down it puts the default action back for signals with a Python
        handler, so a second Ctrl-C landing then would kill the process by SIGINT after a clean stop;
        an ignored signal stays ignored.
        """
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signum = signum  # nothing else: see the module's docstring

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def wait(self, timeout: float | None = None, *, interval: float = 0.1) -> bool:
        """Sleep until a stop is requested or ``timeout`` seconds pass; returns whether it was requested."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.requested:
            left = interval if deadline is None else min(interval, deadline - time.monotonic())
            if left <= 0:
                break
            time.sleep(left)
        return self.requested

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` unless a stop is requested first (a back-off that a stop cuts short)."""
        self.wait(seconds)


@contextmanager
def blocking_sigint() -> Iterator[None]:
    """Block SIGINT in this thread while children are started: they inherit the mask.

    A SIGINT arriving meanwhile stays pending and is delivered to this process
    when the block ends, so ``up`` itself loses no Ctrl-C.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
