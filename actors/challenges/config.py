"""The challenge app's settings: read once from the environment, errors name the variable.

- ``CHALLENGES_COMPLETION_THRESHOLD`` (80): average member completion rate
  (0–100) at or above which an ended challenge counts as completed.
- ``CHALLENGES_NOTIFICATION_RETENTION_DAYS`` (30): notifications older than
  this are deleted by notification-cleanup.
- ``CHALLENGES_STREAK_REMINDER_TIME`` (08:00): the local time of the streak reminder.
- ``CHALLENGES_STREAK_WINDOW_MINUTES`` (15): how far back each streak-reminders
  tick looks; keep it equal to the job's schedule interval.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import time

from pydantic import ConfigDict, Field

from shared.settings import EnvSettings, validate_env


class ChallengesConfig(EnvSettings):
    model_config = ConfigDict(title="challenge app configuration")

    completion_threshold: float = Field(80.0, alias="CHALLENGES_COMPLETION_THRESHOLD", ge=0, le=100)
    notification_retention_days: float = Field(30, alias="CHALLENGES_NOTIFICATION_RETENTION_DAYS", gt=0)
    streak_reminder_time: time = Field(time(8, 0), alias="CHALLENGES_STREAK_REMINDER_TIME")
    streak_window_minutes: int = Field(15, alias="CHALLENGES_STREAK_WINDOW_MINUTES", ge=1, le=720)


def load_challenges_config(environ: Mapping[str, str] | None = None) -> ChallengesConfig:
    """Validate the challenge app variables (``os.environ`` by default).

    Raises:
        ConfigError: naming each invalid variable.
    """
    return validate_env(ChallengesConfig, os.environ if environ is None else environ, "challenge app configuration")
