"""The web dyno's settings, read from the environment and validated at start (errors name the variable)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from shared.settings import EnvSettings, validate_env

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class WebSettings(EnvSettings):
    host: str = Field("127.0.0.1", alias="DRAMATURG_WEB_HOST")
    port: int = Field(8000, alias="DRAMATURG_WEB_PORT", ge=0, le=65535)
    #: At most this many of an organization's jobs queued or running at once (0: no limit).
    org_max_active_jobs: int = Field(50, alias="DRAMATURG_ORG_MAX_ACTIVE_JOBS", ge=0)
    #: The Retry-After a client gets with 429 too_many_jobs.
    org_retry_after: float = Field(10.0, alias="DRAMATURG_ORG_RETRY_AFTER", gt=0)
    #: Longest ``wait=true`` of an admin trigger, in seconds.
    trigger_wait_max: float = Field(300.0, alias="DRAMATURG_TRIGGER_WAIT_MAX", gt=0)


def load_web_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> WebSettings:
    """Raises: ConfigError naming each invalid variable."""
    return validate_env(WebSettings, dict(os.environ if environ is None else environ), "web configuration", **overrides)


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")
