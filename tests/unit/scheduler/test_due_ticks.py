"""due_ticks: which ticks a scheduler enqueues, from (job, watermark, now) alone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.cron import as_cron
from scheduler.schedule import ScheduledJob
from scheduler.ticks import MAX_CATCH_UP, due_ticks, tick_text
from shared.jobs import JobSpec

NOW = datetime(2026, 3, 5, 10, 0, 30, tzinfo=UTC)


def job(spec: str = "0 * * * *", catch_up: str = "all", lateness: float = 90, zone: str = "UTC") -> ScheduledJob:
    return ScheduledJob(
        name="j",
        spec=JobSpec(name="j", actor=None, schedule=spec),
        cron=as_cron(spec),
        enabled=True,
        zone=ZoneInfo(zone),
        catch_up=catch_up,
        max_lateness=lateness,
    )


def hours_ago(n: int) -> datetime:
    return NOW.replace(second=0) - timedelta(hours=n)


def test_first_start_replays_nothing_older_than_the_lateness():
    # Given no watermark and a tick 30 s ago, within 90 s of lateness
    assert due_ticks(job(), None, NOW) == [hours_ago(0)]
    # And with a lateness shorter than that, nothing
    assert due_ticks(job(lateness=10), None, NOW) == []


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("all", [3, 2, 1, 0]), ("latest", [0]), ("none", [0])],
)
def test_missed_ticks_follow_the_catch_up_policy(policy, expected):
    # Given a scheduler that last looked 3.5 hours ago
    watermark = NOW - timedelta(hours=3, minutes=30)
    assert due_ticks(job(catch_up=policy), watermark, NOW) == [hours_ago(n) for n in expected]


def test_a_tick_at_the_watermark_itself_is_not_enqueued_again():
    assert due_ticks(job(), hours_ago(0), NOW) == []


def test_catch_up_is_bounded():
    # Given a per-minute job whose scheduler was down for a week
    ticks = due_ticks(job("* * * * *"), NOW - timedelta(days=7), NOW)
    assert len(ticks) == MAX_CATCH_UP and ticks[-1] == NOW.replace(second=0)


def test_cron_is_read_in_the_jobs_zone():
    # Given 08:00 in Tokyo (23:00 UTC) and a watermark before it
    at = datetime(2026, 3, 5, 23, 0, 10, tzinfo=UTC)
    ticks = due_ticks(job("0 8 * * *", zone="Asia/Tokyo"), at - timedelta(hours=1), at)
    assert ticks == [datetime(2026, 3, 5, 23, 0, tzinfo=UTC)]


def test_tick_text_is_utc_to_the_second():
    local = datetime(2026, 3, 6, 8, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert tick_text(local) == "2026-03-05T23:00:00+00:00"
