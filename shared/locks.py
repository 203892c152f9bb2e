"""Advisory transaction locks keyed by job name + period (hour, day, …).

A cron run and a manual trigger of the same job and period take the same
key, so they never run concurrently: ``wait`` blocks until the other
commits; ``skip`` returns False at once (the run is then recorded as skipped).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from shared.sql import sa_text

Mode = Literal["wait", "skip"]
PERIODS = ("minute", "hour", "day", "none")


def period_key(at: datetime, granularity: str) -> str:
    """The period an instant falls in, as text: ``2026-11-26T13`` for hour, ``2026-11-26`` for day."""
    at = at.astimezone(at.tzinfo)
    if granularity == "minute":
        return at.strftime("%Y-%m-%dT%H:%M")
    if granularity == "hour":
        return at.strftime("%Y-%m-%dT%H")
    if granularity == "day":
        return at.strftime("%Y-%m-%d")
    if granularity == "none":
        return "-"
    raise ValueError(f"unknown period granularity {granularity!r}; use one of {PERIODS}")


def lock_key(job: str, period: str) -> int:
    """A stable signed 64-bit key (Postgres' advisory lock space) for ``job`` + ``period``."""
    digest = hashlib.blake2b(f"{job}|{period}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def acquire(session: Session, job: str, period: str, mode: Mode = "wait") -> bool:
    """Take the (job, period) lock for the rest of ``session``'s transaction.

    Returns:
        True when held; False only in ``skip`` mode when another transaction holds it.
    """
    key = lock_key(job, period)
    if mode == "wait":
        session.execute(sa_text("locks", "lock_wait"), {"key": key})
        return True
    if mode == "skip":
        return bool(session.execute(sa_text("locks", "lock_try"), {"key": key}).scalar())
    raise ValueError(f"lock mode must be 'wait' or 'skip', not {mode!r}")
