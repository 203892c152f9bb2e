"""What job_history records of one message's run: the fields of its start, and a finish to batch.

Used by the history middleware (one run at a time) and by the consumer, which
writes the ``running`` rows of a whole claimed batch in its claim transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dramatiq.broker import MessageProxy
from dramatiq.message import Message

from shared.redact import redact_data


def run_fields(broker: Any, message: Message[Any] | MessageProxy) -> dict[str, Any]:
    """The job_history fields of a run of ``message`` starting now (``history.start`` takes them)."""
    actor = broker.actors.get(message.actor_name)
    options = message.options
    job = options.get("job") or (actor.options.get("job_name") if actor else None) or message.actor_name
    enqueued_ms = message.message_timestamp
    return dict(
        job=job,
        actor=message.actor_name,
        message_id=message.message_id,
        parent_id=options.get("parent_run_id"),
        trigger=options.get("trigger") or ("cron" if options.get("tick") else "api"),
        attempt=options.get("retries", 0) + 1,
        period=options.get("period"),
        args=redact_data({"args": list(message.args), "kwargs": dict(message.kwargs)}, broker.settings.secrets),
        enqueued_at=datetime.fromtimestamp(enqueued_ms / 1000, UTC) if enqueued_ms else None,
        now=broker.clock.now(),
    )


INT4_MAX = 2**31 - 1


def fits_int4(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -INT4_MAX <= value <= INT4_MAX


def batchable(fields: dict[str, Any]) -> bool:
    """Whether a run's start can go into a batched statement: a value the database would
    refuse there (an attempt past int4, arguments that are not JSON) would fail the whole
    batch, so such a run is recorded on its own by the middleware instead."""
    if not fits_int4(fields.get("attempt")):
        return False
    try:
        json.dumps(fields.get("args") or {})
    except (TypeError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class StartedRun:
    """A run whose ``running`` row the consumer wrote when it claimed the message.

    ``run_id`` is None when the run was cancelled while queued: it must not run.
    """

    run_id: int | None
    fields: dict[str, Any]


@dataclass(frozen=True)
class Finish:
    """A succeeded attempt, written with the acks in the consumer's next cycle.

    Fenced on ``(run_id, attempt)`` and status ``running``: an attempt gets one final
    outcome, and a row the rescue path closed (its worker was presumed dead) is left alone.
    """

    run_id: int
    attempt: int
    now: datetime
    duration_ms: int
    items: int | None
    #: the result as JSON text (encoded by the worker thread, so a bad value never reaches the batch)
    result_json: str | None
