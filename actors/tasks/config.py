"""The task app's settings: read once from the environment, errors name the variable.

``TASKS_OVERDUE_NOTIFY`` (default true): whether overdue-scan writes one
``web_notifications`` row ('overdue') when a task becomes overdue.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import ConfigDict, Field

from shared.settings import EnvSettings, validate_env


class TasksConfig(EnvSettings):
    model_config = ConfigDict(title="task app configuration")

    overdue_notify: bool = Field(True, alias="TASKS_OVERDUE_NOTIFY")


def load_tasks_config(environ: Mapping[str, str] | None = None) -> TasksConfig:
    """Validate the task app variables (``os.environ`` by default).

    Raises:
        ConfigError: naming each invalid variable.
    """
    return validate_env(TasksConfig, os.environ if environ is None else environ, "task app configuration")
