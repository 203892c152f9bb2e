"""Per-queue limits from the environment and from code (no I/O): names, validation, which one wins."""

from __future__ import annotations

import pytest

from shared.errors import ConfigError
from shared.postgres_broker import PostgresBroker
from shared.queue_limits import QueueLimit, queue_env_name
from shared.settings import load_settings


def broker_with(environ: dict[str, str]) -> PostgresBroker:
    """An unbound-to-any-database broker (bind does no I/O) with these settings."""
    broker = PostgresBroker(middleware=[])
    broker.bind(engine=None, clock=None, settings=load_settings({"DRAMATURG_LEASE_SECONDS": "30", **environ}))
    return broker


@pytest.mark.parametrize(
    ("queue", "name"),
    [("content-generation", "CONTENT_GENERATION"), ("analytics.sync", "ANALYTICS_SYNC"), ("game", "GAME")],
)
def test_a_queue_names_its_variables_upper_cased_with_dashes_and_dots_as_underscores(queue, name):
    assert queue_env_name(queue) == name


def test_the_variables_are_read_into_typed_settings_by_queue():
    settings = load_settings(
        {
            "DRAMATURG_QUEUE_CONTENT_GENERATION_CONCURRENCY": "10",
            "DRAMATURG_QUEUE_CONTENT_GENERATION_LEASE_SECONDS": "300",
            "DRAMATURG_QUEUE_CONTEXT_SCRAPING_LEASE_SECONDS": "2.5",
        }
    )
    assert settings.queue_limits == {
        "CONTENT_GENERATION": QueueLimit(concurrency=10, lease_seconds=300.0),
        "CONTEXT_SCRAPING": QueueLimit(concurrency=None, lease_seconds=2.5),
    }


def test_a_setting_of_its_own_under_the_prefix_is_not_taken_for_a_queue():
    settings = load_settings({"DRAMATURG_QUEUE_RETENTION_DAYS": "3"})
    assert settings.queue_retention_days == 3 and settings.queue_limits == {}


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DRAMATURG_QUEUE_WORK_CONCURRENCY", "0", "positive whole number"),
        ("DRAMATURG_QUEUE_WORK_CONCURRENCY", "-3", "positive whole number"),
        ("DRAMATURG_QUEUE_WORK_CONCURRENCY", "2.5", "positive whole number"),
        ("DRAMATURG_QUEUE_WORK_CONCURRENCY", "ten", "positive whole number"),
        ("DRAMATURG_QUEUE_WORK_CONCURRENCY", "", "positive whole number"),
        ("DRAMATURG_QUEUE_WORK_LEASE_SECONDS", "0", "positive number of seconds"),
        ("DRAMATURG_QUEUE_WORK_LEASE_SECONDS", "-1", "positive number of seconds"),
        ("DRAMATURG_QUEUE_WORK_LEASE_SECONDS", "inf", "positive number of seconds"),
        ("DRAMATURG_QUEUE_WORK_LEASE_SECONDS", "5m", "positive number of seconds"),
        ("DRAMATURG_QUEUE_WORK_CONCURENCY", "5", "FIELD one of CONCURRENCY, LEASE_SECONDS"),
        ("DRAMATURG_QUEUE_CONCURRENCY", "5", "FIELD one of CONCURRENCY, LEASE_SECONDS"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable_and_the_value(variable, value, says):
    with pytest.raises(ConfigError) as err:
        load_settings({variable: value})
    assert variable in str(err.value) and says in str(err.value)
    if "FIELD" not in says:
        assert repr(value) in str(err.value)


def test_every_bad_variable_is_named_at_once():
    with pytest.raises(ConfigError) as err:
        load_settings({"DRAMATURG_QUEUE_A_CONCURRENCY": "0", "DRAMATURG_QUEUE_B_LEASE_SECONDS": "x"})
    assert "DRAMATURG_QUEUE_A_CONCURRENCY" in str(err.value) and "DRAMATURG_QUEUE_B_LEASE_SECONDS" in str(err.value)


def test_an_undeclared_queue_is_uncapped_with_the_global_lease():
    assert broker_with({}).queue_limit("anything") == QueueLimit(concurrency=None, lease_seconds=30.0)


def test_limits_declared_in_code_apply_and_the_environment_overrides_them_field_by_field():
    broker = broker_with({"DRAMATURG_QUEUE_CONTENT_GENERATION_CONCURRENCY": "4"})
    broker.limit_queue("content-generation", concurrency=10, lease_seconds=300)
    broker.limit_queue("analytics-sync", concurrency=60)
    assert broker.queue_limit("content-generation") == QueueLimit(concurrency=4, lease_seconds=300.0)
    assert broker.queue_limit("analytics-sync") == QueueLimit(concurrency=60, lease_seconds=30.0)
    assert "content-generation" in broker.queues  # declaring the limit declares the queue
    assert broker.capped_queues() == {"analytics-sync": 60, "content-generation": 4}


def test_an_environment_limit_applies_to_a_queue_declared_without_one():
    broker = broker_with({"DRAMATURG_QUEUE_GAME_CONCURRENCY": "2", "DRAMATURG_QUEUE_GAME_LEASE_SECONDS": "9"})
    broker.declare_queue("game")
    assert broker.queue_limit("game") == QueueLimit(concurrency=2, lease_seconds=9.0)
    assert broker.capped_queues() == {"game": 2}


@pytest.mark.parametrize(("concurrency", "lease"), [(0, None), (2.5, None), (True, None), (None, 0), (None, -2)])
def test_a_bad_limit_in_code_is_refused_naming_the_queue(concurrency, lease):
    with pytest.raises(ConfigError, match="queue 'work'"):
        broker_with({}).limit_queue("work", concurrency=concurrency, lease_seconds=lease)


def test_the_heartbeat_renews_often_enough_for_the_shortest_lease_in_use():
    broker = broker_with({"DRAMATURG_QUEUE_QUICK_LEASE_SECONDS": "0.9"})
    broker.declare_queue("slow")
    assert broker._beat_period() == 5.0  # 30 s lease: at most every 5 s
    broker.declare_queue("quick")
    assert broker._beat_period() == pytest.approx(0.3)
