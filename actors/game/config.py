"""The chat game's tunables (grace periods, decay rates, delays, thresholds), read from GAME_* variables.

Loaded once per process by :func:`game_config`; defaults follow the specs.
Per-chapter values are five comma-separated numbers for chapters 1–5, e.g.
``GAME_GRACE_HOURS=8,16,24,48,72``. A bad value raises ConfigError naming the
variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import ConfigDict, Field, field_validator

from shared.settings import EnvSettings, validate_env

PerChapter = tuple[float, float, float, float, float]


class GameConfig(EnvSettings):
    model_config = ConfigDict(title="game configuration")

    grace_hours: PerChapter = Field((8, 16, 24, 48, 72), alias="GAME_GRACE_HOURS")
    decay_rates: PerChapter = Field((0.8, 0.6, 0.4, 0.3, 0.2), alias="GAME_DECAY_RATES")
    decay_cap: float = Field(20.0, alias="GAME_DECAY_CAP", gt=0)
    # Follow-up delay range in minutes per chapter (chapter 5 answers at once).
    delay_min_minutes: PerChapter = Field((2, 1, 1, 0, 0), alias="GAME_RESPONSE_DELAY_MIN")
    delay_max_minutes: PerChapter = Field((5, 3, 2, 1, 0), alias="GAME_RESPONSE_DELAY_MAX")
    idle_minutes: float = Field(15.0, alias="GAME_CONVERSATION_IDLE_MINUTES", gt=0)
    deliver_batch: int = Field(50, alias="GAME_DELIVER_BATCH", ge=1, le=1000)
    stale_hours: float = Field(24.0, alias="GAME_STALE_HOURS", gt=0)
    fanout_page: int = Field(1000, alias="GAME_FANOUT_PAGE", ge=1)
    # Players per decay child message (fan_out's chunk): 1 is a child per player; a few hundred
    # pay the per-message costs once per chunk (README: "chunk=N" and its trade-off).
    decay_chunk: int = Field(1, alias="GAME_DECAY_CHUNK", ge=1, le=10_000)

    @field_validator("grace_hours", "decay_rates", "delay_min_minutes", "delay_max_minutes", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(float(v) for v in value.split(","))
        return value

    @field_validator("grace_hours", "decay_rates", "delay_min_minutes", "delay_max_minutes")
    @classmethod
    def _non_negative(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(v < 0 for v in value):
            raise ValueError("values must be >= 0")
        return value


def load_game_config(environ: Mapping[str, str] | None = None) -> GameConfig:
    """Validate the game variables (``os.environ`` by default).

    Raises:
        ConfigError: naming each invalid variable.
    """
    return validate_env(GameConfig, os.environ if environ is None else environ, "game configuration")
