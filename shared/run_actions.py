"""Acting on runs: submit a job, cancel a queued run, retry a failed one. SQL in ``shared/sql/run_actions.sql``.

Each action is one transaction. A submission takes its organization's
advisory lock, checks the idempotency key and the organization's limit, then
writes the job_history row ('queued') and the message together — so the limit
holds under concurrent submissions and a failed enqueue leaves no row. The
payload is validated with the actor's pydantic model before anything is
written (an item actor's ``payload_model``, a cron job's ``args_model``, else
the function's signature).
"""

from __future__ import annotations

import difflib
import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast
from zoneinfo import ZoneInfo

from dramatiq.message import Message
from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import Json, RealDictCursor
from pydantic import BaseModel, ValidationError

from shared.errors import PayloadRejected, RunConflict, RunNotFound, TooManyJobs, UnknownJob
from shared.jobs import JobSpec, Registry
from shared.locks import period_key
from shared.sql import queries

if TYPE_CHECKING:
    from shared.app import App
    from shared.postgres_broker import PostgresBroker

SQL = queries("run_actions")
CANCELLABLE = ("queued", "retrying")
RETRYABLE = ("failed", "cancelled")


@dataclass(frozen=True)
class Target:
    """What a submission's ``type`` names: a cron job, an item actor or a plain actor."""

    kind: str  # "cron" | "item" | "actor"
    job: str  # the job_history job_name
    actor: Any
    spec: JobSpec | None = None
    model: type[BaseModel] | None = None


@dataclass(frozen=True)
class Limits:
    """Per-organization limit on jobs queued or running at once (0: none)."""

    org_max_active: int = 50
    retry_after: float = 10.0


def resolve_type(broker: PostgresBroker, registry: Registry, name: str) -> Target:
    """The job or actor called ``name``.

    Raises:
        UnknownJob: with the closest job or actor name.
    """
    jobs = registry.jobs
    spec = jobs.get(name)
    actor = spec.actor if spec else broker.actors.get(name)
    if actor is None:
        names = sorted(set(jobs) | set(broker.actors))
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownJob(f"unknown job type {name!r}.{hint}")
    if actor.options.get("kind") == "cron":
        job = actor.options.get("job_name") or name
        return Target("cron", job, actor, jobs.get(job), actor.options.get("args_model"))
    if actor.options.get("payload_model") is not None:
        return Target("item", actor.actor_name, actor, model=actor.options["payload_model"])
    return Target("actor", actor.actor_name, actor)


def validate_payload(target: Target, payload: dict[str, Any]) -> dict[str, Any]:
    """The message kwargs for ``payload``.

    Raises:
        PayloadRejected: naming each invalid field.
    """
    if target.kind == "cron":
        return {"tick": None, "args": job_arguments(target.job, target.model, payload)}
    if target.model is not None:
        return _validated(target.model, payload)
    errors = _signature_errors(target.actor.fn, payload)
    if errors:
        raise PayloadRejected(f"invalid payload for {target.job}: {_described(errors)}", errors=errors)
    return dict(payload)


def job_arguments(job: str, model: type[BaseModel] | None, given: dict[str, Any]) -> dict[str, Any]:
    """A cron job's arguments as its run will see them: validated with its ``args_model``; a job
    without one takes none. The one check behind every way of triggering a job (the CLI's
    ``--arg``, the admin endpoint, the job API, ``trigger_job``), made before anything is written.

    Raises:
        PayloadRejected: arguments for a job that takes none, or that its model refuses or does not know.
    """
    if model is None:
        if given:
            raise PayloadRejected(
                f"the job {job!r} takes no arguments (got {', '.join(sorted(given))})",
                errors=[{"field": k, "message": "unexpected argument: the job takes none"} for k in sorted(given)],
            )
        return {}
    try:
        return _validated(model, given)
    except PayloadRejected as exc:
        raise PayloadRejected(
            f"invalid arguments for the job {job!r}: {_described(exc.errors)}", errors=exc.errors
        ) from None


def _described(errors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{e['field']}: {e['message']}" for e in errors)


def _signature_errors(fn: Callable[..., Any], payload: dict[str, Any]) -> list[dict[str, Any]]:
    """A plain actor has no model: check the payload against its keyword parameters."""
    params = inspect.signature(fn).parameters
    kinds = {p.kind for p in params.values()}
    errors = []
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        errors += [{"field": k, "message": "unexpected argument"} for k in payload if k not in params]
    errors += [
        {"field": name, "message": "missing required argument"}
        for name, p in params.items()
        if p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        and name not in payload
    ]
    return errors


def _validated(model: type[BaseModel], payload: dict[str, Any]) -> dict[str, Any]:
    # A submission forbids keys the model has no field for: pydantic would drop them, and a
    # misspelt argument would run with its default. A model declared extra="allow" keeps them;
    # messages already queued are read at run time as the model itself says.
    extra: Literal["forbid"] | None = None if model.model_config.get("extra") == "allow" else "forbid"
    try:
        return model.model_validate(payload, extra=extra).model_dump(mode="json")
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"]) or "payload",
                "message": "unexpected argument" if e["type"] == "extra_forbidden" else e["msg"],
            }
            for e in exc.errors()
        ]
        raise PayloadRejected(f"invalid payload: {_described(errors)}", errors=errors) from None


def submit(
    app: App,
    target: Target,
    kwargs: dict[str, Any],
    *,
    org_id: str | None,
    acted_by: str,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
    limits: Limits = Limits(),
    trigger: str = "api",
) -> tuple[int, bool]:
    """Enqueue one run; returns ``(run_id, created)`` — ``created`` is False for a repeated idempotency key.

    Raises:
        TooManyJobs: the organization is at its limit; nothing was enqueued.
    """
    now = app.clock.now()
    period = None
    if target.kind == "cron" and target.spec is not None:
        zone = ZoneInfo(target.spec.timezone or app.settings.timezone)
        period = period_key((run_at or now).astimezone(zone), target.spec.period)
    message = target.actor.message_with_options(kwargs=kwargs, job=target.job, trigger=trigger, period=period).copy(
        message_id=str(uuid.uuid4())
    )
    with app.connection() as raw:
        if org_id is not None or idempotency_key is not None:
            _execute(raw, "org_jobs_lock", {"org": org_id})
        if idempotency_key is not None:
            existing = _scalar(raw, "run_find_by_idempotency_key", {"org": org_id, "key": idempotency_key})
            if existing is not None:
                return existing, False
        _check_limit(raw, org_id, limits)
        run_id = _insert(raw, message, target.job, trigger, period, now, org_id, idempotency_key, None, acted_by)
        app.broker.enqueue_many([message], conn=raw, eta=run_at)
    return run_id, True


def cancel(app: App, run_id: int, *, org: str | None, acted_by: str) -> dict[str, Any]:
    """Cancel a queued or delayed run: its message can never run afterwards.

    Raises:
        RunNotFound: no such run in ``org``.
        RunConflict: the run is running or finished.
    """
    with app.connection() as raw:
        run = _lock(raw, run_id, org)
        if run["status"] not in CANCELLABLE:
            raise RunConflict(f"run {run_id} is {run['status']}: only a queued or delayed run can be cancelled")
        _execute(raw, "run_mark_cancelled", {"id": run_id, "now": app.clock.now(), "acted_by": acted_by})
        _execute(raw, "queue_reject_cancelled", {"message_id": run["message_id"]})
    return {**run, "status": "cancelled"}


def retry(
    app: App,
    run_id: int,
    *,
    org: str | None,
    acted_by: str,
    limits: Limits = Limits(),
    trigger: str = "api",
) -> int:
    """Run a failed or cancelled run again as a new run linked to it (``retry_of``); returns the new id.

    Raises:
        RunNotFound: no such run in ``org``.
        RunConflict: the run is not failed or cancelled, or its actor no longer exists.
        TooManyJobs: its organization is at its limit.
    """
    broker = app.broker
    with app.connection() as raw:
        run = _lock(raw, run_id, org)
        if run["status"] not in RETRYABLE:
            raise RunConflict(f"run {run_id} is {run['status']}: only a failed or cancelled run can be retried")
        actor = broker.actors.get(run["actor_name"])
        if actor is None:
            raise RunConflict(f"run {run_id}'s actor {run['actor_name']!r} is not declared in this process")
        args = run["args"] or {}
        message = actor.message_with_options(
            args=tuple(args.get("args") or ()),
            kwargs=dict(args.get("kwargs") or {}),
            job=run["job_name"],
            trigger=trigger,
            period=run["period"],
        ).copy(message_id=str(uuid.uuid4()))
        if run["org_id"] is not None:
            _execute(raw, "org_jobs_lock", {"org": run["org_id"]})
            _check_limit(raw, run["org_id"], limits)
        now = app.clock.now()
        new_id = _insert(
            raw, message, run["job_name"], trigger, run["period"], now, run["org_id"], None, run_id, acted_by
        )
        broker.enqueue_many([message], conn=raw)
    return new_id


# --- helpers --------------------------------------------------------------------------
def _check_limit(raw: PgConnection, org_id: str | None, limits: Limits) -> None:
    if org_id is None or not limits.org_max_active:
        return
    active = _scalar(raw, "org_jobs_active_count", {"org": org_id})
    if active >= limits.org_max_active:
        raise TooManyJobs(
            f"organization {org_id!r} has {active} jobs queued or running (limit {limits.org_max_active})",
            retry_after=limits.retry_after,
        )


def _insert(
    raw: PgConnection,
    message: Message[Any],
    job: str,
    trigger: str,
    period: str | None,
    now: datetime,
    org_id: str | None,
    key: str | None,
    retry_of: int | None,
    acted_by: str | None,
) -> int:
    return cast(
        int,
        _scalar(
            raw,
            "run_insert_queued",
            dict(
                job=job,
                actor=message.actor_name,
                message_id=message.message_id,
                trigger=trigger,
                period=period,
                args=Json({"args": list(message.args), "kwargs": dict(message.kwargs)}),
                now=now,
                org=org_id,
                key=key,
                retry_of=retry_of,
                acted_by=acted_by,
            ),
        ),
    )


def _lock(raw: PgConnection, run_id: int, org: str | None) -> dict[str, Any]:
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL["run_lock"], {"id": run_id, "org": org})
        row = cur.fetchone()
    if row is None:
        raise RunNotFound(f"no run {run_id}")
    return dict(row)


def _execute(raw: PgConnection, name: str, params: dict[str, Any]) -> None:
    with raw.cursor() as cur:
        cur.execute(SQL[name], params)


def _scalar(raw: PgConnection, name: str, params: dict[str, Any]) -> Any:
    """The first column of the statement's row (None: no row), as the driver gives it."""
    with raw.cursor() as cur:
        cur.execute(SQL[name], params)
        row = cur.fetchone()
    return row[0] if row else None
