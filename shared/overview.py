"""Aggregates for the dashboard, ``/health`` and ``/metrics``; SQL in ``shared/sql/overview.sql``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import RealDictCursor

from shared.sql import queries

if TYPE_CHECKING:
    from shared.postgres_broker import PostgresBroker

SQL = queries("overview")


def _all(raw: PgConnection, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL[name], params)
        return [dict(r) for r in cur.fetchall()]


def queue_depths(raw: PgConnection, now: datetime, *, finished_since: datetime | None = None) -> list[dict[str, Any]]:
    """One row per queue: queued (due), delayed, consumed, oldest_due, and done / rejected since ``finished_since``."""
    rows = {r["queue_name"]: r for r in _all(raw, "queue_active_depths", {"now": now})}
    for row in rows.values():
        row["done"] = row["rejected"] = 0
    if finished_since is not None:
        for r in _all(raw, "queue_finished_depths", {"since": finished_since}):
            row = rows.setdefault(
                r["queue_name"],
                {"queue_name": r["queue_name"], "queued": 0, "delayed": 0, "consumed": 0, "oldest_due": None},
            )
            row.setdefault("done", 0)
            row.setdefault("rejected", 0)
            row[r["state"]] = r["n"]
    return [rows[q] for q in sorted(rows)]


def queue_limits(broker: PostgresBroker, consumed: Mapping[str, int]) -> list[dict[str, object]]:
    """Each queue with limits of its own: its cap (None: uncapped), running — its consumed rows,
    started or prefetched, which are what the cap counts — and its lease.

    Parameters:
        consumed: consumed rows by queue name (from :func:`queue_depths` or ``queue_depths`` of queue.sql).
    """
    return [
        {
            "queue": queue,
            "concurrency": limit.concurrency,
            "running": consumed.get(queue, 0),
            "lease_seconds": limit.lease_seconds,
        }
        for queue, limit in broker.limited_queues().items()
    ]


def oldest_queued_age(depths: list[dict[str, Any]], now: datetime) -> float | None:
    """Seconds the longest-waiting due message has waited, over every queue (None: nothing due)."""
    oldest = [r["oldest_due"] for r in depths if r.get("oldest_due") is not None]
    return max(0.0, (now - min(oldest)).total_seconds()) if oldest else None


def throughput(raw: PgConnection, *, until: datetime, span: timedelta, bucket: timedelta) -> list[dict[str, Any]]:
    """Finished runs (succeeded, failed, other) per ``bucket`` over ``span`` up to ``until``, gaps filled with 0.

    Buckets are aligned on multiples of ``bucket``; the last one is the bucket ``until`` falls in.
    """
    step = bucket.total_seconds()
    until = datetime.fromtimestamp((until.timestamp() // step + 1) * step, until.tzinfo)
    since = until - span
    origin = since
    found = {
        r["t"]: r
        for r in _all(raw, "runs_throughput", {"bucket": step, "origin": origin, "since": since, "until": until})
    }
    out, t = [], origin
    while t < until:
        r = found.get(t)
        out.append({"t": t, "succeeded": r["succeeded"] if r else 0, "failed": r["failed"] if r else 0})
        t += bucket
    return out


def failures(raw: PgConnection, *, since: datetime, org: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    return _all(raw, "runs_failed_since", {"since": since, "org": org, "limit": limit})


def failure_counts(raw: PgConnection, *, since: datetime, org: str | None = None) -> dict[str, int]:
    return {r["job_name"]: r["n"] for r in _all(raw, "runs_failed_counts", {"since": since, "org": org})}


def last_runs(raw: PgConnection, jobs: list[str]) -> dict[str, dict[str, Any] | None]:
    """Each job's last top-level run (None when it never ran)."""
    out: dict[str, dict[str, Any] | None] = {}
    for job in jobs:
        rows = _all(raw, "run_last_of_job", {"job": job})
        out[job] = rows[0] if rows else None
    return out


def cron_lateness(raw: PgConnection, jobs: list[str]) -> dict[str, float]:
    """Seconds each job's last cron run started after its tick instant (jobs without one are left out)."""
    out = {}
    for job in jobs:
        rows = _all(raw, "cron_last_start", {"job": job})
        if rows and rows[0]["tick"] is not None:
            out[job] = (rows[0]["started_at"] - rows[0]["tick"]).total_seconds()
    return out
