"""One Dramatiq worker process for the benchmark: ``python -m bench.worker SYSTEM URL STATS [--threads N]``.

It runs the real ``dramatiq.Worker`` on the chosen broker and, every 50 ms,
writes a small JSON file the parent reads: messages processed so far, when
the worker started, its RSS, and (with ``--latency``) each message's
enqueue→start delay. pgqueuer and procrastinate run their own
worker instead (:mod:`bench.foreign`). It stops cleanly on SIGTERM; the rescue figure kills it
with SIGKILL instead.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time

import dramatiq

from bench.foreign import FOREIGN
from bench.systems import build


class Counter(dramatiq.Middleware):
    def __init__(self, latency: bool) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.latency = latency
        self.latencies: list[float] = []

    def before_process_message(self, broker, message):
        if self.latency:
            delay = time.time() * 1000 - message.message_timestamp
            with self.lock:
                self.latencies.append(delay)

    def after_process_message(self, broker, message, *, result=None, exception=None):
        with self.lock:
            self.count += 1


def rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def write_stats(path: str, counter: Counter, started: float) -> None:
    with counter.lock:
        data = {
            "count": counter.count,
            "started": started,
            "now": time.time(),
            "rss_kb": rss_kb(),
            "latencies": list(counter.latencies),
        }
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("system")
    parser.add_argument("url")
    parser.add_argument("stats")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--latency", action="store_true")
    args = parser.parse_args()

    counter = Counter(args.latency)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if args.system in FOREIGN:
        run_foreign(args, counter, stop)
        return
    broker, _ = build(args.system, args.url, threads=args.threads, lease=args.lease)
    broker.add_middleware(counter)
    worker = dramatiq.Worker(broker, worker_threads=args.threads, worker_timeout=100)
    started = time.time()
    worker.start()
    while not stop.wait(0.05):
        write_stats(args.stats, counter, started)
    worker.stop(timeout=5000)
    write_stats(args.stats, counter, started)
    broker.close()


def run_foreign(args, counter: Counter, stop: threading.Event) -> None:
    """pgqueuer / procrastinate: their own worker in a thread; the job's int is its enqueue time in ms."""
    from bench import foreign

    def on_job(n: int) -> None:
        with counter.lock:
            counter.count += 1
            if counter.latency:
                counter.latencies.append(time.time() * 1000 - n)

    started = time.time()
    runner = threading.Thread(target=foreign.run_worker, args=(args.system, args.url, args.threads, on_job, stop))
    runner.start()
    while not stop.wait(0.05):
        write_stats(args.stats, counter, started)
    runner.join(20)
    write_stats(args.stats, counter, started)


if __name__ == "__main__":
    main()
