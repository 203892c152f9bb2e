"""Advisory transaction locks keyed by job name + period (hour, day, …).

A cron run and a manual trigger of the same job and period take the same
key, so they never run concurrently: ``wait`` blocks until the other
commits; ``skip`` returns False at once (the run is then recorded as skipped).

A run may only be skipped when the holder will record the period's outcome:
:func:`acquire_for_run` names each run in its transaction's
``application_name`` and, on a held lock, looks the holder up. A holder that
is this very message (an earlier attempt, frozen or dying, whose lease
expired and whose message was rescued) or whose message no longer has a live
lease, or a holder that is no run at all, gives ``retry``: the period runs
once that transaction ends — committed or rolled back with a dead worker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from shared.sql import sa_text

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

Mode = Literal["wait", "skip"]
PERIODS = ("minute", "hour", "day", "none")


def period_key(at: datetime, granularity: str) -> str:
    """The period an instant falls in, as text: ``2026-11-26T13`` for hour, ``2026-11-26`` for day."""
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


RUN_TAG = "dramaturg run "


@dataclass(frozen=True)
class Verdict:
    """What a run does about its (job, period) lock: ``held`` (go on), ``skip`` or ``retry``, and why."""

    action: Literal["held", "skip", "retry"]
    why: str = ""


def acquire_for_run(session: Session, job: str, period: str, mode: Mode, *, message_id: str | None) -> Verdict:
    """Take the (job, period) lock for the run of ``message_id``, or say whether to skip or retry.

    Only a holder that is another message's run under a live lease is waited
    for (``wait``) or skipped (``skip``): that run records the outcome, and if
    it dies its message runs again. Any other holder gives ``retry``, in both
    modes — waiting on a frozen earlier attempt of this very message would
    block forever.
    """
    if mode not in ("wait", "skip"):
        raise ValueError(f"lock mode must be 'wait' or 'skip', not {mode!r}")
    tag = RUN_TAG + message_id if message_id else None
    if tag:
        session.execute(sa_text("locks", "lock_tag_run"), {"tag": tag})
    if acquire(session, job, period, "skip"):
        return Verdict("held")
    holder = _holder(session, lock_key(job, period))
    if holder is None:  # the holder finished between the two looks
        if acquire(session, job, period, "skip"):
            return Verdict("held")
        return Verdict("retry", "the lock changed hands while it was looked up")
    pid, app, state, lease_alive = holder
    if tag and app == tag:
        return Verdict("retry", f"an earlier attempt of this message (backend pid {pid}) still holds it")
    if app and app.startswith(RUN_TAG) and state == "consumed" and lease_alive:
        if mode == "wait":
            acquire(session, job, period, "wait")  # blocks until that run's transaction ends
            return Verdict("held")
        return Verdict("skip", f"run of message {app[len(RUN_TAG) :]} (backend pid {pid}) is live")
    what = f"message {app[len(RUN_TAG) :]}" if app and app.startswith(RUN_TAG) else f"{app or 'an unnamed session'!r}"
    return Verdict("retry", f"held by {what} (backend pid {pid}), which is not a live run")


def _holder(session: Session, key: int) -> sa.Row[int, str | None, str | None, bool] | None:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    params = {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF}
    return session.execute(sa_text("locks", "lock_holder"), params).first()
