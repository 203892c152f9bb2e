"""Next due date arithmetic: every recurrence type, month ends, leap years, DST, roll-forward."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from actors.tasks.recurrence import next_due

UTC = UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def local(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def nxt(prev, kind, interval=1, zone=UTC, now=None, anchor=None):
    # "now" defaults to the previous due date: the next occurrence is one step on.
    return next_due(prev, kind, interval, zone, now=now or prev, anchor_day=anchor)


@pytest.mark.parametrize(
    ("kind", "interval", "expected"),
    [
        ("daily", 1, datetime(2026, 3, 6, 9, tzinfo=UTC)),
        ("daily", 3, datetime(2026, 3, 8, 9, tzinfo=UTC)),
        ("weekly", 1, datetime(2026, 3, 12, 9, tzinfo=UTC)),
        ("weekly", 2, datetime(2026, 3, 19, 9, tzinfo=UTC)),
        ("monthly", 1, datetime(2026, 4, 5, 9, tzinfo=UTC)),
        ("monthly", 3, datetime(2026, 6, 5, 9, tzinfo=UTC)),
        ("yearly", 1, datetime(2027, 3, 5, 9, tzinfo=UTC)),
        ("yearly", 2, datetime(2028, 3, 5, 9, tzinfo=UTC)),
        ("custom", 10, datetime(2026, 3, 15, 9, tzinfo=UTC)),
    ],
)
def test_each_type_steps_by_its_interval_from_the_previous_due_date(kind, interval, expected):
    # Given a task due 2026-03-05 09:00 UTC; When the next instance is computed; Then it is one step on
    assert nxt(datetime(2026, 3, 5, 9, tzinfo=UTC), kind, interval) == expected


def test_monthly_from_jan_31_clamps_to_feb_28_then_returns_to_the_31st():
    # Given a monthly series anchored on the 31st
    jan = datetime(2026, 1, 31, 9, tzinfo=UTC)
    feb = nxt(jan, "monthly", anchor=31)
    mar = nxt(feb, "monthly", anchor=31)
    apr = nxt(mar, "monthly", anchor=31)
    # Then the short months clamp and the anchor comes back
    assert (feb.date().isoformat(), mar.date().isoformat(), apr.date().isoformat()) == (
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
    )


def test_monthly_from_jan_31_in_a_leap_year_lands_on_feb_29():
    assert nxt(datetime(2028, 1, 31, 9, tzinfo=UTC), "monthly").date().isoformat() == "2028-02-29"


def test_monthly_without_anchor_uses_the_previous_due_day():
    assert nxt(datetime(2026, 1, 30, 9, tzinfo=UTC), "monthly").date().isoformat() == "2026-02-28"


def test_monthly_crosses_the_year_end():
    assert nxt(datetime(2026, 11, 30, 9, tzinfo=UTC), "monthly", 2).date().isoformat() == "2027-01-30"


def test_yearly_feb_29_falls_on_feb_28_in_common_years_and_back_on_leap_years():
    # Given a yearly series started on a leap day
    dates, due = [], datetime(2024, 2, 29, 9, tzinfo=UTC)
    for _ in range(4):
        due = nxt(due, "yearly", anchor=29)
        dates.append(due.date().isoformat())
    # Then it is Feb 28 in common years and Feb 29 again in 2028
    assert dates == ["2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29"]


def test_next_due_is_rolled_forward_past_now_so_it_is_never_born_overdue():
    # Given a daily task due ten days ago, completed today
    prev = datetime(2026, 2, 23, 9, tzinfo=UTC)
    now = datetime(2026, 3, 5, 10, tzinfo=UTC)
    # Then the next one is tomorrow 09:00, keeping the series' time of day
    assert nxt(prev, "daily", now=now) == datetime(2026, 3, 6, 9, tzinfo=UTC)


def test_next_due_equal_to_now_is_rolled_one_more_step():
    prev = datetime(2026, 3, 4, 9, tzinfo=UTC)
    assert nxt(prev, "daily", now=datetime(2026, 3, 5, 9, tzinfo=UTC)) == datetime(2026, 3, 6, 9, tzinfo=UTC)


def test_roll_forward_over_years_keeps_the_monthly_anchor():
    prev = datetime(2020, 1, 31, 9, tzinfo=UTC)
    now = datetime(2026, 2, 10, 0, tzinfo=UTC)
    assert nxt(prev, "monthly", now=now, anchor=31) == datetime(2026, 2, 28, 9, tzinfo=UTC)


def test_roll_forward_respects_the_interval_phase():
    # Given every 3 days from Mar 1; When completed on Mar 9; Then Mar 10 (1, 4, 7, 10), not Mar 9+3
    prev = datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert nxt(prev, "custom", 3, now=datetime(2026, 3, 9, 12, tzinfo=UTC)) == datetime(2026, 3, 10, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "prev", "expected_utc"),
    [
        # Berlin springs forward on 2026-03-29: 09:00 CET = 08:00 UTC, 09:00 CEST = 07:00 UTC
        (BERLIN, (2026, 3, 28, 9), datetime(2026, 3, 29, 7, tzinfo=UTC)),
        # Berlin falls back on 2026-10-25
        (BERLIN, (2026, 10, 24, 9), datetime(2026, 10, 25, 8, tzinfo=UTC)),
        # New York springs forward on 2026-03-08: 09:00 EST = 14:00 UTC, 09:00 EDT = 13:00 UTC
        (NEW_YORK, (2026, 3, 7, 9), datetime(2026, 3, 8, 13, tzinfo=UTC)),
        # New York falls back on 2026-11-01
        (NEW_YORK, (2026, 10, 31, 9), datetime(2026, 11, 1, 14, tzinfo=UTC)),
    ],
)
def test_daily_keeps_local_wall_clock_time_across_dst(zone, prev, expected_utc):
    # Given a daily 09:00 local task the day before a DST switch
    due = nxt(local(zone, *prev), "daily", zone=zone)
    # Then the next one is 09:00 local again, an hour off in UTC
    assert due == expected_utc
    assert due.astimezone(zone).hour == 9


def test_weekly_and_monthly_keep_local_time_across_dst():
    weekly = nxt(local(NEW_YORK, 2026, 3, 2, 18), "weekly", zone=NEW_YORK)
    monthly = nxt(local(BERLIN, 2026, 3, 15, 7, 30), "monthly", zone=BERLIN)
    assert weekly.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2026, 3, 9, 18)
    assert monthly.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 4, 15, 7, 30)


def test_a_local_time_skipped_by_spring_forward_moves_to_after_the_gap():
    # Given a daily 02:30 New York task; 02:30 does not exist on 2026-03-08
    due = nxt(local(NEW_YORK, 2026, 3, 7, 2, 30), "daily", zone=NEW_YORK)
    # Then it fires at 03:30 EDT (07:30 UTC)
    assert due == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_a_repeated_local_time_at_fall_back_is_its_first_occurrence():
    # Given a daily 01:30 New York task; 01:30 happens twice on 2026-11-01
    due = nxt(local(NEW_YORK, 2026, 10, 31, 1, 30), "daily", zone=NEW_YORK)
    # Then it is the first one, in daylight time (05:30 UTC)
    assert due == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(("kind", "interval"), [("hourly", 1), ("daily", 0), ("custom", -2)])
def test_invalid_type_or_interval_is_rejected(kind, interval):
    with pytest.raises(ValueError):
        nxt(datetime(2026, 3, 5, tzinfo=UTC), kind, interval)


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError):
        next_due(datetime(2026, 3, 5), "daily", 1, UTC, now=datetime(2026, 3, 5, tzinfo=UTC))
