"""Pure decay arithmetic: how many whole overdue hours a user owes, and what they cost.

Used by the decay job's child (actors/game/decay.py) under the user's row
lock; no I/O here, so the rules are unit-tested directly.

Rules: a user becomes overdue ``grace`` after their last interaction (or
sign-up). Each *whole* overdue hour costs the chapter's rate, once: the
watermark is the end of the last hour already accounted for. One run charges
at most ``cap`` points; whole hours beyond it are forgiven (the watermark still
advances past them). The score never goes below 0, and 0 means game over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

HOUR = timedelta(hours=1)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class DecayPlan:
    hours: int  # new whole overdue hours accounted for by this run
    delta: Decimal  # points removed (≤ cap, ≤ score)
    score_before: Decimal
    score_after: Decimal
    watermark: datetime | None  # end of the last accounted hour (None: nothing to do)
    capped: bool  # some of ``hours`` were forgiven by the cap
    game_over: bool

    @property
    def applies(self) -> bool:
        return self.hours > 0


def overdue_since(base: datetime, grace_hours: float) -> datetime:
    """The instant the grace period after ``base`` ends."""
    return base + timedelta(hours=grace_hours)


def plan_decay(
    *,
    base: datetime,
    grace_hours: float,
    rate: float,
    cap: float,
    score: Decimal,
    as_of: datetime,
    watermark: datetime | None = None,
) -> DecayPlan:
    """What a decay run at ``as_of`` must do for one user.

    Parameters:
        base: last interaction (or creation) time.
        watermark: end of the last hour already charged, if any; hours ending
            at or before it (or before the grace ends) are never charged again.
    """
    score = Decimal(score).quantize(CENT)
    start = overdue_since(base, grace_hours)
    if watermark is not None and watermark > start:
        start = watermark
    hours = int((as_of - start) // HOUR) if as_of > start else 0
    if hours <= 0:
        return DecayPlan(0, Decimal("0.00"), score, score, None, False, False)
    owed = (Decimal(str(rate)) * hours).quantize(CENT, rounding=ROUND_HALF_UP)
    limit = Decimal(str(cap)).quantize(CENT)
    charged = min(owed, limit)
    after = max(Decimal("0.00"), score - charged).quantize(CENT)
    return DecayPlan(
        hours=hours,
        delta=(score - after),
        score_before=score,
        score_after=after,
        watermark=start + hours * HOUR,
        capped=owed > limit,
        game_over=after == 0,
    )
