"""Wait on a condition with a deadline — the only way tests here wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], timeout: float = 10.0, interval: float = 0.02, message: str | Callable[[], str] = ""
) -> T:
    """Return ``condition()``'s first truthy value; fail the test after ``timeout`` seconds.

    ``message`` may be a callable, evaluated only on failure to describe the state.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = message() if callable(message) else message
            raise AssertionError(f"condition not met within {timeout}s: {detail or condition}")
        time.sleep(interval)  # sleep-ok: polling interval of a deadline-bounded wait
