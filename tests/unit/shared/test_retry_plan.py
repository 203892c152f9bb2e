"""Retry-plan resolution: message → actor → default, one rule for Retries and the outboxes."""

from shared.middleware.retries import plan_retry


def test_defaults_apply_when_neither_message_nor_actor_says():
    # Given a first attempt with nothing set on the message or the actor
    plan = plan_retry({}, {}, max_retries=3, base_ms=60_000)
    # Then the next attempt is one base away and this is not the last
    assert (plan.retries, plan.max_retries, plan.delay_ms, plan.last) == (0, 3, 60_000, False)


def test_actor_options_win_over_defaults_and_message_options_over_both():
    # Given an actor allowing 5 retries at 1 s, and a message that already retried twice
    actor = {"max_retries": 5, "min_backoff": 1000}
    assert plan_retry({"retries": 2}, actor, max_retries=3, base_ms=60_000).delay_ms == 4000
    # When the message itself lowers the limit
    plan = plan_retry({"retries": 2, "max_retries": 2}, actor, max_retries=3, base_ms=60_000)
    # Then the message's value decides: this attempt was the last
    assert plan.max_retries == 2 and plan.last


def test_the_third_retry_is_the_last_of_three():
    plans = [plan_retry({"retries": n}, {}, max_retries=3, base_ms=60_000) for n in range(4)]
    assert [p.delay_ms for p in plans[:3]] == [60_000, 120_000, 240_000]
    assert [p.last for p in plans] == [False, False, False, True]
