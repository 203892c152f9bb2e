"""job_history reads and writes. Every query lives in ``shared/sql/history.sql``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import Json, RealDictCursor

from shared.run_record import Finish
from shared.sql import queries

SQL = queries("history")


def _one(raw: PgConnection, name: str, params: dict[str, Any]) -> int | None:
    """The id the statement returns (None: it returned no row)."""
    with raw.cursor() as cur:
        cur.execute(SQL[name], params)
        row = cur.fetchone()
    return cast(int, row[0]) if row else None


def insert_queued(
    raw: PgConnection,
    *,
    job: str,
    actor: str,
    message_id: str,
    trigger: str,
    now: datetime,
    period: str | None = None,
    args: dict[str, Any] | None = None,
    parent_id: int | None = None,
    acted_by: str | None = None,
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
            acted_by=acted_by,
        ),
    )


def start(raw: PgConnection, **fields: Any) -> int | None:
    """Mark a run running (creating its row if needed); None when the run was cancelled."""
    fields["args"] = Json(fields.get("args") or {})
    return _one(raw, "history_start", fields)


def start_many(raw: Any, runs: Sequence[dict[str, Any]], *, now: datetime) -> dict[str, int]:
    """Mark a batch of runs running (creating their rows if needed), in the caller's transaction.

    Each of ``runs`` has the fields of :func:`shared.run_record.run_fields`. Returns
    message id → run id; a run cancelled while queued is missing (it must not run).
    """
    if not runs:
        return {}
    with raw.cursor() as cur:
        cur.execute(
            SQL["history_start_many"],
            {
                "jobs": [r["job"] for r in runs],
                "actors": [r["actor"] for r in runs],
                "ids": [r["message_id"] for r in runs],
                "parents": [_int_or_none(r["parent_id"]) for r in runs],
                "triggers": [r["trigger"] for r in runs],
                "attempts": [r["attempt"] for r in runs],
                "periods": [None if r["period"] is None else str(r["period"]) for r in runs],
                "args": [json.dumps(r["args"] or {}) for r in runs],
                "enqueued": [r["enqueued_at"] for r in runs],
                "now": now,
            },
        )
        return {str(message_id): run_id for message_id, run_id in cur.fetchall()}


def succeed_statement(finishes: Sequence[Finish]) -> tuple[str, dict[str, Any]]:
    """The one statement writing succeeded attempts, fenced on (run id, attempt) and status
    running: (sql, params), for the caller to send with its own (shared/outcomes.py)."""
    return SQL["history_succeed_many"], {
        "ids": [f.run_id for f in finishes],
        "attempts": [f.attempt for f in finishes],
        "finished": [f.now for f in finishes],
        "durations": [f.duration_ms for f in finishes],
        "items": [f.items for f in finishes],
        "results": [f.result_json for f in finishes],
    }


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def finish(
    raw: PgConnection,
    *,
    id: int,
    status: str,
    now: datetime,
    duration_ms: int | None,
    items: int | None,
    result: dict[str, Any] | None,
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


def skip(raw: PgConnection, **fields: Any) -> int | None:
    fields["args"] = Json(fields.get("args") or {})
    fields.setdefault("duration_ms", None)
    return _one(raw, "history_skip", fields)


def reject_many(raw: PgConnection, runs: list[dict[str, Any]], *, now: datetime) -> None:
    """Record messages rejected at claim as failed runs (one statement for the batch).

    Each of ``runs`` has ``job``, ``actor``, ``message_id``, ``trigger``, ``attempt``,
    ``args`` (JSON text), ``enqueued_at`` (or None) and ``error``. Runs in the caller's transaction.
    """
    if not runs:
        return
    with raw.cursor() as cur:
        cur.execute(
            SQL["history_reject_many"],
            {
                "jobs": [r["job"] for r in runs],
                "actors": [r["actor"] for r in runs],
                "ids": [r["message_id"] for r in runs],
                "triggers": [r["trigger"] for r in runs],
                "attempts": [r["attempt"] for r in runs],
                "args": [r["args"] for r in runs],
                "enqueued": [r["enqueued_at"] for r in runs],
                "errors": [r["error"] for r in runs],
                "now": now,
            },
        )


def get(raw: PgConnection, run_id: int) -> dict[str, Any] | None:
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL["history_get"], {"id": run_id})
        row = cur.fetchone()
    return dict(row) if row else None


def list_runs(
    raw: PgConnection,
    *,
    job: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    top_level: bool = False,
) -> list[dict[str, Any]]:
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL["history_list"], dict(job=job, status=status, since=since, limit=limit, top_level=top_level))
        return [dict(r) for r in cur.fetchall()]


def failures_since(raw: PgConnection, since: datetime) -> dict[str, int]:
    with raw.cursor() as cur:
        cur.execute(SQL["history_failures_since"], {"since": since})
        return dict(cur.fetchall())


def prune(raw: PgConnection, *, now: datetime, retention_days: float) -> int:
    with raw.cursor() as cur:
        cur.execute(SQL["history_prune"], {"before": now - timedelta(days=retention_days)})
        return cur.rowcount


def children_counts(raw: PgConnection, run_id: int) -> dict[str, int]:
    """Children of a fan-out run, counted by status."""
    with raw.cursor() as cur:
        cur.execute(SQL["history_children_counts"], {"id": run_id})
        return dict(cur.fetchall())
