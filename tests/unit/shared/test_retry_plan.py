"""Retry-plan resolution: message → actor → default, one rule for Retries and the outboxes."""

from shared.middleware.retries import MAX_DEFER_SECONDS, plan_deferral, plan_retry


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


def test_an_explicit_delay_list_gives_exactly_its_delays_and_its_length_as_the_limit():
    # Given an actor declaring retry_delays=(60, 300, 900)
    actor = {"retry_delays": (60, 300, 900)}
    plans = [plan_retry({"retries": n}, actor, max_retries=5, base_ms=1000) for n in range(4)]
    # Then the retries come at exactly 1, 5 and 15 minutes, and the third is the last
    assert [p.delay_ms for p in plans[:3]] == [60_000, 300_000, 900_000]
    assert [p.max_retries for p in plans] == [3, 3, 3, 3]
    assert [p.last for p in plans] == [False, False, False, True]


def test_an_explicit_limit_beside_a_delay_list_repeats_its_last_delay():
    actor = {"retry_delays": (10, 20), "max_retries": 4}
    plans = [plan_retry({"retries": n}, actor, max_retries=3, base_ms=60_000) for n in range(5)]
    assert [p.delay_ms for p in plans[:4]] == [10_000, 20_000, 20_000, 20_000]
    assert [p.last for p in plans] == [False, False, False, False, True]


def test_deferrals_are_allowed_up_to_the_bound_and_capped_in_time():
    # A 429's Retry-After re-schedules without spending a retry, while fewer than the bound were taken
    first = plan_deferral({}, 120, max_deferrals=2)
    assert (first.allowed, first.number, first.delay_ms) == (True, 1, 120_000)
    assert plan_deferral({"deferrals": 1}, 120, max_deferrals=2).allowed
    # The bound reached: the attempt counts as an ordinary failure
    assert not plan_deferral({"deferrals": 2}, 120, max_deferrals=2).allowed
    # A remote asking for a day is obeyed for at most MAX_DEFER_SECONDS; a negative delay is none
    assert plan_deferral({}, 86_400, max_deferrals=2).delay_ms == int(MAX_DEFER_SECONDS * 1000)
    assert plan_deferral({}, -5, max_deferrals=2).delay_ms == 0
