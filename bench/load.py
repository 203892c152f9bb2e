"""Figures under a concurrent producer: steady throughput, and enqueue→start latency at a fixed rate.

Steady: producers aim at ``TARGET`` msg/s in total (far above any worker
here) with each system's fastest enqueue, so the figure is what the worker
processes, not what one producer can send:

- dramaturg, pgqueuer, procrastinate: one thread sending batches of 100
  (``enqueue_many`` / list ``enqueue`` / ``batch_defer``);
- stock dramatiq-pg and Redis (no bulk path): four threads, one ``send`` each.

Latency: one thread sends one message at a time at 50 msg/s; the worker
records each message's start minus its enqueue instant.
"""

from __future__ import annotations

import statistics
import threading
import time

from bench import clients, systems
from bench.procs import worker

TARGET = 5_000.0
PRODUCERS = {"dramaturg": (1, 100), "pgqueuer": (1, 100), "procrastinate": (1, 100), "stock": (4, 1), "redis": (4, 1)}


def _produce(client, stop: threading.Event, rate: float, batch: int, sent: list[int], stamp: bool) -> None:
    """Send ``batch`` jobs per step at ``rate`` jobs/s until ``stop``; a slow send just falls behind."""
    interval = batch / rate
    nxt = time.perf_counter()
    i = 0
    while not stop.is_set():
        if batch == 1:
            # pgqueuer / procrastinate carry their enqueue instant in the int (Dramatiq has message_timestamp)
            client.send(int(time.time() * 1000) if stamp else i)
        else:
            client.send_many(list(range(i, i + batch)))
        i += batch
        nxt += interval
        delay = nxt - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    sent.append(i)


def _start_producers(system: str, url: str, threads: int, rate: float, batch: int, stamp: bool = False):
    stop, sent, opened, started = threading.Event(), [], [], []
    shared = None
    for _ in range(threads):
        if shared is None or not getattr(shared, "shared", False):
            shared = clients.client(system, url)
            opened.append(shared)
        t = threading.Thread(target=_produce, args=(shared, stop, rate / threads, batch, sent, stamp))
        t.start()
        started.append(t)

    def finish() -> int:
        stop.set()
        for t in started:
            t.join()
        for c in opened:
            c.close()
        return sum(sent)

    return finish


def steady(system: str, url: str, seconds: float) -> dict:
    """Processed/s over a ``seconds`` window while the producers run; also what they sent per second."""
    threads, batch = PRODUCERS[system]
    with worker(system, url) as w:
        finish = _start_producers(system, url, threads, TARGET, batch)
        begin = time.monotonic()
        time.sleep(1.0)  # warm-up
        a = w.stats()
        time.sleep(seconds)
        b = w.stats()
        produced = finish()
        elapsed = time.monotonic() - begin
    return {"processed_per_s": (b["count"] - a["count"]) / (b["now"] - a["now"]), "produced_per_s": produced / elapsed}


def latency(system: str, url: str, seconds: float, rate: float = 50.0) -> dict:
    with worker(system, url, latency=True) as w:
        finish = _start_producers(system, url, 1, rate, 1, stamp=system in systems.FOREIGN)
        time.sleep(seconds)
        produced = finish()
        s = w.wait(lambda s: s and s["count"] >= produced, 30)
    q = statistics.quantiles(sorted(s["latencies"]), n=100)
    return {"p50": q[49], "p95": q[94], "p99": q[98]}
