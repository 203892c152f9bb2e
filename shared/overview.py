"""Aggregates for the dashboard, ``/health``, ``/metrics`` and ``dramaturg status``; SQL in ``shared/sql/overview.sql``.

Every query is bounded by an index, never by the table: the queue table holds
days of finished rows (``DRAMATURG_QUEUE_RETENTION_DAYS``) and job_history a
month, so finished rows are only ever counted over a recent window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import RealDictCursor

from shared import clock_guard, history
from shared.sql import queries

if TYPE_CHECKING:
    from shared.postgres_broker import PostgresBroker

SQL = queries("overview")


def _all(raw: PgConnection, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL[name], params)
        return [dict(r) for r in cur.fetchall()]


#: ``dramaturg status`` counts done and rejected messages over this window only: counting is
#: proportional to the rows counted, and at broker speed an hour is millions of rows.
STATUS_FINISHED_WINDOW = timedelta(minutes=5)


def queue_depths(raw: PgConnection, now: datetime, *, finished_within: timedelta | None = None) -> list[dict[str, Any]]:
    """One row per queue: queued (due), delayed, consumed, oldest_due, and done / rejected in the last ``finished_within``.

    The finished window is read off the database's clock, which stamps a row's mtime
    (a simulated business clock would put it hours away from every row).
    """
    rows = {r["queue_name"]: r for r in _all(raw, "queue_active_depths", {"now": now})}
    for row in rows.values():
        row["done"] = row["rejected"] = 0
    if finished_within is not None:
        for r in _all(raw, "queue_finished_depths", {"within": finished_within.total_seconds()}):
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
        consumed: consumed rows by queue name (from :func:`queue_depths` or :func:`status_queue_rows`).
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


def status_queue_rows(depths: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`queue_depths` as ``dramaturg status`` lists it: one row per queue and state with messages.

    ``count`` of ``queued`` includes the delayed ones (``delayed``); ``done`` and ``rejected``
    cover the finished window the depths were read with.
    """
    out = []
    for r in depths:
        counts = {
            "queued": (r["queued"] + r["delayed"], r["delayed"]),
            "consumed": (r["consumed"], 0),
            "done": (r["done"], 0),
            "rejected": (r["rejected"], 0),
        }
        out += [
            {"queue": r["queue_name"], "state": state, "count": n, "delayed": delayed}
            for state, (n, delayed) in counts.items()
            if n
        ]
    return out


@dataclass(frozen=True)
class StatusReadings:
    """What ``dramaturg status`` reads from the database, each part bounded by an index."""

    queues: list[dict[str, Any]]  # status_queue_rows
    finished_window: timedelta  # what done / rejected in ``queues`` cover
    last_runs: dict[str, dict[str, Any] | None]  # each job's last top-level run
    failures_24h: dict[str, int]  # failed runs by job
    clocks: list[dict[str, Any]]  # recent clock checks of schedulers and workers


def status_readings(
    raw: PgConnection, now: datetime, jobs: list[str], *, finished_window: timedelta = STATUS_FINISHED_WINDOW
) -> StatusReadings:
    """The readings of ``dramaturg status`` at ``now`` (the reference instant) for ``jobs``."""
    depths = queue_depths(raw, now, finished_within=finished_window)
    return StatusReadings(
        queues=status_queue_rows(depths),
        finished_window=finished_window,
        last_runs=last_runs(raw, jobs),
        failures_24h=history.failures_since(raw, now - timedelta(hours=24)),
        clocks=clock_guard.recent(raw),
    )


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
