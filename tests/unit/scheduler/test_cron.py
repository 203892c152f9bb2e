"""Unit tests for scheduler.cron: parsing, matching and DST-aware fire times.

croniter (an independent implementation) serves as the oracle. Known,
deliberate differences from croniter:

* fall-back overlaps: croniter fires at both occurrences of an ambiguous wall
  time; we fire only at the first (fold=0);
* spring-forward gaps: croniter fires a skipped daily time at the first
  instant after the gap but silently drops skipped minutes of more frequent
  schedules ("30 * * * *", hourly at a 30-min gap); we fire once per gap;
* "*/n" in day-of-month/day-of-week: Vixie cron (and we) treat a field
  starting with '*' as unrestricted; croniter treats it as restricted.
"""

import time
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import periodiq
import pytest
from croniter import croniter

from scheduler.cron import CronExpr, as_cron, cron

UTC = UTC
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

ORACLE_SPECS = [
    "* * * * *",
    "*/5 * * * *",
    "7/20 * * * *",
    "0 * * * *",
    "30 * * * *",
    "59 23 * * *",
    "0 */6 * * *",
    "0 0 * * *",
    "0 0 * * 0",
    "0 0 * * 7",
    "0 22 * * 5-7",
    "0 9 * * mon-fri",
    "*/15 9-17 * * 1-5",
    "15 10 1,15 * *",
    "0 0 1 */3 *",
    "0 12 * jan,jul *",
    "0 12 * JAN-Mar SUN",
    "0 0 13 * fri",
    "0 0 1-7 * 1",
    "0 0 31 * *",
    "0 0 29 2 *",
    "5-10/2 3 * * *",
    "@weekly",
    "@monthly",
    "@yearly",
    "@daily",
]

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
]
ZONE_SPECS = [
    "*/15 * * * *",
    "0 * * * *",
    "30 * * * *",
    "30 2 * * *",
    "45 1 * * 0",
    "0 9 * * mon-fri",
    "0 0 1 * *",
    "0 0 13 * fri",
]


@cache
def croniter_fires(spec, zone=None):
    """croniter's fire instants in 2026 as aware UTC datetimes, in order."""
    if zone is None:
        # Naive datetimes are croniter's fast path; treat them as UTC.
        it = croniter(spec, (YEAR_START - timedelta(minutes=1)).replace(tzinfo=None))
        end = YEAR_END.replace(tzinfo=None)
        fires = []
        while (t := it.get_next(datetime)) <= end:
            fires.append(t.replace(tzinfo=UTC))
        return tuple(fires)
    tz = ZoneInfo(zone)
    it = croniter(spec, YEAR_START.astimezone(tz))
    fires = []
    while (t := it.get_next(datetime).astimezone(UTC)) <= YEAR_END:
        fires.append(t)
    return tuple(fires)


@pytest.fixture(scope="module")
def minutes_of_2026():
    start = YEAR_START.replace(tzinfo=None)
    return [start + timedelta(minutes=i) for i in range(365 * 24 * 60)]


def local(t, tz):
    return t.astimezone(tz).replace(tzinfo=None)


# --- Oracle comparison in UTC ------------------------------------------------


@pytest.mark.parametrize("spec", ORACLE_SPECS)
def test_matches_and_fire_times_agree_with_croniter_on_every_minute_of_2026(spec, minutes_of_2026):
    # Given a spec and croniter's fire times for 2026 in UTC
    expr = CronExpr.parse(spec)
    oracle = croniter_fires(spec)
    # When we test every minute of the year and enumerate fire times
    matched = [w for w in minutes_of_2026 if expr.matches(w)]
    fired = list(expr.fire_times(YEAR_START - timedelta(minutes=1), YEAR_END, UTC))
    # Then both agree with croniter minute for minute
    oracle_walls = [t.replace(tzinfo=None) for t in oracle if t < YEAR_END]
    assert matched == oracle_walls
    assert fired == list(oracle)


# --- Named zones ---------------------------------------------------------------


@pytest.mark.parametrize("spec", ZONE_SPECS)
@pytest.mark.parametrize("zone", ZONES)
def test_fire_times_in_named_zones_agree_with_croniter_outside_dst_transitions(zone, spec):
    # Given a zone, a spec and croniter's sequence started in that zone
    tz = ZoneInfo(zone)
    expr = CronExpr.parse(spec)
    oracle = croniter_fires(spec, zone)
    # When we enumerate the year's fire times on that zone's wall clock
    fired = list(expr.fire_times(YEAR_START, YEAR_END, tz))
    # Then they agree except at DST transitions (see module docstring), where
    # croniter's extra runs are repeats of an ambiguous wall time (fold=1) ...
    croniter_only = set(oracle) - set(fired)
    assert all(t.astimezone(tz).fold == 1 for t in croniter_only)
    # ... and our extra runs are single catch-ups at the end of a gap: their own
    # wall time does not match and the wall minute before them was skipped.
    ours_only = set(fired) - set(oracle)
    assert all(
        not expr.matches(local(t, tz)) and local(t - timedelta(minutes=1), tz) != local(t, tz) - timedelta(minutes=1)
        for t in ours_only
    )
    assert [t for t in fired if t not in ours_only] == [t for t in oracle if t not in croniter_only]
    assert all(t.second == 0 and t.microsecond == 0 and t.tzinfo is UTC for t in fired)
    if zone in ("Asia/Kolkata", "Asia/Kathmandu"):  # no DST: no exclusions at all
        assert not croniter_only and not ours_only


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK], ids=str)
def test_daily_0230_fires_exactly_once_on_every_local_day_of_2026(tz):
    # Given a daily job at 02:30, which is skipped once and repeated once a year
    expr = CronExpr.parse("30 2 * * *")
    # When we enumerate the year
    fired = list(expr.fire_times(YEAR_START, YEAR_END, tz))
    # Then every local day (incl. the 23 h and 25 h days) has exactly one run
    days = [t.astimezone(tz).date() for t in fired]
    assert len(days) == len(set(days)) == 365


@pytest.mark.parametrize(
    "tz, day, expected_local",
    [
        # Spring forward: 02:30 does not exist, run at the first instant after the gap.
        (BERLIN, datetime(2026, 3, 29), datetime(2026, 3, 29, 3, 0)),
        (NEW_YORK, datetime(2026, 3, 8), datetime(2026, 3, 8, 3, 0)),
        # Fall back: 02:30 occurs twice in Berlin, run at the first one (CEST).
        (BERLIN, datetime(2026, 10, 25), datetime(2026, 10, 25, 2, 30)),
        (NEW_YORK, datetime(2026, 11, 1), datetime(2026, 11, 1, 2, 30)),
    ],
)
def test_daily_0230_fires_once_on_dst_transition_days(tz, day, expected_local):
    # Given a daily 02:30 job and a DST transition day
    expr = CronExpr.parse("30 2 * * *")
    start = day.replace(tzinfo=tz)
    # When we enumerate that local day
    fired = list(expr.fire_times(start, start + timedelta(days=1), tz))
    # Then it fires exactly once, at the expected wall time (fold=0)
    assert fired == [expected_local.replace(tzinfo=tz).astimezone(UTC)]


def test_0130_in_new_york_fires_once_at_first_occurrence_on_fall_back_day():
    # Given 01:30, which happens at 05:30 UTC (EDT) and 06:30 UTC (EST) on 2026-11-01
    expr = CronExpr.parse("30 1 * * *")
    start = datetime(2026, 11, 1, tzinfo=NEW_YORK)
    # When we enumerate that day
    fired = list(expr.fire_times(start, start + timedelta(days=1), NEW_YORK))
    # Then only the first occurrence fires
    assert fired == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]


def test_several_matches_inside_one_gap_fire_only_once():
    # Given a job matching three wall minutes inside Berlin's 02:00-03:00 gap
    expr = CronExpr.parse("0,20,40 2 * * *")
    start = datetime(2026, 3, 29, tzinfo=BERLIN)
    # When we enumerate the spring-forward day
    fired = list(expr.fire_times(start, start + timedelta(days=1), BERLIN))
    # Then it fires once, at 03:00 CEST
    assert fired == [datetime(2026, 3, 29, 1, 0, tzinfo=UTC)]


def test_gap_catch_up_does_not_duplicate_a_run_due_right_after_the_gap():
    # Given an hourly job: 02:00 is skipped and 03:00 is due anyway
    expr = CronExpr.parse("0 * * * *")
    start = datetime(2026, 3, 29, tzinfo=BERLIN)
    # When we enumerate the 23-hour day
    fired = list(expr.fire_times(start, start + timedelta(days=1), BERLIN))
    # Then there are 23 runs and 03:00 CEST appears once
    assert len(fired) == len(set(fired)) == 23


def test_lord_howe_half_hour_gap_fires_at_0230():
    # Given 02:15 on Lord Howe's spring-forward day (02:00 -> 02:30, +10:30 -> +11)
    tz = ZoneInfo("Australia/Lord_Howe")
    expr = CronExpr.parse("15 2 * * *")
    # When we ask for the next run from the start of that local day
    fire = expr.next_fire(datetime(2026, 10, 4, tzinfo=tz), tz)
    # Then it runs at 02:30 local, the first real instant after the gap
    assert fire.astimezone(tz) == datetime(2026, 10, 4, 2, 30, tzinfo=tz)
    assert fire == datetime(2026, 10, 3, 15, 30, tzinfo=UTC)


def test_hourly_job_in_utc_fires_24_times_per_utc_day():
    # Given an hourly job evaluated in UTC
    expr = CronExpr.parse("0 * * * *")
    start = datetime(2026, 10, 25, tzinfo=UTC)
    # When we enumerate one UTC day
    end = start + timedelta(days=1)
    fired = list(expr.fire_times(start - timedelta(minutes=1), end - timedelta(minutes=1), UTC))
    # Then it fires on each of the 24 hours
    assert [t.hour for t in fired] == list(range(24))


def test_fire_times_excludes_after_and_includes_until():
    # Given bounds that are themselves fire times
    expr = CronExpr.parse("0 * * * *")
    after = datetime(2026, 1, 1, 10, tzinfo=UTC)
    until = datetime(2026, 1, 1, 12, tzinfo=UTC)
    # When we enumerate
    fired = list(expr.fire_times(after, until, UTC))
    # Then after is excluded and until included
    assert fired == [after + timedelta(hours=1), until]


def test_fire_times_and_matches_reject_the_wrong_kind_of_datetime():
    # Given an expression
    expr = CronExpr.parse("0 * * * *")
    # When/Then naive bounds and an aware wall time are rejected
    with pytest.raises(ValueError, match="timezone-aware"):
        list(expr.fire_times(datetime(2026, 1, 1), datetime(2026, 1, 2), UTC))
    with pytest.raises(ValueError, match="naive"):
        expr.matches(datetime(2026, 1, 1, tzinfo=UTC))


# --- periodiq regression -----------------------------------------------------


def test_sunday_written_as_0_fires_on_sundays():
    # Given "0 0 * * 0", which periodiq never fires (isoweekday 7 != 0)
    expr = cron("0 0 * * 0")
    # When we look at Sunday 2026-11-29 and the Saturday before it
    # Then Sunday matches, Saturday does not, and next_fire lands on Sunday
    assert expr.matches(datetime(2026, 11, 29, 0, 0))
    assert not expr.matches(datetime(2026, 11, 28, 0, 0))
    assert expr.next_fire(datetime(2026, 11, 27, tzinfo=UTC), UTC) == datetime(2026, 11, 29, tzinfo=UTC)


# --- Syntax ------------------------------------------------------------------


def test_sunday_as_0_7_and_name_are_the_same_schedule():
    # Given three spellings of Sunday / Then they are equal schedules
    assert cron("0 0 * * 0") == cron("0 0 * * 7") == cron("0 0 * * SUN") == cron("@weekly")


def test_aliases_equal_their_expansions_and_keep_their_text():
    # Given aliases / Then they equal their five-field forms and str() is the input
    assert cron("@hourly") == cron("0 * * * *")
    assert cron("@annually") == cron("@yearly") == cron("0 0 1 1 *")
    assert cron("@midnight") == cron("@daily") == cron("0 0 * * *")
    assert cron("@monthly") == cron("0 0 1 * *")
    assert str(cron("@hourly")) == "@hourly"
    assert str(cron(" 0 * * * * ")) == " 0 * * * * "


def test_single_value_with_step_runs_to_the_field_maximum():
    # Given "a/n" / Then it means "a-max/n"
    assert cron("7/20 * * * *").minutes == {7, 27, 47}
    assert cron("0 0 * 11/1 *").months == {11, 12}


def test_star_step_in_day_of_month_counts_as_unrestricted_like_vixie_cron():
    # Given "*/2" day-of-month with a day-of-week (croniter would OR them)
    expr = cron("0 0 */2 * mon")
    # Then both must match: Monday the 5th yes, Monday the 12th and Wednesday the 7th no
    assert expr.matches(datetime(2026, 1, 5))
    assert not expr.matches(datetime(2026, 1, 12))
    assert not expr.matches(datetime(2026, 1, 7))


def test_next_fire_for_leap_day_from_a_non_leap_year_is_fast():
    # Given Feb 29 and a start in a non-leap year
    expr = CronExpr.parse("0 0 29 2 *")
    # When we ask for the next run
    started = time.perf_counter()
    fire = expr.next_fire(datetime(2026, 3, 1, tzinfo=UTC), BERLIN)
    elapsed = time.perf_counter() - started
    # Then it is Feb 29 2028 Berlin midnight, found well under 100 ms
    assert fire == datetime(2028, 2, 28, 23, 0, tzinfo=UTC)
    assert elapsed < 0.1


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "empty cron expression"),
        ("   ", "empty cron expression"),
        ("* * * *", "must have 5 fields"),
        ("* * * * * *", "must have 5 fields"),
        ("@fortnightly", "unknown cron alias '@fortnightly'"),
        ("61 * * * *", "minute field '61' out of range 0-59"),
        ("* 24 * * *", "hour field '24' out of range 0-23"),
        ("* * 0 * *", "day-of-month field '0' out of range 1-31"),
        ("* * 32 * *", "day-of-month field '32' out of range 1-31"),
        ("* * * 13 *", "month field '13' out of range 1-12"),
        ("* * * * 8", "day-of-week field '8' out of range 0-7"),
        ("*/0 * * * *", "minute field '\\*/0': step must be a positive integer"),
        ("* */x * * *", "hour field '\\*/x': step must be a positive integer"),
        ("* 5-3 * * *", "hour field '5-3': range start 5 is greater than end 3"),
        ("* * * dec-jan *", "month field 'dec-jan': range start 12 is greater than end 1"),
        ("x * * * *", "minute field 'x': invalid value 'x'"),
        ("1,,2 * * * *", "minute field '': invalid value ''"),
        ("-1 * * * *", "minute field '-1': invalid value ''"),
        ("* * * * funday", "day-of-week field 'funday': invalid value 'funday'"),
        ("* * * jan-feb-mar *", "month field 'jan-feb-mar': invalid value 'feb-mar'"),
        ("*/2/3 * * * *", "minute field '\\*/2/3': step must be a positive integer"),
        ("0 0 30 2 *", "day-of-month field '30' never matches month field '2'"),
    ],
)
def test_parse_rejects_malformed_specs_naming_the_field(spec, message):
    # Given a malformed spec / When parsed / Then ValueError names the problem
    with pytest.raises(ValueError, match=message):
        CronExpr.parse(spec)


# --- Coercion ----------------------------------------------------------------


def test_as_cron_accepts_periodiq_cronspec_str_and_cronexpr():
    # Given the same schedule in three forms
    legacy = periodiq.cron("0 * * * *")
    expr = cron("0 * * * *")
    # When coerced / Then all give an equivalent CronExpr
    assert as_cron(legacy) == expr
    assert str(as_cron(legacy)) == "0 * * * *"
    assert as_cron("0 * * * *") == expr
    assert as_cron(expr) is expr
    with pytest.raises(TypeError):
        as_cron(3600)
