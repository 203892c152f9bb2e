"""``GET /metrics`` in Prometheus format (seed 002 T053), read from Postgres at scrape time.

- Queue depth by queue and state, oldest due message's age: from ``dramatiq.queue``.
- Each capped queue's cap and running count (its consumed rows), and each queue's own lease
  (``shared/queue_limits.py``).
- Runs by job and status, run durations, retries, rescues: every process's own
  counters, from its heartbeat row (``dramaturg.processes``), labelled by
  ``process``. Each run is counted once, by the process that ran it, whether
  there is one worker process or several; the web dyno only exports them.
  (Scrape one web dyno, or aggregate with ``max by`` over several.)
- Scheduler lateness: how late each job's last cron run started after its tick.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from shared import heartbeats, overview
from shared.db import outage_errors, pg_connection

if TYPE_CHECKING:
    from shared.app import App

router = APIRouter(tags=["metrics"])
#: Counters of a process stay exported this long after its last heartbeat (then it is gone).
PROCESS_WINDOW_S = 600.0


class DramaturgCollector:
    def __init__(self, platform: App) -> None:
        self.platform = platform

    def describe(self) -> list[Metric]:
        return []  # nothing at registration: every scrape reads the database

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("dramaturg_database_up", "1 when the web dyno reached the database for this scrape")
        rt = self.platform
        now = rt.clock.now()
        try:
            with rt.engine.connect() as conn:
                raw = pg_connection(conn)
                depths = overview.queue_depths(raw, now)
                procs = heartbeats.recent(raw, window=max(PROCESS_WINDOW_S, 3 * rt.settings.heartbeat_seconds))
                lateness = overview.cron_lateness(raw, sorted(rt.registry.jobs))
                raw.rollback()
        except outage_errors():
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _queue_metrics(depths, now)
        yield from _queue_limit_metrics(
            overview.queue_limits(rt.broker, {r["queue_name"]: r["consumed"] for r in depths})
        )
        yield from _process_metrics(procs, rt.settings.heartbeat_seconds)
        late = GaugeMetricFamily(
            "dramaturg_scheduler_lateness_seconds",
            "seconds the job's last cron run started after its tick instant",
            labels=["job"],
        )
        for job, seconds in sorted(lateness.items()):
            if seconds is not None:
                late.add_metric([job], seconds)
        yield late


def _queue_metrics(depths: list[dict[str, Any]], now: datetime) -> Iterator[Metric]:
    messages = GaugeMetricFamily(
        "dramaturg_queue_messages", "messages by queue and state (queued = due now)", labels=["queue", "state"]
    )
    oldest = GaugeMetricFamily(
        "dramaturg_queue_oldest_message_age_seconds", "seconds the oldest due message has waited", labels=["queue"]
    )
    for row in depths:
        for state in ("queued", "delayed", "consumed"):
            messages.add_metric([row["queue_name"], state], row[state])
        age = (now - row["oldest_due"]).total_seconds() if row["oldest_due"] is not None else 0.0
        oldest.add_metric([row["queue_name"]], max(0.0, age))
    yield messages
    yield oldest


def _queue_limit_metrics(limits: list[dict[str, Any]]) -> Iterator[Metric]:
    cap = GaugeMetricFamily(
        "dramaturg_queue_concurrency_limit",
        "most messages of the queue running at once across every worker (DRAMATURG_QUEUE_<NAME>_CONCURRENCY)",
        labels=["queue"],
    )
    running = GaugeMetricFamily(
        "dramaturg_queue_running",
        "messages of a capped queue claimed now, started or prefetched: what its cap counts",
        labels=["queue"],
    )
    lease = GaugeMetricFamily(
        "dramaturg_queue_lease_seconds", "the lease a claim on the queue gets, when it has its own", labels=["queue"]
    )
    for row in limits:
        if row["concurrency"] is not None:
            cap.add_metric([row["queue"]], row["concurrency"])
            running.add_metric([row["queue"]], row["running"])
        lease.add_metric([row["queue"]], row["lease_seconds"])
    yield from (cap, running, lease)


def _process_metrics(procs: list[dict[str, Any]], interval: float) -> Iterator[Metric]:
    fresh = heartbeats.fresh_window(interval)
    alive = GaugeMetricFamily("dramaturg_processes", "processes with a fresh heartbeat", labels=["kind"])
    threads = GaugeMetricFamily("dramaturg_process_threads_alive", "threads alive per process", labels=["process"])
    runs = CounterMetricFamily(
        "dramaturg_runs", "runs finished, by job and status", labels=["process", "job", "status"]
    )
    retries = CounterMetricFamily("dramaturg_retries", "runs re-queued for a retry", labels=["process", "job"])
    rescued = CounterMetricFamily(
        "dramaturg_rescued_messages", "messages rescued from expired leases", labels=["process"]
    )
    durations = HistogramMetricFamily(
        "dramaturg_run_duration_seconds", "run duration", labels=["process", "job"], unit=""
    )
    counts = {k: 0 for k in heartbeats.KINDS}
    for p in procs:
        label = heartbeats.process_label(p)
        if p["age_s"] <= fresh:
            counts[p["kind"]] += 1
        threads.add_metric([label], p["threads_alive"])
        stats = p["stats"] or {}
        for job, status, n in stats.get("runs", []):
            runs.add_metric([label, job, status], n)
        for job, n in sorted(stats.get("retries", {}).items()):
            retries.add_metric([label, job], n)
        if p["kind"] == "worker":
            rescued.add_metric([label], stats.get("rescued", 0))
        for job, h in sorted(stats.get("durations", {}).items()):
            cumulative, buckets = 0, []
            for bound, n in zip(h["buckets"], h["counts"]):
                cumulative += n
                buckets.append((repr(float(bound)), cumulative))
            buckets.append(("+Inf", cumulative + h["counts"][-1]))
            durations.add_metric([label, job], buckets, h["sum"])
    for kind, n in counts.items():
        alive.add_metric([kind], n)
    yield from (alive, threads, runs, retries, rescued, durations)


def registry_for(platform: App) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DramaturgCollector(platform))
    return registry


@router.get("/metrics", summary="Prometheus metrics for every process, from Postgres")
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
