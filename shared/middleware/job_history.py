"""JobHistory: one job_history row per actor run, written in paired hooks.

``before_process_message`` sets the run context; the row is already running
when the consumer wrote it in the claim's transaction (``StartedRun`` on the
message), else it upserts it as running here (a manual trigger created it as
queued at enqueue time). ``after_process_message`` writes the outcome —
succeeded (reported to the outcome ledger and written with the ack, in the
consumer's next cycle), retrying (the Retries middleware re-queued it) or
failed (it did not), those two at once — and
``after_skip_message`` writes skipped. A run cancelled through the job API
while a worker held its message prefetched is skipped at start (its row says
cancelled and stays so). A plain actor's return value is recorded too: a
JSON dict lands in ``result``, an int in ``items_processed``. It must sit *before* Retries in the
middleware list: Dramatiq calls after-hooks in reverse order, so this one
then sees Retries' decision.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
import traceback as tb
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dramatiq import Middleware
from dramatiq.broker import MessageProxy
from dramatiq.middleware import SkipMessage

from shared import history
from shared.claims import claim_of
from shared.context import RunInfo, current_run, reset_run, set_run
from shared.db import retry_through_outage
from shared.redact import redact, redact_data
from shared.run_record import Finish, fits_int4, run_fields

if TYPE_CHECKING:
    from shared.postgres_broker import PostgresBroker

logger = logging.getLogger(__name__)


class JobHistory(Middleware):
    #: Tells the broker's consumers to write the running rows of what they claim.
    records_job_history = True

    def __init__(self) -> None:
        self._tokens: dict[str, contextvars.Token[RunInfo | None]] = {}

    @property
    def actor_options(self) -> set[str]:
        return {"job_name"}

    def _fields(self, broker: PostgresBroker, message: MessageProxy) -> dict[str, Any]:
        return run_fields(broker, message)

    def before_process_message(self, broker: PostgresBroker, message: MessageProxy) -> None:
        started = getattr(message, "started_run", None)
        if started is not None:  # written running by the consumer, in the claim's transaction
            fields, run_id = started.fields, started.run_id
        else:
            fields = self._fields(broker, message)

            def write() -> int | None:
                with broker.pooled() as raw:
                    run_id = history.start(raw, **fields)
                    raw.commit()
                return run_id

            # Through a database restart: a run without its row (or one left 'running') misleads status and waiters.
            run_id = retry_through_outage(write, what=f"recording the start of {message.message_id}")
        if run_id is None:  # cancelled after a worker prefetched it: it must never run
            message.options["skip_reason"] = "cancelled"
            raise SkipMessage()
        info = RunInfo(run_id, fields["job"], message.actor_name, message.message_id, time.monotonic())
        info.attempt = fields["attempt"]
        self._tokens[message.message_id] = set_run(info)

    def after_process_message(
        self,
        broker: PostgresBroker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        info = current_run()
        if info is None or info.message_id != message.message_id:
            return
        try:
            if exception is None:
                status, error, trace = "succeeded", None, None
                _adopt_return_value(info, result)
            else:
                status = "failed" if message.failed else "retrying"
                secrets = broker.settings.secrets
                error = redact(f"{type(exception).__name__}: {exception}", secrets)
                trace = redact("".join(tb.format_exception(exception)), secrets)
            duration_ms = int((time.monotonic() - info.started_monotonic) * 1000)
            now = broker.clock.now()
            finish = _batched_finish(message, info, status, now, duration_ms, broker.settings.secrets)
            if finish is not None:
                broker.outcomes.succeeded(finish)  # written with the ack, in one transaction

            def write() -> None:
                with broker.pooled() as raw:
                    history.finish(
                        raw,
                        id=info.run_id,
                        status=status,
                        now=now,
                        duration_ms=duration_ms,
                        items=info.items_processed,
                        result=redact_data(info.result, broker.settings.secrets),
                        error=error,
                        traceback=trace,
                    )
                    raw.commit()

            if finish is None:
                retry_through_outage(write, what=f"recording the outcome of {message.message_id}")
            # One line per run, children included: its prefix names the entities (entities=…), and the
            # ids the run's result reports (created_task_id=…) follow the counts.
            log = logger.info if status == "succeeded" else logger.warning
            log(
                "run %s %s in %d ms, items_processed=%s%s%s",
                info.run_id,
                status,
                duration_ms,
                info.items_processed,
                result_ids(info.result),
                f": {error}" if error else "",
            )
        finally:
            self._reset(message)

    def after_skip_message(self, broker: PostgresBroker, message: MessageProxy) -> None:
        info = current_run()
        fields = self._fields(broker, message)
        fields["error"] = redact(message.options.get("skip_reason") or "skipped", broker.settings.secrets)
        if info is not None:
            fields["duration_ms"] = int((time.monotonic() - info.started_monotonic) * 1000)
        try:
            with broker.pooled() as raw:
                history.skip(raw, **fields)
                raw.commit()
        finally:
            self._reset(message)

    def _reset(self, message: MessageProxy) -> None:
        token = self._tokens.pop(message.message_id, None)
        if token is not None:
            reset_run(token)


def _batched_finish(
    message: Any, info: RunInfo, status: str, now: datetime, duration_ms: int, secrets: Sequence[str]
) -> Finish | None:
    """A succeeded attempt of a claimed message, to write with its ack; None: write it now.

    Failures are written at once: a retry is already back in the queue and its next
    attempt's start must not race an outcome still waiting in the ledger.
    """
    if status != "succeeded" or claim_of(message) is None or info.run_id is None:
        return None
    items, attempt = info.items_processed, info.attempt
    if (
        attempt is None
        or not fits_int4(attempt)
        or not fits_int4(duration_ms)
        or (items is not None and not fits_int4(items))
    ):
        return None
    try:
        result = redact_data(info.result, secrets)
        result_json = None if result is None else json.dumps(result)
    except (TypeError, ValueError):
        return None
    return Finish(info.run_id, attempt, now, duration_ms, items, result_json)


def _adopt_return_value(info: RunInfo, result: Any) -> None:
    """A plain actor's return value, when the job wrappers did not record one already."""
    if info.result is not None or info.items_processed is not None:
        return
    if isinstance(result, bool):
        return
    if isinstance(result, int):
        info.items_processed = result
    elif isinstance(result, dict):
        try:
            json.dumps(result)
        except (TypeError, ValueError):  # not JSON: nothing to store
            return
        info.result = result
        items = result.get("items_processed")
        if isinstance(items, int) and not isinstance(items, bool):
            info.items_processed = items


def result_ids(result: dict[str, Any] | None) -> str:
    """``, created_task_id=17, children_enqueued=3`` from a run's result: its ids and its children's count."""
    if not result:
        return ""
    keys = [k for k in result if k.endswith(("_id", "_ids")) or k == "children_enqueued"]
    return "".join(f", {k}={result[k]}" for k in keys)
