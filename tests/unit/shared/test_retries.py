"""The exact 2^n backoff."""

from shared.middleware.retries import backoff_ms


def test_backoff_is_exactly_one_two_four_minutes():
    assert [backoff_ms(n, 60_000) for n in range(3)] == [60_000, 120_000, 240_000]


def test_backoff_base_is_configurable():
    assert [backoff_ms(n, 1000) for n in range(4)] == [1000, 2000, 4000, 8000]
