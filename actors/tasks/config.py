"""The task app's settings: read once from the environment, errors name the variable.

``TASKS_OVERDUE_NOTIFY`` (default true): whether overdue-scan writes one
``web_notifications`` row ('overdue') when a task becomes overdue.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.errors import ConfigError


class TasksConfig(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    overdue_notify: bool = Field(True, alias="TASKS_OVERDUE_NOTIFY")


def load_tasks_config(environ: Mapping[str, str]) -> TasksConfig:
    """Validate the task app's variables from ``environ``.

    Raises:
        ConfigError: naming each invalid variable.
    """
    known = {f.alias for f in TasksConfig.model_fields.values()}
    try:
        return TasksConfig.model_validate({k: v for k, v in environ.items() if k in known})
    except ValidationError as exc:
        problems = [f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()]  # loc is the alias
        raise ConfigError("invalid task app configuration: " + "; ".join(problems)) from None


@cache
def tasks_config() -> TasksConfig:
    """The process's task app settings (read from ``os.environ`` once)."""
    return load_tasks_config(os.environ)
