"""The task app's settings: read once from the environment, errors name the variable.

``TASKS_OVERDUE_NOTIFY`` (default true): whether overdue-scan writes one
``web_notifications`` row ('overdue') when a task becomes overdue.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import validate_env


class TasksConfig(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    overdue_notify: bool = Field(True, alias="TASKS_OVERDUE_NOTIFY")


def load_tasks_config(environ: Mapping[str, str] | None = None) -> TasksConfig:
    """Validate the task app variables (``os.environ`` by default).

    Raises:
        ConfigError: naming each invalid variable.
    """
    return validate_env(TasksConfig, os.environ if environ is None else environ, "task app configuration")


@cache
def tasks_config() -> TasksConfig:
    """The process's task app settings (read from ``os.environ`` once)."""
    return load_tasks_config(os.environ)
