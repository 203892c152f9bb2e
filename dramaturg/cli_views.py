"""How the CLI shows things to a person (rich tables); ``--json`` bypasses this module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shared.redact import redact

console = Console()
STATUS_STYLE = {
    "succeeded": "green",
    "failed": "bold red",
    "retrying": "yellow",
    "running": "cyan",
    "queued": "blue",
    "skipped": "dim",
}


def _status(status: str | None) -> Text:
    # Text, not markup: a status or an error message must never be parsed as markup.
    return Text(status or "—", style=STATUS_STYLE.get(status or "", ""))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def history_table(rows: list[dict[str, Any]]) -> None:
    table = Table(title="job history (newest first)")
    for col in ("id", "job", "actor", "trigger", "status", "try", "started", "ms", "items", "parent", "error"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["job_name"],
            r["actor_name"],
            r["trigger"],
            _status(r["status"]),
            str(r["attempt"]),
            _when(r["started_at"]),
            str(r["duration_ms"] or "—"),
            str(r["items_processed"] if r["items_processed"] is not None else "—"),
            str(r["parent_id"] or ""),
            Text((redact(r["error"]) or "")[:80]),
        )
    console.print(table)


def status_view(
    now: datetime,
    depths: list[dict[str, Any]],
    jobs: list[dict[str, Any]],
    clocks: Sequence[dict[str, Any]] = (),
    limits: Sequence[dict[str, Any]] = (),
) -> None:
    q = Table(title=f"queues at {_when(now)} UTC")
    for col in ("queue", "state", "messages", "of which delayed"):
        q.add_column(col)
    for d in depths:
        q.add_row(d["queue"], d["state"], str(d["count"]), str(d["delayed"] or ""))
    console.print(q if depths else "[dim]queues are empty[/]")
    if limits:
        lim = Table(title="queue limits (running = claimed rows, started or prefetched, cluster-wide)")
        for col in ("queue", "running", "cap", "lease s"):
            lim.add_column(col)
        for row in limits:
            cap = row["concurrency"]
            full = cap is not None and row["running"] >= cap
            lim.add_row(
                row["queue"],
                Text(str(row["running"]), style="bold yellow" if full else ""),
                "—" if cap is None else str(cap),
                f"{row['lease_seconds']:g}",
            )
        console.print(lim)
    j = Table(title="jobs")
    for col in ("job", "enabled", "schedule", "last run", "last status", "ms", "items", "next run", "failed 24h"):
        j.add_column(col)
    for row in jobs:
        last = row["last_run"] or {}
        j.add_row(
            row["job"],
            "yes" if row["enabled"] else "[dim]no[/]",
            row["schedule"],
            _when(last.get("started_at")),
            _status(last.get("status")),
            str(last.get("duration_ms") or "—"),
            str(last.get("items_processed") if last.get("items_processed") is not None else "—"),
            (row["next_run"] or "—")[:19].replace("T", " "),
            f"[bold red]{row['failures_24h']}[/]" if row["failures_24h"] else "0",
        )
    console.print(j)
    refused = [c for c in clocks if c["state"] == "refused"]
    if clocks:
        c = Table(title="process clocks (checked against the database's)")
        for col in ("process", "role", "state", "skew s", "checked", "why"):
            c.add_column(col, overflow="fold")
        for row in clocks:
            c.add_row(
                row["process"],
                row["role"],
                Text(row["state"], style="bold red" if row["state"] == "refused" else "green"),
                f"{row['skew_seconds']:+.1f}",
                _when(row["checked_at"]),
                Text(row["detail"] or ""),
            )
        console.print(c)
    if refused:
        console.print(
            Text(
                f"{len(refused)} process(es) refuse to work: their clock disagrees with the database's",
                style="bold red",
            )
        )


def schedule_table(rows: list[dict[str, Any]]) -> None:
    table = Table(title="schedule")
    for col in ("job", "schedule", "timezone", "enabled", "catch-up", "next run (UTC)", "what it does"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["job"],
            r["schedule"],
            r["timezone"],
            "yes" if r["enabled"] else "[dim]no[/]",
            r["catch_up"],
            (r["next_run"] or "—")[:19].replace("T", " "),
            Text(r["description"]),
        )
    console.print(table)
