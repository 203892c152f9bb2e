"""``GET /health`` (seed 002 T050): the database, fresh worker heartbeats, the scheduler, queue age.

200 ``{"status": "ok", "database": "ok", "workers": N, "scheduler": "ok", "oldest_queued_s": ...}``;
503 naming the failing part while the database is unreachable or no worker
heartbeat is fresh. A missing scheduler alone is ``"degraded"`` (200): work
still runs, only cron ticks wait. No key needed (a platform's probe).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dramaturg.web.state import platform, raw_connection
from shared import heartbeats, overview
from shared.db import outage_errors

router = APIRouter(tags=["health"])


def probe(request: Request) -> tuple[int, dict[str, Any]]:
    rt = platform(request)
    body = {"status": "ok", "database": "ok", "workers": 0, "scheduler": "missing", "oldest_queued_s": None}
    now = rt.clock.now()
    try:
        with raw_connection(request) as raw:
            procs = heartbeats.recent(raw, window=heartbeats.fresh_window(rt.settings.heartbeat_seconds))
            depths = overview.queue_depths(raw, now)
    except outage_errors():
        body.update(status="unavailable", database="unavailable", workers=None, scheduler="unknown")
        return 503, body
    body["workers"] = sum(1 for p in procs if p["kind"] == "worker" and p["threads_alive"] > 0)
    body["scheduler"] = "ok" if any(p["kind"] == "scheduler" and p["threads_alive"] > 0 for p in procs) else "missing"
    oldest = overview.oldest_queued_age(depths, now)
    body["oldest_queued_s"] = round(oldest, 3) if oldest is not None else None
    if not body["workers"]:
        body["status"] = "unavailable"
        return 503, body
    if body["scheduler"] != "ok":
        body["status"] = "degraded"
    return 200, body


@router.get("/health", summary="Database, workers, scheduler; 503 when the database or every worker is gone")
def health(request: Request) -> JSONResponse:
    code, body = probe(request)
    return JSONResponse(body, status_code=code)
