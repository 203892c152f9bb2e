"""Liveness of the worker and scheduler processes: their heartbeat rows, and the worker's own /health port.

``dramaturg worker`` and ``dramaturg scheduler`` call :func:`attach_worker` /
:func:`attach_scheduler` once started: a thread then writes the process's row
of ``dramaturg.processes`` every ``DRAMATURG_HEARTBEAT_SECONDS`` (threads
alive, counters for /metrics), which the web dyno reads for /health and
/metrics. ``dramaturg worker --health-port P`` also answers ``GET /health``
from the worker process itself, for a platform's liveness probe: 200 while
every worker and consumer thread is alive and the heartbeat reaches the
database, 503 otherwise.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, TypeVar

from dramatiq import Middleware, Worker

from shared.heartbeats import ProcessHeartbeat
from shared.middleware.run_metrics import RunMetrics
from shared.middleware.stats import WorkerStats

if TYPE_CHECKING:
    from scheduler.runner import Scheduler
    from shared.app import App
    from shared.postgres_broker import PostgresBroker

logger = logging.getLogger("dramaturg.health")
M = TypeVar("M", bound=Middleware)


def _middleware(broker: PostgresBroker, kind: type[M]) -> M | None:
    return next((m for m in broker.middleware if isinstance(m, kind)), None)


def worker_threads(worker: Worker) -> tuple[int, int]:
    """(alive, expected) over the worker's worker threads and consumer threads."""
    threads = list(worker.workers) + list(worker.consumers.values())
    return sum(1 for t in threads if t.is_alive()), len(threads)


class WorkerHealth:
    """A worker process's heartbeat and, with a port, its /health server."""

    def __init__(
        self, app: App, worker: Worker, *, health_port: int | None = None, health_host: str = "0.0.0.0"
    ) -> None:
        broker = app.broker
        metrics, stats = _middleware(broker, RunMetrics), _middleware(broker, WorkerStats)

        def counters() -> dict[str, Any]:
            out = metrics.snapshot() if metrics else {}
            out["rescued"] = getattr(broker, "rescued_total", 0)
            if stats is not None:
                out["worker"] = stats.snapshot()
            return out

        self.worker = worker
        self.heartbeat = ProcessHeartbeat(
            app.engine,
            kind="worker",
            interval=app.settings.heartbeat_seconds,
            threads=lambda: worker_threads(worker),
            stats=counters,
        ).start()
        self.server = None
        if health_port is not None:
            self.server = _health_server(health_host, health_port, self.status)
            threading.Thread(target=self.server.serve_forever, name="dramaturg-health", daemon=True).start()
            logger.info("worker health at http://%s:%d/health", health_host, self.server.server_address[1])

    def status(self) -> tuple[int, dict[str, Any]]:
        alive, total = worker_threads(self.worker)
        beating = self.heartbeat.healthy()
        ok = beating and total > 0 and alive == total
        body = {
            "status": "ok" if ok else "unavailable",
            "kind": "worker",
            "threads_alive": alive,
            "threads": total,
            "heartbeat": "ok" if beating else "failing",
        }
        return (200 if ok else 503), body

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        self.heartbeat.stop()


def attach_worker(
    app: App, worker: Worker, *, health_port: int | None = None, health_host: str = "0.0.0.0"
) -> WorkerHealth:
    return WorkerHealth(app, worker, health_port=health_port, health_host=health_host)


def attach_scheduler(app: App, scheduler: Scheduler) -> ProcessHeartbeat:
    return ProcessHeartbeat(
        app.engine,
        kind="scheduler",
        interval=app.settings.heartbeat_seconds,
        threads=lambda: (0 if scheduler.stop_event.is_set() else 1, 1),
    ).start()


def _health_server(host: str, port: int, status: Callable[[], tuple[int, dict[str, Any]]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/health":
                self.send_error(404)
                return
            code, body = status()
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # probes every few seconds: keep them out of the log
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
