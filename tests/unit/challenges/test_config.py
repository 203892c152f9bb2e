"""The challenge app's configuration: defaults from the spec, errors naming the variable."""

from __future__ import annotations

from datetime import time

import pytest

from actors.challenges.config import load_challenges_config
from shared.errors import ConfigError


def test_defaults_follow_the_spec():
    config = load_challenges_config({})
    assert (
        config.completion_threshold,
        config.notification_retention_days,
        config.streak_reminder_time,
        config.streak_window_minutes,
    ) == (80.0, 30, time(8, 0), 15)


def test_values_are_read_from_their_variables():
    config = load_challenges_config(
        {
            "CHALLENGES_COMPLETION_THRESHOLD": "65.5",
            "CHALLENGES_NOTIFICATION_RETENTION_DAYS": "7",
            "CHALLENGES_STREAK_REMINDER_TIME": "07:30",
        }
    )
    assert (config.completion_threshold, config.notification_retention_days, config.streak_reminder_time) == (
        65.5,
        7,
        time(7, 30),
    )


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("CHALLENGES_COMPLETION_THRESHOLD", "120"),
        ("CHALLENGES_NOTIFICATION_RETENTION_DAYS", "0"),
        ("CHALLENGES_STREAK_REMINDER_TIME", "8am"),
    ],
)
def test_invalid_value_names_the_variable(var, value):
    with pytest.raises(ConfigError, match=var):
        load_challenges_config({var: value})
