"""Admin endpoints: trigger a cron job now (``POST /api/admin/jobs/{name}/trigger``).

Same semantics as ``dramaturg trigger``: the run takes the job's (job,
period) lock when it starts, so a trigger during a cron run of the same
period is recorded as skipped (or waits, for ``lock="wait"`` jobs);
``wait=true`` answers with the outcome once the run and its children finished.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from dramaturg.web.auth import Principal, admin
from dramaturg.web.errors import ApiError
from dramaturg.web.state import platform, web_settings
from dramaturg.web.views import api_status
from scheduler.trigger import trigger_job, wait_for_run

router = APIRouter(prefix="/api/admin", tags=["admin"])


class TriggerIn(BaseModel):
    args: dict[str, Any] = Field(
        default_factory=dict[str, Any], description="job arguments, validated by the job's model"
    )
    at: datetime | None = Field(default=None, description="run for the period containing this instant")
    wait: bool = Field(default=False, description="answer with the outcome once the run (and its children) finished")
    timeout: float = Field(default=60.0, gt=0, description="seconds to wait with wait=true")


@router.post(
    "/jobs/{name}/trigger", status_code=201, summary="Trigger a cron job now; returns its run id", response_model=None
)
def trigger(
    name: str, request: Request, body: TriggerIn | None = None, principal: Principal = Depends(admin)
) -> dict[str, Any] | JSONResponse:
    rt = platform(request)
    body = body or TriggerIn()
    at = body.at.replace(tzinfo=UTC) if body.at and body.at.tzinfo is None else body.at
    # trigger_job checks the job exists and its arguments before anything is written
    run_id = trigger_job(rt, name, args=body.args, at=at, acted_by=principal.label)
    if not body.wait:
        return {"id": run_id, "job": name, "status": "PENDING"}
    timeout = min(body.timeout, web_settings(request).trigger_wait_max)
    try:
        row = wait_for_run(rt, run_id, timeout=timeout)
    except TimeoutError as exc:
        raise ApiError(504, "timeout", str(exc), id=run_id) from None
    return JSONResponse(
        {
            "id": run_id,
            "job": name,
            "status": api_status(row["status"]),
            "items_processed": row["items_processed"],
            "duration_ms": row["duration_ms"],
            "error": row["error"],
            "children": {api_status(k): v for k, v in sorted(row.get("children", {}).items())},
        },
        status_code=200,
    )
