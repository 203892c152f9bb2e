"""Process heartbeats: each worker and scheduler process re-writes a row of ``dramaturg.processes``.

The row says what the process is (kind, host, pid, started_at), that it is
alive (``beat_at``, the database's real clock), how many of its threads are
alive, and its counters (``stats``: runs by job and status, durations,
retries, rescues) so the web dyno can serve ``/health`` and ``/metrics`` for
every process without scraping each one. A clean stop deletes the row; a
killed process's row goes stale and is pruned after a day.

SQL in ``shared/sql/heartbeats.sql``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import Json, RealDictCursor

from shared.db import pg_connection
from shared.sql import queries

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)
SQL = queries("heartbeats")
KINDS = ("worker", "scheduler", "web")
#: A heartbeat older than this many intervals means the process is gone (or stuck).
FRESH_INTERVALS = 3
PRUNE_AFTER_S = 86_400


def process_label(row: dict[str, Any]) -> str:
    """A process's name in /metrics: kind, host, pid and the start's id (a pid can be reused)."""
    return f"{row['kind']}-{row['host']}-{row['pid']}-{str(row['id'])[:8]}"


def fresh_window(interval: float) -> float:
    """Seconds within which a heartbeat counts as fresh."""
    return FRESH_INTERVALS * interval


class ProcessHeartbeat:
    """A daemon thread writing this process's row every ``interval`` seconds.

    Parameters:
        engine: the process's SQLAlchemy engine (one pooled connection per beat).
        kind: ``worker``, ``scheduler`` or ``web``.
        threads: returns (threads alive, threads expected).
        stats: returns a JSON-able dict of this process's counters.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        kind: str,
        interval: float,
        threads: Callable[[], tuple[int, int]] = lambda: (1, 1),
        stats: Callable[[], dict[str, Any] | None] = lambda: None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"process kind must be one of {KINDS}")
        self.engine, self.kind, self.interval = engine, kind, interval
        self.threads, self.stats = threads, stats
        self.id = uuid.uuid4()
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.last_ok: float | None = None  # time.monotonic() of the last beat written
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    @property
    def label(self) -> str:
        return process_label({"kind": self.kind, "host": self.host, "pid": self.pid, "id": self.id})

    def beat_once(self) -> None:
        alive, total = self.threads()
        with self.engine.connect() as conn:
            raw = pg_connection(conn)
            with raw.cursor() as cur:
                cur.execute(
                    SQL["heartbeat_upsert"],
                    dict(
                        id=str(self.id),
                        kind=self.kind,
                        host=self.host,
                        pid=self.pid,
                        alive=alive,
                        total=total,
                        stats=Json(self.stats()),
                    ),
                )
                cur.execute(SQL["heartbeat_prune"], {"keep": PRUNE_AFTER_S})
            raw.commit()
        self.last_ok = time.monotonic()

    def healthy(self) -> bool:
        """Whether a beat was written within the fresh window (the database answers us)."""
        return self.last_ok is not None and time.monotonic() - self.last_ok < fresh_window(self.interval)

    def start(self) -> ProcessHeartbeat:
        self._thread = threading.Thread(target=self._run, name=f"dramaturg-{self.kind}-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            try:
                self.beat_once()
                if self._failing:
                    logger.info("process heartbeat written again")
                self._failing = False
            except Exception as exc:  # an outage must not kill the heartbeat; say so once per outage
                if not self._failing:
                    logger.warning(
                        "process heartbeat failed: %s", str(exc).strip().splitlines()[0] if str(exc) else exc
                    )
                self._failing = True
            if self._stop.wait(self.interval):
                return

    def stop(self, *, delete: bool = True) -> None:
        """Stop beating; by default remove the row (a clean stop is not a dead process)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
        if delete:
            try:
                with self.engine.connect() as conn:
                    raw = pg_connection(conn)
                    with raw.cursor() as cur:
                        cur.execute(SQL["heartbeat_delete"], {"id": str(self.id)})
                    raw.commit()
            except Exception as exc:
                logger.warning("could not remove the process heartbeat row: %s", exc)


def recent(raw: PgConnection, *, window: float) -> list[dict[str, Any]]:
    """Processes whose heartbeat is at most ``window`` seconds old, by kind then start time."""
    with raw.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(SQL["processes_recent"], {"window": window})
        return [dict(r) for r in cur.fetchall()]
