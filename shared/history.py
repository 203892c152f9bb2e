"""job_history reads and writes. Every query lives in ``shared/sql/history.sql``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from psycopg2.extras import Json, RealDictCursor

from shared.sql import queries

SQL = queries("history")


def _one(raw, name: str, params: dict[str, Any]):
    with raw.cursor() as cur:
        cur.execute(SQL[name], params)
        row = cur.fetchone()
    return row[0] if row else None


def insert_queued(
    raw,
    *,
    job: str,
    actor: str,
    message_id: str,
    trigger: str,
    now: datetime,
    period: str | None = None,
    args: dict | None = None,
    parent_id: int | None = None,
) -> int | None:
    """Record a run at enqueue time (manual and API triggers). Runs in the caller's transaction."""
    return _one(
        raw,
        "history_insert_queued",
        dict(
            job=job,
            actor=actor,
            message_id=message_id,
            parent_id=parent_id,
            trigger=trigger,
            period=period,
            args=Json(args or {}),
            now=now,
        ),
    )


def start(raw, **fields) -> int:
    fields["args"] = Json(fields.get("args") or {})
    return _one(raw, "history_start", fields)


def finish(
    raw,
    *,
    id: int,
    status: str,
    now: datetime,
    duration_ms: int | None,
    items: int | None,
    result: dict | None,
    error: str | None,
    traceback: str | None,
) -> None:
    with raw.cursor() as cur:
        cur.execute(
            SQL["history_finish"],
            dict(
                id=id,
                status=status,
                now=now,
                duration_ms=duration_ms,
                items=items,
                result=Json(result) if result is not None else None,
                error=error,
                traceback=traceback,
            ),
        )


def skip(raw, **fields) -> int:
    fields["args"] = Json(fields.get("args") or {})
    fields.setdefault("duration_ms", None)
    return _one(raw, "history_skip", fields)


def get(raw, run_id: int) -> dict | None:
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL["history_get"], {"id": run_id})
        row = cur.fetchone()
    return dict(row) if row else None


def list_runs(
    raw,
    *,
    job: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    top_level: bool = False,
) -> list[dict]:
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL["history_list"], dict(job=job, status=status, since=since, limit=limit, top_level=top_level))
        return [dict(r) for r in cur.fetchall()]


def last_runs(raw) -> dict[str, dict]:
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL["history_last_runs"])
        return {r["job_name"]: dict(r) for r in cur.fetchall()}


def failures_since(raw, since: datetime) -> dict[str, int]:
    with raw.cursor() as cur:
        cur.execute(SQL["history_failures_since"], {"since": since})
        return dict(cur.fetchall())


def prune(raw, *, now: datetime, retention_days: float) -> int:
    with raw.cursor() as cur:
        cur.execute(SQL["history_prune"], {"before": now - timedelta(days=retention_days)})
        return cur.rowcount


def children_counts(raw, run_id: int) -> dict[str, int]:
    """Children of a fan-out run, counted by status."""
    with raw.cursor() as cur:
        cur.execute(SQL["history_children_counts"], {"id": run_id})
        return dict(cur.fetchall())
