"""What a running actor can see: its run id, job, period, clock, settings, session.

Set by the job wrappers (``shared/actors.py``) and the history middleware in
paired hooks, read through :func:`current_run` — the same pattern as
Dramatiq's ``CurrentMessage``. Log records pick these values up too.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any

_run: contextvars.ContextVar[RunInfo | None] = contextvars.ContextVar("dramaturg_run", default=None)


@dataclass
class RunInfo:
    """One actor run as the middleware and the logs see it."""

    run_id: int
    job_name: str
    actor_name: str
    message_id: str
    started_monotonic: float
    items_processed: int | None = None
    result: dict[str, Any] | None = None
    entity_ids: list[str] = field(default_factory=list)
    attempt: int | None = None  # the attempt number its job_history row holds


def current_run() -> RunInfo | None:
    return _run.get()


def set_run(info: RunInfo | None) -> contextvars.Token[RunInfo | None]:
    return _run.set(info)


def reset_run(token: contextvars.Token[RunInfo | None]) -> None:
    _run.reset(token)
