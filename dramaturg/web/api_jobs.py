"""The job API: submit, list, show, cancel and retry jobs (``/api/jobs``).

Every route takes the caller's key (``auth.current``): an org key is confined
to its organization — another organization's run answers 404, exactly like a
run that does not exist — and only an admin key may submit a cron job.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from dramaturg.web import views
from dramaturg.web.auth import Principal, current
from dramaturg.web.errors import ApiError, forbidden, not_found
from dramaturg.web.state import platform, raw_connection, web_settings
from shared import run_actions, runs

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


class JobIn(BaseModel):
    type: str = Field(..., min_length=1, description="a job name (e.g. `decay`) or an actor name (`game.deliver.item`)")
    payload: dict[str, Any] = Field(
        default_factory=dict[str, Any], description="validated with the actor's pydantic model"
    )
    org_id: str | None = Field(None, min_length=1, max_length=200, description="defaults to the key's organization")
    run_at: datetime | None = Field(None, description="ISO instant; the job waits until then")
    idempotency_key: str | None = Field(
        None, min_length=1, max_length=200, description="a repeat returns the first job"
    )


def limits(request: Request) -> run_actions.Limits:
    s = web_settings(request)
    return run_actions.Limits(org_max_active=s.org_max_active_jobs, retry_after=s.org_retry_after)


def _org_for(principal: Principal, requested: str | None) -> str | None:
    if principal.is_admin:
        return requested
    if requested is not None and requested != principal.org_id:
        raise forbidden(f"this key belongs to organization {principal.org_id!r}")
    return principal.org_id


def _detail(request: Request, run_id: int, principal: Principal) -> dict[str, Any]:
    with raw_connection(request) as raw:
        run = runs.get_run(raw, run_id, org=principal.org_scope)
    if run is None:
        raise not_found(f"no job {run_id}")
    return views.run_detail(run, platform(request).settings.secrets)


@router.post("", status_code=201, summary="Submit a job", response_model=None)
def submit(body: JobIn, request: Request, principal: Principal = Depends(current)) -> dict[str, Any] | JSONResponse:
    rt = platform(request)
    target = run_actions.resolve_type(rt.broker, rt.registry, body.type)
    if target.kind == "cron" and not principal.is_admin:
        raise forbidden("only an admin key triggers cron jobs")
    org_id = _org_for(principal, body.org_id)
    kwargs = run_actions.validate_payload(target, body.payload)
    run_at = body.run_at.replace(tzinfo=UTC) if body.run_at and body.run_at.tzinfo is None else body.run_at
    run_id, created = run_actions.submit(
        rt,
        target,
        kwargs,
        org_id=org_id,
        acted_by=principal.label,
        run_at=run_at,
        idempotency_key=body.idempotency_key,
        limits=limits(request),
    )
    if not created:  # a repeated idempotency key: the first job, as it is now
        return JSONResponse(_detail(request, run_id, principal), status_code=200)
    return {
        "id": run_id,
        "status": "PENDING",
        "type": target.job,
        "org_id": org_id,
        "run_at": views.iso(run_at),
        "idempotency_key": body.idempotency_key,
    }


@router.get("", summary="List jobs, newest first (keyset-paged)", response_model=None)
def list_jobs(
    request: Request,
    status: str | None = Query(None, description="PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, RETRYING, SKIPPED"),
    type: str | None = Query(None, description="job name"),
    org_id: str | None = Query(None),
    since: str | None = Query(None, description="ISO instant, or a span back from now: 30m, 2h, 7d"),
    limit: int = Query(50, ge=1, le=runs.MAX_PAGE),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    top_level: bool = Query(False, description="leave out fan-out children"),
    principal: Principal = Depends(current),
) -> dict[str, Any]:
    org = _org_for(principal, org_id)
    try:
        state = views.history_status(status) if status else None
        before = int(cursor) if cursor else None
        since_at = parse_since(since, platform(request).clock.now()) if since else None
    except ValueError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    with raw_connection(request) as raw:
        rows = runs.list_runs(
            raw, org=org, status=state, job=type, since=since_at, before=before, limit=limit + 1, top_level=top_level
        )
    page, more = rows[:limit], len(rows) > limit
    return {"jobs": [views.run_summary(r) for r in page], "next_cursor": str(page[-1]["id"]) if more else None}


@router.get(
    "/{job_id}", summary="One job: status, attempts, result, traceback, parent and children", response_model=None
)
def show(job_id: int, request: Request, principal: Principal = Depends(current)) -> dict[str, Any]:
    return _detail(request, job_id, principal)


@router.delete("/{job_id}", summary="Cancel a queued or delayed job", response_model=None)
def cancel(job_id: int, request: Request, principal: Principal = Depends(current)) -> dict[str, Any]:
    run_actions.cancel(platform(request), job_id, org=principal.org_scope, acted_by=principal.label)
    return {"id": job_id, "status": "CANCELLED"}


@router.post("/{job_id}/retry", status_code=201, summary="Run a failed or cancelled job again", response_model=None)
def retry(job_id: int, request: Request, principal: Principal = Depends(current)) -> dict[str, Any]:
    new_id = run_actions.retry(
        platform(request), job_id, org=principal.org_scope, acted_by=principal.label, limits=limits(request)
    )
    return {"id": new_id, "retry_of": job_id, "status": "PENDING"}


def parse_since(text: str, now: datetime) -> datetime:
    """``30m`` / ``2h`` / ``7d`` back from ``now``, or an ISO instant (UTC when naive).

    Raises:
        ValueError: neither.
    """
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if text[-1:] in units and text[:-1].isdigit():
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"since: expected an ISO instant or 30m / 2h / 7d, got {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
