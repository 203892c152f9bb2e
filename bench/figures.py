"""Each benchmark figure, measured for one system on its own fresh database.

Every function returns a number (or a dict of numbers) for one run; the
caller repeats runs and takes the median. Workers are real Dramatiq
workers in a subprocess (:mod:`bench.worker`) with 8 threads.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager

from bench import systems

THREADS = 8


class WorkerProcess:
    def __init__(self, system: str, url: str, *, lease: float = 30.0, latency: bool = False) -> None:
        fd, self.stats_path = tempfile.mkstemp(prefix="bench-stats-", suffix=".json")
        os.close(fd)
        os.unlink(self.stats_path)
        cmd = [sys.executable, "-m", "bench.worker", system, url, self.stats_path, "--threads", str(THREADS),
               "--lease", str(lease)] + (["--latency"] if latency else [])
        self.proc = subprocess.Popen(cmd, cwd=systems.ROOT, stderr=subprocess.DEVNULL)
        self.wait(lambda s: s is not None, 60)

    def stats(self) -> dict | None:
        try:
            with open(self.stats_path) as fh:
                return json.load(fh)
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait(self, cond, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats()
            if cond(s):
                return s
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise TimeoutError("worker condition not met")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.path.exists(self.stats_path):
            os.unlink(self.stats_path)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@contextmanager
def worker(system: str, url: str, **kw):
    w = WorkerProcess(system, url, **kw)
    try:
        yield w
    finally:
        w.stop()


def single_enqueue(system: str, url: str, n: int) -> float:
    broker, actor, _ = systems.build(system, url)
    actor.send(-1)  # connect first: the figure is the steady send rate
    t = time.perf_counter()
    for i in range(n):
        actor.send(i)
    return n / (time.perf_counter() - t)


def bulk_enqueue(system: str, url: str, n: int) -> float:
    """dramaturg: ``enqueue_many``; the others have no bulk path, so one-by-one ``send``."""
    broker, actor, _ = systems.build(system, url)
    actor.send(-1)
    t = time.perf_counter()
    if system == "dramaturg":
        messages = [actor.message(i) for i in range(n)]
        for i in range(0, n, 10_000):
            broker.enqueue_many(messages[i:i + 10_000])
    else:
        for i in range(n):
            actor.send(i)
    return n / (time.perf_counter() - t)


def raw_multirow_insert(url: str, n: int) -> float:
    """Ceiling: the same messages (built and encoded in the loop) in multi-row INSERTs of 10,000."""
    from psycopg2.extras import execute_values

    _, actor, _ = systems.build("dramaturg", url)
    conn = systems.admin(url)
    t = time.perf_counter()
    rows = [(m.message_id, m.queue_name, m.encode().decode()) for m in (actor.message(i) for i in range(n))]
    with conn.cursor() as cur:
        execute_values(cur, "INSERT INTO dramatiq.queue (message_id, queue_name, state, message) "
                            "VALUES %s", [(a, b, "queued", c) for a, b, c in rows],
                       template="(%s::uuid, %s, %s::dramatiq.state, %s::jsonb)", page_size=10_000)
    rate = n / (time.perf_counter() - t)
    conn.close()
    return rate


def drain(system: str, url: str, n: int) -> float:
    broker, actor, _ = systems.build(system, url)
    systems.prefill(system, broker, [actor.message(i) for i in range(n)])
    with worker(system, url) as w:
        s = w.wait(lambda s: s and s["count"] >= n, 600)
    return n / (s["now"] - s["started"])


def raw_claim_ack(url: str, n: int, batch: int = 100) -> float:
    """Ceiling: one thread claiming ``batch`` rows with SKIP LOCKED, then acking them in one UPDATE."""
    broker, actor, _ = systems.build("dramaturg", url)
    systems.prefill("dramaturg", broker, [actor.message(i) for i in range(n)])
    conn = systems.admin(url)
    conn.autocommit = False
    done = 0
    t = time.perf_counter()
    with conn.cursor() as cur:
        while done < n:
            cur.execute("WITH next AS (SELECT message_id FROM dramatiq.queue WHERE queue_name = 'bench' AND state = 'queued' "
                        "ORDER BY priority, eta LIMIT %s FOR UPDATE SKIP LOCKED) "
                        "UPDATE dramatiq.queue q SET state = 'consumed' FROM next WHERE q.message_id = next.message_id "
                        "RETURNING q.message_id, q.message", (batch,))
            ids = [r[0] for r in cur.fetchall()]
            conn.commit()
            cur.execute("UPDATE dramatiq.queue SET state = 'done' WHERE message_id = ANY(%s::uuid[])", (ids,))
            conn.commit()
            done += len(ids)
    rate = n / (time.perf_counter() - t)
    conn.close()
    return rate


def _produce(actor, stop: threading.Event, rate: float | None, sent: list[int]) -> None:
    interval = 1 / rate if rate else 0
    nxt = time.perf_counter()
    i = 0
    while not stop.is_set():
        actor.send(i)
        i += 1
        if interval:
            nxt += interval
            delay = nxt - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
    sent.append(i)


def steady(system: str, url: str, seconds: float) -> dict:
    """Processed/s over a window while one producer thread sends as fast as it can."""
    broker, actor, _ = systems.build(system, url)
    with worker(system, url) as w:
        stop, sent = threading.Event(), []
        producer = threading.Thread(target=_produce, args=(actor, stop, None, sent))
        producer.start()
        time.sleep(1.0)  # warm-up
        a = w.stats()
        time.sleep(seconds)
        b = w.stats()
        stop.set()
        producer.join()
    return {"processed_per_s": (b["count"] - a["count"]) / (b["now"] - a["now"]),
            "produced_per_s": sent[0] / (seconds + 1.0)}


def latency(system: str, url: str, seconds: float, rate: float = 50.0) -> dict:
    broker, actor, _ = systems.build(system, url)
    with worker(system, url, latency=True) as w:
        stop, sent = threading.Event(), []
        producer = threading.Thread(target=_produce, args=(actor, stop, rate, sent))
        producer.start()
        time.sleep(seconds)
        stop.set()
        producer.join()
        s = w.wait(lambda s: s and s["count"] >= sent[0], 30)
    lat = sorted(s["latencies"])
    q = statistics.quantiles(lat, n=100)
    return {"p50": q[49], "p95": q[94], "p99": q[98]}


def footprint(system: str, url: str, backlog: int) -> dict:
    """Worker RSS (MiB) and advisory locks held on its database: idle, then over a ``backlog``-message queue."""
    broker, actor, _ = systems.build(system, url)
    out = {}
    with worker(system, url) as w:
        time.sleep(2.0)
        out["rss_empty"] = w.stats()["rss_kb"] / 1024
        out["locks_empty"] = systems.advisory_locks(url) if system != "redis" else None
    systems.prefill(system, broker, [actor.message(i) for i in range(backlog)])
    with worker(system, url) as w:
        locks, rss = [], []
        end = time.monotonic() + 4.0
        while time.monotonic() < end:
            if system != "redis":
                locks.append(systems.advisory_locks(url))
            rss.append(w.stats()["rss_kb"] / 1024)
            time.sleep(0.1)
    out["rss_backlog"] = max(rss)
    out["locks_backlog"] = max(locks) if locks else None
    return out


def rescue(system: str, url: str, lease: float, timeout: float) -> float | None:
    """Seconds from ``kill -9`` of a busy worker until a fresh worker has finished the rows it held."""
    broker, actor, _ = systems.build(system, url, lease=lease)
    systems.prefill(system, broker, [actor.message(i) for i in range(50_000)])
    w = WorkerProcess(system, url, lease=lease)
    w.wait(lambda s: s and s["count"] >= 100, 60)
    w.kill9()
    killed = time.monotonic()
    held = systems.scalar(url, "SELECT array_agg(message_id) FROM dramatiq.queue WHERE state = 'consumed'") or []
    with worker(system, url, lease=lease):
        while time.monotonic() - killed < timeout:
            left = systems.scalar(url, "SELECT count(*) FROM dramatiq.queue WHERE message_id = ANY(%s::uuid[]) "
                                       "AND state <> 'done'", (held,))
            if left == 0:
                return time.monotonic() - killed
            time.sleep(0.1)
    return None


def fan_out(url: str, n: int) -> dict:
    """A cron-style parent enqueues ``n`` children in one transaction; each child UPDATEs one row.

    Compared with the same change as one set-based UPDATE.
    """
    broker, _, child = systems.build("dramaturg", url)
    systems.scalar(url, "CREATE TABLE bench_users (id int PRIMARY KEY, score float8 NOT NULL); "
                        f"INSERT INTO bench_users SELECT g, 100 FROM generate_series(1, {int(n)}) g")
    with worker("dramaturg", url) as w:
        t = time.perf_counter()
        with broker.pooled() as raw:  # the parent job's one transaction
            for i in range(1, n + 1, 5000):
                broker.enqueue_many([child.message(u) for u in range(i, min(i + 5000, n + 1))], conn=raw)
            raw.commit()
        w.wait(lambda s: s and s["count"] >= n, 1200)
        fan = time.perf_counter() - t
    conn = systems.admin(url)
    t = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("UPDATE bench_users SET score = score * 0.9")
    setbased = time.perf_counter() - t
    conn.close()
    return {"fan_out_s": fan, "set_update_s": setbased}
