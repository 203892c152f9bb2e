"""How runs look to clients: job_history statuses mapped to the API's names, rows made JSON.

The API names (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, RETRYING,
SKIPPED) are what clients filter and switch on; job_history keeps its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.redact import redact

API_STATUS = {
    "queued": "PENDING",
    "running": "RUNNING",
    "succeeded": "COMPLETED",
    "failed": "FAILED",
    "cancelled": "CANCELLED",
    "retrying": "RETRYING",
    "skipped": "SKIPPED",
}
HISTORY_STATUS = {v: k for k, v in API_STATUS.items()}
FINAL = ("succeeded", "failed", "cancelled", "skipped")


def api_status(status: str) -> str:
    return API_STATUS.get(status, status.upper())


def history_status(text: str) -> str:
    """``FAILED`` or ``failed`` → ``failed``.

    Raises:
        ValueError: naming the valid statuses.
    """
    value = text.strip()
    if value.upper() in HISTORY_STATUS:
        return HISTORY_STATUS[value.upper()]
    if value.lower() in API_STATUS:
        return value.lower()
    raise ValueError(f"unknown status {text!r}; use one of {', '.join(API_STATUS.values())}")


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def payload_of(run: dict[str, Any]) -> dict[str, Any]:
    """What was submitted: a cron job's arguments, or an actor's keyword arguments."""
    args = run.get("args") or {}
    kwargs = dict(args.get("kwargs") or {})
    if set(kwargs) == {"tick", "args"}:
        return dict(kwargs.get("args") or {})
    return kwargs


def run_summary(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": run["id"],
        "type": run["job_name"],
        "actor": run["actor_name"],
        "status": api_status(run["status"]),
        "org_id": run.get("org_id"),
        "trigger": run["trigger"],
        "attempt": run["attempt"],
        "parent_id": run.get("parent_id"),
        "retry_of": run.get("retry_of"),
        "created_at": iso(run.get("enqueued_at")),
        "started_at": iso(run.get("started_at")),
        "finished_at": iso(run.get("finished_at")),
        "duration_ms": run.get("duration_ms"),
        "items_processed": run.get("items_processed"),
        "error": run.get("error"),
    }


def run_detail(run: dict[str, Any], secrets: tuple[str, ...]) -> dict[str, Any]:
    """The full run: attempts, payload, result, traceback (redacted again here), parent, children, retries."""
    children = run.get("children")
    out = run_summary(run)
    out.update(
        {
            "period": run.get("period"),
            "idempotency_key": run.get("idempotency_key"),
            "acted_by": run.get("acted_by"),
            "payload": payload_of(run),
            "result": run.get("result"),
            "error": redact(run.get("error"), secrets),
            "traceback": redact(run.get("traceback"), secrets),
            "attempts": [
                {
                    "attempt": a.get("attempt"),
                    "status": api_status(a.get("status") or ""),
                    "error": redact(a.get("error"), secrets),
                    "started_at": a["started_at"] if isinstance(a.get("started_at"), str) else iso(a.get("started_at")),
                    "finished_at": a["finished_at"]
                    if isinstance(a.get("finished_at"), str)
                    else iso(a.get("finished_at")),
                    "duration_ms": a.get("duration_ms"),
                }
                for a in run.get("attempts") or []
            ],
            "parent": (
                {
                    "id": run["parent"]["id"],
                    "type": run["parent"]["job_name"],
                    "status": api_status(run["parent"]["status"]),
                }
                if run.get("parent")
                else None
            ),
            "retries": [{"id": r["id"], "status": api_status(r["status"])} for r in run.get("retries") or []],
            "children": (
                {
                    "total": children["total"],
                    "by_status": {api_status(k): v for k, v in sorted(children["by_status"].items())},
                    "totals": children["totals"],
                    "failing": [
                        {
                            "id": c["id"],
                            "actor": c["actor_name"],
                            "attempt": c["attempt"],
                            "error": redact(c["error"], secrets),
                            "finished_at": iso(c["finished_at"]),
                        }
                        for c in children["failing"]
                    ],
                }
                if children
                else None
            ),
        }
    )
    return out
