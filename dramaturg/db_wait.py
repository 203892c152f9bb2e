"""Wait for the database at a command's start: backing off, cut short by a stop, bounded when asked.

``worker``, ``scheduler`` and ``up`` wait as long as it takes (a platform starts
them before the database may be up); ``migrate``, the release step, gives up
after its ``--wait`` seconds with the reason, and at once when the server
answers but refuses the URL (no such database or role, a wrong password):
waiting does not fix those.
"""

from __future__ import annotations

import logging
import time

from dramaturg.stopping import StopFlag
from shared.app import App
from shared.errors import DatabaseRefused, DatabaseUnavailable

logger = logging.getLogger("dramaturg")


def wait_for_database(
    app: App, stop: StopFlag | None = None, *, seconds: float | None = None, max_backoff: float = 10.0
) -> bool:
    """Return True once the database answers, False when a stop was requested first.

    Raises:
        DatabaseUnavailable: ``seconds`` passed (the last error's reason), or the URL was refused
            while ``seconds`` bounds the wait.
    """
    deadline = None if seconds is None else time.monotonic() + seconds
    delay = 0.5
    while stop is None or not stop.requested:
        try:
            app.check_database()
            return True
        except DatabaseUnavailable as exc:
            if deadline is not None and (isinstance(exc, DatabaseRefused) or time.monotonic() + delay > deadline):
                raise
            logger.error("waiting for the database: %s; retrying in %.1fs", exc, delay)
            if stop is None:
                time.sleep(delay)
            else:
                stop.sleep(delay)
            delay = min(delay * 2, max_backoff)
    return False
