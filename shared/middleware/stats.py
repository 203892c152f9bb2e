"""WorkerStats: a log line every ``DRAMATURG_STATS_INTERVAL`` seconds (60) with
processed, failed, retried and in-flight counts since the worker started."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from dramatiq import Middleware, Worker
from dramatiq.broker import MessageProxy

if TYPE_CHECKING:
    from shared.postgres_broker import PostgresBroker

logger = logging.getLogger("dramaturg.stats")


class WorkerStats(Middleware):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.processed = self.failed = self.retried = self.skipped = self.in_flight = 0
        self._stop = threading.Event()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {
                "processed": self.processed,
                "failed": self.failed,
                "retried": self.retried,
                "skipped": self.skipped,
                "in_flight": self.in_flight,
            }

    def before_process_message(self, broker: PostgresBroker, message: MessageProxy) -> None:
        with self._lock:
            self.in_flight += 1

    def after_process_message(
        self,
        broker: PostgresBroker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        with self._lock:
            self.in_flight -= 1
            self.processed += 1
            if exception is not None:
                if message.failed:
                    self.failed += 1
                else:
                    self.retried += 1

    def after_skip_message(self, broker: PostgresBroker, message: MessageProxy) -> None:
        with self._lock:
            self.in_flight -= 1
            self.skipped += 1

    def after_worker_boot(self, broker: PostgresBroker, worker: Worker) -> None:
        interval = broker.settings.stats_interval
        with self._lock:  # counts are per worker run
            self.processed = self.failed = self.retried = self.skipped = self.in_flight = 0
        self._stop.clear()

        def report() -> None:
            while not self._stop.wait(interval):
                s = self.snapshot()
                logger.info(
                    "worker stats processed=%(processed)d failed=%(failed)d retried=%(retried)d "
                    "skipped=%(skipped)d in_flight=%(in_flight)d",
                    s,
                )

        threading.Thread(target=report, name="dramaturg-stats", daemon=True).start()

    def before_worker_shutdown(self, broker: PostgresBroker, worker: Worker) -> None:
        self._stop.set()
