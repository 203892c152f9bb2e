"""The schedule table: each job's cron expression, enabled flag, zone and misfire policy.

Built from the App's job registry (``app.registry``) with the per-job
environment overrides applied, and validated at start: a malformed cron
spec, an unknown zone or a variable naming no job stops start-up with an
error that names the variable.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.cron import CronExpr, as_cron
from shared.domains import DOMAINS
from shared.errors import ConfigError
from shared.jobs import CATCH_UP, JobSpec, env_name
from shared.settings import JOB_PREFIX, Settings

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    spec: JobSpec
    cron: CronExpr
    enabled: bool
    zone: ZoneInfo
    catch_up: str
    max_lateness: float


def build_schedule(settings: Settings, jobs: Mapping[str, JobSpec]) -> dict[str, ScheduledJob]:
    """The schedule table, overrides applied.

    Raises:
        ConfigError: naming the variable and what is wrong with it.
    """
    by_env = {env_name(name): name for name in jobs}
    overrides = dict(settings.job_env)
    for key in overrides:
        if key not in by_env:
            close = difflib.get_close_matches(key, by_env, n=1)
            hint = f" (did you mean {JOB_PREFIX}{close[0]}_…?)" if close else ""
            off = [name for name in DOMAINS if name not in settings.apps]
            apps = f"; the jobs of apps not in DRAMATURG_APPS ({', '.join(off)}) are not loaded" if off else ""
            raise ConfigError(
                f"{JOB_PREFIX}{key}_*: no job named {key.lower().replace('_', '-')!r}{hint}; "
                f"jobs: {', '.join(sorted(jobs))}{apps}"
            )
    table = {}
    for name, spec in sorted(jobs.items()):
        env = overrides.get(env_name(name), {})
        var = f"{JOB_PREFIX}{env_name(name)}_"
        table[name] = ScheduledJob(
            name=name,
            spec=spec,
            cron=_cron(env.get("SCHEDULE", spec.schedule), var + "SCHEDULE"),
            enabled=_bool(env.get("ENABLED"), spec.enabled, var + "ENABLED"),
            zone=_zone(env.get("TIMEZONE") or spec.timezone or settings.timezone, var + "TIMEZONE"),
            catch_up=_choice(env.get("CATCH_UP", spec.catch_up), CATCH_UP, var + "CATCH_UP"),
            max_lateness=_seconds(env.get("MAX_LATENESS"), spec.max_lateness, var + "MAX_LATENESS"),
        )
    return table


def _cron(value: object, var: str) -> CronExpr:
    try:
        return as_cron(value)
    except ValueError as exc:
        raise ConfigError(f"{var}={value!r}: {exc}") from None


def _bool(value: str | None, default: bool, var: str) -> bool:
    if value is None:
        return default
    if value.strip().lower() in TRUE:
        return True
    if value.strip().lower() in FALSE:
        return False
    raise ConfigError(f"{var}={value!r}: expected true or false")


def _zone(value: str, var: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{var}={value!r}: unknown IANA time zone") from None


def _choice(value: str, choices: tuple[str, ...], var: str) -> str:
    if value not in choices:
        raise ConfigError(f"{var}={value!r}: expected one of {', '.join(choices)}")
    return value


def _seconds(value: str | None, default: float, var: str) -> float:
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{var}={value!r}: expected a number of seconds") from None
    if seconds < 0:
        raise ConfigError(f"{var}={value!r}: must not be negative")
    return seconds
