"""dramaturg's configuration: one settings model, read from the environment.

Entry points (CLI, worker, scheduler, tests) load it once with :func:`load_settings`
and pass it down. Errors name the variable that is wrong, so a bad deploy says
what to fix instead of failing deep inside a job.

Per-job settings are environment variables named after the job, e.g. for the job
``process-conversations``::

    DRAMATURG_JOB_PROCESS_CONVERSATIONS_SCHEDULE="*/5 * * * *"
    DRAMATURG_JOB_PROCESS_CONVERSATIONS_ENABLED=false
    DRAMATURG_JOB_PROCESS_CONVERSATIONS_TIMEZONE=Europe/Berlin
    DRAMATURG_JOB_PROCESS_CONVERSATIONS_CATCH_UP=all|latest|none
    DRAMATURG_JOB_PROCESS_CONVERSATIONS_MAX_LATENESS=120   (seconds)

They are collected here as raw text and validated against the job table by the
scheduler (see ``scheduler/schedule.py``), which knows the valid job names.

Per-queue limits (``DRAMATURG_QUEUE_<NAME>_CONCURRENCY``, ``_LEASE_SECONDS``)
are validated here (``shared/queue_limits.py``): any queue may have them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.domains import parse_apps
from shared.errors import ConfigError
from shared.queue_limits import QueueLimit, collect_queue_env

JOB_PREFIX = "DRAMATURG_JOB_"
JOB_FIELDS = ("SCHEDULE", "ENABLED", "TIMEZONE", "CATCH_UP", "MAX_LATENESS")


class EnvSettings(BaseModel):
    """A settings model whose fields name their environment variables (aliases), read by :func:`validate_env`:
    dramaturg's own, the web dyno's and each domain's (``GameConfig`` …).

    It validates as pydantic-settings' ``BaseSettings`` does (defaults too, any field type) without
    importing pydantic-settings: validate_env picks the variables itself, so none of its sources was
    used, and its import was about a fifth of a CLI verb's start. An app's own ``BaseSettings`` works as well.
    """

    model_config = ConfigDict(
        populate_by_name=True, extra="ignore", frozen=True, validate_default=True, arbitrary_types_allowed=True
    )


class Settings(EnvSettings):
    """Every knob of dramaturg, with its environment variable in the field's alias."""

    # --- database -----------------------------------------------------------
    database_url: str | None = Field(None, alias="DATABASE_URL")
    data_dir: Path = Field(Path(".pgdata"), alias="DRAMATURG_DATA_DIR")
    db_connect_timeout: float = Field(5.0, alias="DRAMATURG_DB_CONNECT_TIMEOUT", gt=0)
    #: The most connections a process's pool opens (no overflow); unset: 2 × (threads + 4),
    #: half of them kept open. The whole budget per process is in shared/budget.py.
    db_pool_size: int | None = Field(None, alias="DRAMATURG_DB_POOL_SIZE", ge=1, le=10_000)

    # --- time ----------------------------------------------------------------
    now: datetime | None = Field(None, alias="DRAMATURG_NOW")
    clock_frozen: bool = Field(False, alias="DRAMATURG_CLOCK_FROZEN")
    clock_rate: float = Field(1.0, alias="DRAMATURG_CLOCK_RATE", gt=0, le=3600)
    clock_anchor: datetime | None = Field(None, alias="DRAMATURG_CLOCK_ANCHOR")
    #: Seconds a process's clock may differ from the database's before it refuses to schedule or work.
    max_clock_skew: float = Field(30.0, alias="DRAMATURG_MAX_CLOCK_SKEW", ge=0)

    # --- apps and your own actors ---------------------------------------------------
    #: The seed domains to enable (shared/domains.py), e.g. "game,tasks" or "all"; none by default.
    apps: tuple[str, ...] = Field((), alias="DRAMATURG_APPS")
    actor_modules: str = Field("", alias="DRAMATURG_ACTOR_MODULES")
    timezone: str = Field("UTC", alias="DRAMATURG_TIMEZONE")

    # --- worker and broker ------------------------------------------------------
    worker_threads: int = Field(8, alias="DRAMATURG_WORKER_THREADS", ge=1, le=256)
    worker_processes: int = Field(1, alias="DRAMATURG_WORKER_PROCESSES", ge=1, le=64)
    #: Messages one consumer (one queue of one worker process) holds claimed at once; it
    #: claims again once half are done. 0: adaptive (shared/claim_window.py) — Dramatiq's
    #: 2 × threads for slow jobs, up to 64 for jobs of a few milliseconds, about 50 ms of the
    #: consumer's pace. A number fixes it. Either way the rest of the backlog stays with other
    #: workers (bench/NOTES.md has the figures and the fairness test).
    claim_window: int = Field(0, alias="DRAMATURG_CLAIM_WINDOW", ge=0, le=10_000)
    lease_seconds: float = Field(30.0, alias="DRAMATURG_LEASE_SECONDS", gt=0)
    poll_seconds: float = Field(1.0, alias="DRAMATURG_POLL_SECONDS", gt=0)
    send_timeout: float = Field(10.0, alias="DRAMATURG_SEND_TIMEOUT", gt=0)
    queue_retention_days: float = Field(7, alias="DRAMATURG_QUEUE_RETENTION_DAYS", gt=0)
    stats_interval: float = Field(60.0, alias="DRAMATURG_STATS_INTERVAL", gt=0)
    #: Workers and schedulers write their heartbeat row this often; 3 missed beats mean gone.
    heartbeat_seconds: float = Field(5.0, alias="DRAMATURG_HEARTBEAT_SECONDS", gt=0, le=300)

    # --- retries and history ----------------------------------------------------
    max_retries: int = Field(3, alias="DRAMATURG_MAX_RETRIES", ge=0)
    retry_base_seconds: float = Field(60.0, alias="DRAMATURG_RETRY_BASE_SECONDS", gt=0)
    #: How often one message may be re-scheduled by ``RetryAfter`` (HTTP 429) without spending a retry.
    max_deferrals: int = Field(10, alias="DRAMATURG_MAX_DEFERRALS", ge=0, le=1000)
    history_retention_days: float = Field(30, alias="DRAMATURG_HISTORY_RETENTION_DAYS", gt=0)

    # --- alerts and channels ------------------------------------------------------
    alert_webhook_url: AnyHttpUrl | None = Field(None, alias="ALERT_WEBHOOK_URL")
    alert_min_interval: float = Field(600.0, alias="DRAMATURG_ALERT_MIN_INTERVAL", ge=0)
    telegram_bot_token: str | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base: AnyHttpUrl = Field(AnyHttpUrl("https://api.telegram.org"), alias="TELEGRAM_API_BASE")
    voice_api_base: AnyHttpUrl | None = Field(None, alias="VOICE_API_BASE")
    voice_api_key: str | None = Field(None, alias="VOICE_API_KEY")
    chat_webhook_url: AnyHttpUrl | None = Field(None, alias="CHAT_WEBHOOK_URL")
    anthropic_api_key: str | None = Field(None, alias="ANTHROPIC_API_KEY")
    anthropic_base_url: AnyHttpUrl | None = Field(None, alias="ANTHROPIC_BASE_URL")
    anthropic_model: str = Field("claude-sonnet-4-5", alias="ANTHROPIC_MODEL")

    # --- per-job overrides, raw (validated by the scheduler's job table) -----------
    job_env: dict[str, dict[str, str]] = Field(default_factory=dict, exclude=True)
    #: ``DRAMATURG_QUEUE_<NAME>_*`` by ``<NAME>`` (shared/queue_limits.py), validated; the broker
    #: lays them over the limits an app declares in code.
    queue_limits: dict[str, QueueLimit] = Field(default_factory=dict, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("apps", mode="before")
    @classmethod
    def _known_apps(cls, value: Any) -> tuple[str, ...]:
        return parse_apps(value)

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("postgresql://", "postgres://", "postgresql+psycopg2://")):
            raise ValueError("must be a postgresql:// URL")
        return value.replace("postgres://", "postgresql://", 1)

    @field_validator("now", "clock_anchor")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in logs, history or queue rows."""
        return _secrets(
            (self.telegram_bot_token, self.voice_api_key, self.anthropic_api_key),
            tuple(
                str(url) if url else None
                for url in (
                    self.database_url,
                    self.voice_api_base,
                    self.telegram_api_base,
                    self.anthropic_base_url,
                    self.chat_webhook_url,
                    self.alert_webhook_url,
                )
            ),
        )


@cache
def _secrets(values: tuple[str | None, ...], urls: tuple[str | None, ...]) -> tuple[str, ...]:
    """The secrets of these settings values, worked out once per distinct set: every run's arguments
    are redacted with them, and parsing the URLs each time was a few percent of a short job's time."""
    from shared.redact import secrets_in_url

    found = list(values)
    for url in urls:
        found += secrets_in_url(url)
    return tuple(dict.fromkeys(v for v in found if v))


def collect_job_env(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Group ``DRAMATURG_JOB_<NAME>_<FIELD>`` variables by job.

    Returns ``{"PROCESS_CONVERSATIONS": {"SCHEDULE": "*/5 * * * *"}, ...}``;
    the scheduler maps names back to kebab-case and rejects unknown ones.

    Raises:
        ConfigError: a ``DRAMATURG_JOB_`` variable has no known field suffix.
    """
    jobs: dict[str, dict[str, str]] = {}
    for key, value in environ.items():
        if not key.startswith(JOB_PREFIX):
            continue
        rest = key[len(JOB_PREFIX) :]
        field = next((f for f in JOB_FIELDS if rest.endswith("_" + f)), None)
        if field is None or rest == field:
            raise ConfigError(f"{key}: expected DRAMATURG_JOB_<NAME>_<FIELD> with FIELD one of {', '.join(JOB_FIELDS)}")
        jobs.setdefault(rest[: -len(field) - 1], {})[field] = value
    return jobs


M = TypeVar("M", bound=BaseModel)


def validate_env(model: type[M], environ: Mapping[str, str], what: str, **extra: Any) -> M:
    """Validate ``model`` from the variables in ``environ`` that it names (by alias).

    Parameters:
        what: how the error calls this configuration ("game configuration", …).
        extra: field values given directly (they win over the environment).

    Raises:
        ConfigError: naming each invalid variable and why.
    """
    known = {f.alias for f in model.model_fields.values() if f.alias}
    values: dict[str, Any] = {k: v for k, v in environ.items() if k in known}
    values.update(extra)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = err["loc"][0] if err["loc"] else "?"
            info = model.model_fields.get(str(field))
            problems.append(f"{(info.alias if info else None) or field}: {err['msg']}")
        raise ConfigError(f"invalid {what}: " + "; ".join(sorted(set(problems)))) from None


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read and validate the settings.

    Parameters:
        environ: the variables to read (default: ``os.environ``).
        overrides: field values that win over the environment (tests use this).

    Raises:
        ConfigError: naming each invalid variable and why.
    """
    environ = dict(os.environ if environ is None else environ)
    aliases = frozenset(f.alias for f in Settings.model_fields.values() if f.alias)
    return validate_env(
        Settings,
        environ,
        "configuration",
        job_env=collect_job_env(environ),
        queue_limits=collect_queue_env(environ, known=aliases),
        **overrides,
    )
