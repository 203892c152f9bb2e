"""Reading runs: filtered, keyset-paged lists and one run with its attempts, parent, children and retries.

Used by the job API, the dashboard and ``dramaturg show``; every query lives
in ``shared/sql/runs.sql``. ``org`` scopes a read to one organization (None:
every organization, for admin keys), so another organization's run is simply
not found.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import RealDictCursor

from shared.sql import queries

SQL = queries("runs")
#: Failing children listed with a parent run.
FAILING_LIMIT = 20
MAX_PAGE = 500


def _all(raw: PgConnection, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL[name], params)
        return [dict(r) for r in cur.fetchall()]


def list_runs(
    raw: PgConnection,
    *,
    org: str | None = None,
    status: str | None = None,
    job: str | None = None,
    since: datetime | None = None,
    before: int | None = None,
    limit: int = 50,
    top_level: bool = False,
) -> list[dict[str, Any]]:
    """Runs newest first; ``before`` is the last id of the previous page."""
    params = dict(
        org=org,
        status=status,
        job=job,
        since=since,
        before=before,
        limit=max(1, min(limit, MAX_PAGE)),
        top_level=top_level,
    )
    return _all(raw, "run_list", params)


def get_run(raw: PgConnection, run_id: int, *, org: str | None = None) -> dict[str, Any] | None:
    """One run with everything the detail views show, or None (also for another organization's run)."""
    rows = _all(raw, "run_get", {"id": run_id, "org": org})
    if not rows:
        return None
    run = rows[0]
    run["attempts"] = attempts(run)
    run["parent"] = _brief(raw, run["parent_id"]) if run["parent_id"] else None
    run["retries"] = _all(raw, "run_retries", {"id": run_id})
    run["children"] = children(raw, run_id)
    return run


def attempts(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Each attempt with its outcome: the logged earlier ones, then the current one."""
    logged = list(run.get("attempt_log") or [])
    current = run["attempt"]
    if current and not any(a.get("attempt") == current for a in logged):
        logged.append(
            {
                "attempt": current,
                "status": run["status"],
                "error": run["error"],
                "started_at": run["started_at"],
                "finished_at": run["finished_at"],
                "duration_ms": run["duration_ms"],
            }
        )
    return logged


def children(raw: PgConnection, run_id: int) -> dict[str, Any] | None:
    """A fan-out run's children: counts by status, the failing ones, their results summed; None without any."""
    counts: dict[str, int] = {}
    totals: dict[str, int | float] = {}
    with raw.cursor() as cur:
        cur.execute(SQL["run_children_summary"], {"id": run_id})
        for kind, key, value in cur.fetchall():
            if kind == "status":
                counts[key] = int(value)
            else:
                totals[key] = int(value) if value == int(value) else float(value)
    if not counts:
        return None
    failing = _all(raw, "run_children_failing", {"id": run_id, "limit": FAILING_LIMIT}) if counts.get("failed") else []
    return {
        "total": sum(counts.values()),
        "by_status": counts,
        "failing": failing,
        "totals": dict(sorted(totals.items())),
    }


def _brief(raw: PgConnection, run_id: int) -> dict[str, Any] | None:
    rows = _all(raw, "run_brief", {"id": run_id})
    return rows[0] if rows else None
