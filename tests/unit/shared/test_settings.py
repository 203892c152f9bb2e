"""Settings and the schedule table: bad configuration stops start-up with the variable named."""

from __future__ import annotations

import pytest

from scheduler.schedule import build_schedule
from shared.errors import ConfigError
from shared.settings import load_settings
from tests.support.registry import declared_jobs


def _schedule(**env):
    return build_schedule(load_settings(env), declared_jobs().jobs)


def test_malformed_cron_spec_names_the_variable():
    with pytest.raises(ConfigError, match="DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDULE='61 \\* \\* \\* \\*'.*minute"):
        _schedule(DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDULE="61 * * * *")


def test_unknown_job_name_in_a_variable_is_rejected_with_a_suggestion():
    with pytest.raises(ConfigError, match="no job named 'example-tuch'.*EXAMPLE_TOUCH"):
        _schedule(DRAMATURG_JOB_EXAMPLE_TUCH_ENABLED="false")


def test_variable_with_unknown_field_is_rejected():
    with pytest.raises(ConfigError, match="DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDUL"):
        _schedule(DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDUL="* * * * *")


@pytest.mark.parametrize(
    "var,value,needle",
    [
        ("DRAMATURG_JOB_EXAMPLE_TOUCH_ENABLED", "maybe", "expected true or false"),
        ("DRAMATURG_JOB_EXAMPLE_TOUCH_TIMEZONE", "Mars/Olympus", "unknown IANA time zone"),
        ("DRAMATURG_JOB_EXAMPLE_TOUCH_CATCH_UP", "sometimes", "expected one of all, latest, none"),
        ("DRAMATURG_JOB_EXAMPLE_TOUCH_MAX_LATENESS", "-5", "must not be negative"),
    ],
)
def test_bad_per_job_values_name_the_variable(var, value, needle):
    with pytest.raises(ConfigError) as err:
        _schedule(**{var: value})
    assert var in str(err.value) and needle in str(err.value)


@pytest.mark.parametrize(
    "var,value",
    [
        ("ALERT_WEBHOOK_URL", "not a url"),
        ("DATABASE_URL", "mysql://localhost/db"),
        ("DRAMATURG_TIMEZONE", "Nowhere/Else"),
        ("DRAMATURG_WORKER_THREADS", "0"),
    ],
)
def test_bad_global_settings_name_the_variable(var, value):
    with pytest.raises(ConfigError, match=var):
        load_settings({var: value})


def test_overrides_apply_per_job_and_disabled_jobs_stay_listed():
    table = _schedule(
        DRAMATURG_JOB_EXAMPLE_TOUCH_SCHEDULE="*/5 * * * *",
        DRAMATURG_JOB_PRUNE_QUEUE_ENABLED="false",
        DRAMATURG_JOB_PRUNE_HISTORY_TIMEZONE="Europe/Berlin",
    )
    assert str(table["example-touch"].cron) == "*/5 * * * *"
    assert table["prune-queue"].enabled is False
    assert str(table["prune-history"].zone) == "Europe/Berlin"


def test_database_password_is_a_secret():
    settings = load_settings(
        {"DATABASE_URL": "postgresql://app:s3cret-pass@db/app", "TELEGRAM_BOT_TOKEN": "123:abc-token"}
    )
    assert {"s3cret-pass", "123:abc-token"} <= set(settings.secrets)
