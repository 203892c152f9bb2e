"""RunMetrics: this process's counters for ``/metrics`` — runs by job and outcome, durations, retries.

Kept in memory per process and written into the process's heartbeat row
(``shared/heartbeats.py``), from where the web dyno exports every process's
counters once, labelled by process: several worker processes and the web dyno
then never count a run twice. Counters start at zero with each process, as
Prometheus counters do.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any, cast

from dramatiq import Middleware, Worker
from dramatiq.broker import MessageProxy

if TYPE_CHECKING:
    from shared.postgres_broker import PostgresBroker

#: Upper bounds (seconds) of the run duration histogram's buckets; +Inf is implied.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class RunMetrics(Middleware):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}
        self._runs: dict[tuple[str, str], int] = defaultdict(int)
        self._retries: dict[str, int] = defaultdict(int)
        self._durations: dict[str, list[Any]] = {}

    def after_worker_boot(self, broker: PostgresBroker, worker: Worker) -> None:
        # Counters are per worker run, like a fresh process's (tests boot several workers in one process).
        with self._lock:
            self._started.clear()
            self._runs.clear()
            self._retries.clear()
            self._durations.clear()

    @staticmethod
    def _job(broker: PostgresBroker, message: MessageProxy) -> str:
        actor = broker.actors.get(message.actor_name)
        return cast(
            str, message.options.get("job") or (actor.options.get("job_name") if actor else None) or message.actor_name
        )

    def before_process_message(self, broker: PostgresBroker, message: MessageProxy) -> None:
        with self._lock:
            self._started[message.message_id] = time.monotonic()

    def after_process_message(
        self,
        broker: PostgresBroker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        job = self._job(broker, message)
        if exception is None:
            status = "succeeded"
        else:
            status = "failed" if message.failed else "retrying"
        with self._lock:
            started = self._started.pop(message.message_id, None)
            self._runs[(job, status)] += 1
            if status == "retrying":
                self._retries[job] += 1
            if started is not None:
                self._observe(job, time.monotonic() - started)

    def after_skip_message(self, broker: PostgresBroker, message: MessageProxy) -> None:
        with self._lock:
            self._started.pop(message.message_id, None)
            self._runs[(self._job(broker, message), "skipped")] += 1

    def _observe(self, job: str, seconds: float) -> None:
        # [per-bucket counts..., +Inf count, sum]
        h = self._durations.setdefault(job, [0] * (len(DURATION_BUCKETS) + 1) + [0.0])
        index = next((i for i, bound in enumerate(DURATION_BUCKETS) if seconds <= bound), len(DURATION_BUCKETS))
        h[index] += 1
        h[-1] += seconds

    def snapshot(self) -> dict[str, Any]:
        """JSON-able counters: ``runs`` [[job, status, n]], ``retries`` {job: n}, ``durations`` {job: {...}}."""
        with self._lock:
            return {
                "runs": [[job, status, n] for (job, status), n in sorted(self._runs.items())],
                "retries": dict(self._retries),
                "durations": {
                    job: {"buckets": list(DURATION_BUCKETS), "counts": h[:-1], "sum": h[-1]}
                    for job, h in self._durations.items()
                },
            }
