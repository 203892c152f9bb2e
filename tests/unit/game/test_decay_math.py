"""Decay arithmetic: whole overdue hours, the watermark, the per-run cap and the floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from actors.game.decay_math import plan_decay

BASE = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)
H = timedelta(hours=1)


def plan(hours_after_base: float, *, grace=8, rate=0.8, cap=20, score=50, watermark=None):
    return plan_decay(
        base=BASE,
        grace_hours=grace,
        rate=rate,
        cap=cap,
        score=Decimal(score),
        as_of=BASE + timedelta(hours=hours_after_base),
        watermark=watermark,
    )


def test_nothing_is_owed_within_grace_or_before_a_whole_overdue_hour():
    assert not plan(8).applies
    assert not plan(8.99).applies


def test_each_whole_overdue_hour_costs_the_rate_and_the_watermark_ends_the_last_one():
    p = plan(11.5)
    assert (p.hours, p.delta, p.score_after, p.watermark) == (3, Decimal("2.40"), Decimal("47.60"), BASE + 11 * H)


def test_hours_up_to_the_watermark_are_never_charged_again():
    assert not plan(11.5, watermark=BASE + 11 * H).applies
    p = plan(13, watermark=BASE + 11 * H)
    assert (p.hours, p.delta, p.watermark) == (2, Decimal("1.60"), BASE + 13 * H)


def test_an_old_watermark_from_before_the_last_interaction_is_ignored():
    p = plan(10, watermark=BASE - 5 * H)
    assert (p.hours, p.watermark) == (2, BASE + 10 * H)


def test_a_run_charges_at_most_the_cap_and_forgives_the_rest():
    p = plan(8 + 100)
    assert (p.hours, p.delta, p.capped, p.watermark) == (100, Decimal("20.00"), True, BASE + 108 * H)


def test_the_score_never_goes_below_zero_and_zero_is_game_over():
    p = plan(13, score=1)
    assert (p.delta, p.score_after, p.game_over) == (Decimal("1.00"), Decimal("0.00"), True)
    assert not plan(9, score=10).game_over


def test_each_chapter_rate_applies():
    for grace, rate, expected in ((16, 0.6, "0.60"), (24, 0.4, "0.40"), (48, 0.3, "0.30"), (72, 0.2, "0.20")):
        assert plan(grace + 1, grace=grace, rate=rate).delta == Decimal(expected)
