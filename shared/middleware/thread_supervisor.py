"""WorkerThreadSupervisor: a Dramatiq worker thread that dies is replaced, logged and counted.

Dramatiq never restarts a worker thread: an exception that escapes its loop
(say, in its own error handling) ends the thread, and a process whose threads
are all gone still looks alive — its heartbeat keeps renewing leases — while
it runs nothing. Message content can no longer do that (every envelope is
validated at claim, see ``shared/envelope.py``); this is the net under
whatever else might.

A watcher thread, started when the worker boots and stopped when it shuts
down, checks the worker's threads every ``interval`` seconds. A thread that
ended without being told to stop is replaced by a new one; the message it was
running, if its outcome was never reported, is rejected with that reason
(running it again could kill the next thread). :func:`worker_health` reads the
counts, for a health endpoint.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from dramatiq import Middleware, Worker
from dramatiq.broker import MessageProxy

from shared.claims import claim_of

if TYPE_CHECKING:
    from shared.postgres_broker import PostgresBroker

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerHealth:
    """The worker threads of this process, as the supervisor last saw them."""

    threads: int  # how many the worker runs
    alive: int
    restarted: int  # replaced since the worker booted
    last_death_at: datetime | None
    last_death: str | None  # the thread's name and the message it held

    @property
    def healthy(self) -> bool:
        return self.alive >= self.threads


class WorkerThreadSupervisor(Middleware):
    def __init__(self, *, interval: float = 1.0) -> None:
        self.interval = interval
        self._worker: Worker | None = None
        self._stop = threading.Event()
        self._running: dict[int, MessageProxy] = {}  # worker thread ident → the message it runs
        self._restarted = 0
        self._last_death: tuple[datetime, str] | None = None
        self._lock = threading.Lock()

    # --- the worker's life ------------------------------------------------------------
    def after_worker_boot(self, broker: PostgresBroker, worker: Worker) -> None:
        self._stop = stop = threading.Event()  # one per boot: a stopping watcher never blocks its successor
        with self._lock:
            self._worker, self._restarted, self._last_death = worker, 0, None
        threading.Thread(
            target=self._watch, args=(broker, worker, stop), name="dramaturg-thread-supervisor", daemon=True
        ).start()

    def before_worker_shutdown(self, broker: PostgresBroker, worker: Worker) -> None:
        self._stop.set()  # threads that now end were told to

    # --- which thread runs which message ----------------------------------------------
    def before_process_message(self, broker: PostgresBroker, message: MessageProxy) -> None:
        self._running[threading.get_ident()] = message

    def after_ack(self, broker: PostgresBroker, message: MessageProxy) -> None:
        self._running.pop(threading.get_ident(), None)

    after_nack = after_ack

    # --- watching ------------------------------------------------------------------------
    def _watch(self, broker: PostgresBroker, worker: Worker, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            try:
                self.check(broker, worker, stop)
            except Exception:  # the watcher must outlive whatever it watches
                logger.exception("worker thread supervisor failed a check")

    def check(self, broker: PostgresBroker, worker: Worker, stop: threading.Event | None = None) -> int:
        """Replace the worker's dead threads now; returns how many were replaced."""
        replaced = 0
        for thread in list(worker.workers):
            if thread.is_alive() or not thread.running or (stop or self._stop).is_set():
                continue  # alive, or ended because it was stopped
            worker.workers.remove(thread)
            message = self._running.pop(thread.ident, None)
            held = ""
            claim = claim_of(message)
            if message is not None and claim is not None:
                held = f" while running {message.message_id} ({message.actor_name})"
                broker.outcomes.reject(claim, f"a worker thread died while running it{held}", message.encode().decode())
            worker._add_worker()  # Dramatiq's own way to start one, as at boot
            replaced += 1
            with self._lock:
                self._restarted += 1
                self._last_death = (datetime.now(UTC), f"{thread.name}{held}")
            logger.error("worker thread %s died%s; started a new one", thread.name, held)
        return replaced

    def health(self) -> WorkerHealth | None:
        """None until a worker booted in this process."""
        with self._lock:
            worker, restarted, last = self._worker, self._restarted, self._last_death
        if worker is None:
            return None
        return WorkerHealth(
            threads=worker.worker_threads,
            alive=sum(1 for t in list(worker.workers) if t.is_alive()),
            restarted=restarted,
            last_death_at=last[0] if last else None,
            last_death=last[1] if last else None,
        )


def worker_health(broker: PostgresBroker) -> WorkerHealth | None:
    """The worker threads' health in this process (None when no supervised worker runs here)."""
    for middleware in broker.middleware:
        if isinstance(middleware, WorkerThreadSupervisor):
            return middleware.health()
    return None
