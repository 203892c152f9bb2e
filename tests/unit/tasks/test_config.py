"""The task app's configuration: defaults from the spec, errors naming the variable."""

from __future__ import annotations

import pytest

from actors.tasks.config import load_tasks_config
from shared.errors import ConfigError


def test_overdue_notifications_are_on_by_default():
    assert load_tasks_config({}).overdue_notify is True


def test_overdue_notifications_can_be_switched_off():
    assert load_tasks_config({"TASKS_OVERDUE_NOTIFY": "false"}).overdue_notify is False


def test_invalid_value_names_the_variable():
    with pytest.raises(ConfigError, match="TASKS_OVERDUE_NOTIFY"):
        load_tasks_config({"TASKS_OVERDUE_NOTIFY": "maybe"})
