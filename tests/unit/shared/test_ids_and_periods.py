"""Pure functions behind idempotency: period keys, tick ids and child ids."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from shared.jobs import child_id, tick_id
from shared.locks import lock_key, period_key

AT = datetime(2026, 3, 5, 10, 7, 42, tzinfo=UTC)


@pytest.mark.parametrize(
    ("granularity", "key"),
    [("minute", "2026-03-05T10:07"), ("hour", "2026-03-05T10"), ("day", "2026-03-05"), ("none", "-")],
)
def test_period_key_names_the_period_an_instant_falls_in(granularity, key):
    assert period_key(AT, granularity) == key


def test_period_key_is_read_in_the_instants_own_zone():
    # 23:30 UTC is already the next day in Tokyo
    late = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    assert period_key(late, "day") == "2026-03-05"
    assert period_key(late.astimezone(ZoneInfo("Asia/Tokyo")), "day") == "2026-03-06"


def test_period_key_rejects_an_unknown_granularity():
    with pytest.raises(ValueError, match="unknown period granularity"):
        period_key(AT, "week")


def test_tick_ids_are_equal_across_schedulers_and_differ_per_job_and_instant():
    assert tick_id("decay", "2026-03-05T10:00:00+00:00") == tick_id("decay", "2026-03-05T10:00:00+00:00")
    assert tick_id("decay", "2026-03-05T10:00:00+00:00") != tick_id("decay", "2026-03-05T11:00:00+00:00")
    assert tick_id("decay", "2026-03-05T10:00:00+00:00") != tick_id("deliver", "2026-03-05T10:00:00+00:00")


def test_child_ids_are_the_job_entity_period_key():
    first = child_id("decay", "user-1", "2026-03-05T10")
    assert first == child_id("decay", "user-1", "2026-03-05T10")
    assert len({first, child_id("decay", "user-2", "2026-03-05T10"), child_id("decay", "user-1", "2026-03-05T11")}) == 3
    # A tick and a child never share an id, even for look-alike texts
    assert child_id("decay", "x", "y") != tick_id("decay", "x|y")


def test_lock_keys_fit_postgres_signed_bigint_and_are_stable():
    key = lock_key("decay", "2026-03-05T10")
    assert -(2**63) <= key < 2**63 and key == lock_key("decay", "2026-03-05T10")
    assert key != lock_key("decay", "2026-03-05T11")
