"""Trigger a job by hand (CLI, admin scripts, an HTTP admin endpoint) and wait for its outcome.

The job_history row is written in the same transaction as the message, so
the returned id exists at once and a failed enqueue leaves no orphan row.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.schedule import build_schedule
from shared import clock_guard, history
from shared.app import App
from shared.errors import TriggerRefused
from shared.jobs import JobSpec
from shared.locks import period_key
from shared.redact import redact_data
from shared.run_actions import job_arguments

logger = logging.getLogger(__name__)
FINAL = ("succeeded", "failed", "skipped", "cancelled")


def trigger_job(
    app: App,
    name: str,
    *,
    args: dict[str, Any] | None = None,
    at: datetime | None = None,
    trigger: str = "manual",
    acted_by: str | None = None,
    replay: bool = False,
) -> int:
    """Enqueue one run of job ``name`` and return its job_history id.

    Parameters:
        args: job arguments, checked here against the job's ``args_model`` before anything is
            written (``run_actions.job_arguments``: a job without one takes none).
        at: run for the period containing this instant (default: now). It may not
            be in the future (beyond DRAMATURG_MAX_CLOCK_SKEW) nor older than the
            job's ``replay_horizon``, judged by the database's clock.
        replay: run for ``at`` even outside that window (a deliberate replay).
        acted_by: who triggered it (an API key's prefix, ``cli:user@host``), recorded in job_history.

    Raises:
        UnknownJob: no such job (the message lists the valid names).
        TriggerRefused: ``at`` is outside the job's window and ``replay`` is not set.
        PayloadRejected: arguments the job does not take, naming each.
    """
    spec = app.registry.job(name)
    args = job_arguments(name, spec.actor.options.get("args_model"), args or {})
    with app.connection() as raw:
        # "Now" is the database's (or its simulated timeline's): this process's clock may be wrong.
        reading = clock_guard.reference_now(app, raw)
        if at is not None:
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            if not replay:
                _check_window(spec, at, reading)
        if not _effective_enabled(app, spec):
            logger.warning("job %s is disabled for cron; running it anyway because it was triggered by hand", name)
        tick = at.isoformat() if at else None
        zone = ZoneInfo(spec.timezone or app.settings.timezone)
        period = period_key((at or reading.reference_at).astimezone(zone), spec.period)
        options = {"replay": True} if replay and at is not None else {}
        message = spec.actor.message_with_options(
            kwargs={"tick": tick, "args": args},
            job=name,
            trigger=trigger,
            period=period,
            **options,
        ).copy(message_id=str(uuid.uuid4()))
        # The run's row and its message in one transaction: a failed enqueue leaves no orphan row.
        run_id = history.insert_queued(
            raw,
            job=name,
            actor=spec.actor.actor_name,
            message_id=message.message_id,
            trigger=trigger,
            now=app.clock.now(),
            period=period,
            args=redact_data({"args": [], "kwargs": message.kwargs}, app.settings.secrets),
            acted_by=acted_by,
        )
        app.broker.enqueue_many([message], conn=raw)
    assert run_id is not None  # the message id is new, so the insert cannot conflict
    return run_id


def _check_window(spec: JobSpec, at: datetime, reading: clock_guard.ClockReading) -> None:
    now = reading.reference_at
    if at > reading.ceiling:
        raise TriggerRefused(
            f"refusing to run {spec.name} for {at.isoformat()}: that is in the future (the database's clock reads "
            f"{now.isoformat()}, DRAMATURG_MAX_CLOCK_SKEW={reading.tolerance:g}s); a run for a period that has not "
            "happened would apply it early. Pass --replay (replay=True) to run it anyway."
        )
    horizon = timedelta(seconds=spec.replay_horizon)
    if at < now - horizon:
        raise TriggerRefused(
            f"refusing to run {spec.name} for {at.isoformat()}: that is more than {_span(horizon)} ago, past the job's "
            f"replay horizon (the database's clock reads {now.isoformat()}). Pass --replay (replay=True) to run it anyway."
        )


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"


def _effective_enabled(app: App, spec: JobSpec) -> bool:
    entry = build_schedule(app.settings, app.registry.jobs).get(spec.name)
    return entry.enabled if entry else spec.enabled


def wait_for_run(app: App, run_id: int, *, timeout: float, include_children: bool = True) -> dict[str, Any]:
    """Poll job_history until run ``run_id`` (and, by default, its children) finished.

    Returns the run's row, with ``children`` counts by status when it fanned out.

    Raises:
        TimeoutError: the run did not finish within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        # A connection per poll: a pooled App checks one out and back (a one-shot App would connect each time).
        with app.connection() as raw:
            row = history.get(raw, run_id)
            children = history.children_counts(raw, run_id) if row and include_children else {}
        expected = ((row or {}).get("result") or {}).get("children_enqueued", 0) if include_children else 0
        finished = sum(n for s, n in children.items() if s in FINAL)
        if row and row["status"] in FINAL and finished >= expected and finished == sum(children.values()):
            if children:
                row["children"] = children
            return row
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} did not finish within {timeout:.0f}s (status: {row and row['status']})")
        time.sleep(0.05)  # polling job_history is the condition; this is its interval
