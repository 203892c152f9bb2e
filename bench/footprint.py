"""Footprint (worker RSS, advisory locks held on the database) at 0 / 100k / 1M queued, and rescue after kill -9.

Backlogs are written straight in each system's own table format with one
``INSERT … SELECT generate_series`` (valid messages its worker runs), so a
million rows take seconds; Redis gets the same hash + list entries its
broker's enqueue script writes, pipelined.
"""

from __future__ import annotations

import json
import signal
import time

from bench import systems
from bench.procs import WorkerProcess, worker

DRAMATIQ_ROWS = """
INSERT INTO dramatiq.queue (message_id, queue_name, state, message)
SELECT id, 'bench', 'queued', jsonb_build_object(
    'queue_name', 'bench', 'actor_name', 'bench.noop', 'args', jsonb_build_array(g), 'kwargs', '{}'::jsonb,
    'options', '{}'::jsonb, 'message_id', id::text,
    'message_timestamp', (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
FROM (SELECT gen_random_uuid() AS id, g FROM generate_series(1, %(n)s) g) s
"""
PGQUEUER_ROWS = """
INSERT INTO pgqueuer (priority, status, entrypoint, payload)
SELECT 0, 'queued', 'bench_noop', convert_to(g::text, 'UTF8') FROM generate_series(1, %(n)s) g
"""
PROCRASTINATE_ROWS = """
INSERT INTO procrastinate_jobs (queue_name, task_name, args)
SELECT 'bench', 'bench_noop', jsonb_build_object('n', g) FROM generate_series(1, %(n)s) g
"""


def fill_sql(system: str, url: str, n: int) -> None:
    """Queue ``n`` no-op jobs at once in ``system``'s own format (setup, never timed)."""
    if system == "redis":
        return _fill_redis(url, n)
    sql = {"pgqueuer": PGQUEUER_ROWS, "procrastinate": PROCRASTINATE_ROWS}.get(system, DRAMATIQ_ROWS)
    systems.scalar(url, sql, {"n": n})
    systems.scalar(url, "VACUUM ANALYZE")


def _fill_redis(url: str, n: int) -> None:
    import uuid

    import redis

    base, _, namespace = url.partition("#")
    client = redis.Redis.from_url(base)
    now = int(time.time() * 1000)
    for start in range(0, n, 10_000):
        pipe = client.pipeline(transaction=False)
        for i in range(start, min(n, start + 10_000)):
            mid = str(uuid.uuid4())
            body = json.dumps(
                {
                    "queue_name": systems.QUEUE,
                    "actor_name": "bench.noop",
                    "args": [i],
                    "kwargs": {},
                    "options": {},
                    "message_id": mid,
                    "message_timestamp": now,
                },
                separators=(",", ":"),
            )
            pipe.hset(f"{namespace}:{systems.QUEUE}.msgs", mid, body)
            pipe.rpush(f"{namespace}:{systems.QUEUE}", mid)
        pipe.execute()


def _sample(system: str, url: str, seconds: float) -> tuple[float, int | None]:
    """Max RSS (MiB) and max advisory locks over ``seconds`` of a fresh worker's life."""
    locks, rss = [], []
    with worker(system, url) as w:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if system != "redis":
                locks.append(systems.advisory_locks(url))
            rss.append(w.stats()["rss_kb"] / 1024)
            time.sleep(0.1)
    return max(rss), (max(locks) if locks else None)


def footprint(system: str, url: str, backlogs: list[int]) -> dict:
    """Worker RSS and advisory locks with an empty queue, then with each backlog in ``backlogs``."""
    out = {}
    out["rss_0"], out["locks_0"] = _sample(system, url, 3.0)
    queued = 0
    for n in backlogs:
        # what the previous worker consumed is gone: top the queue up to n
        queued = systems.pending(system, url)
        fill_sql(system, url, n - queued)
        out[f"rss_{n}"], out[f"locks_{n}"] = _sample(system, url, 4.0)
    return out


def rescue(system: str, url: str, lease: float, timeout: float) -> float | None:
    """Seconds from ``kill -9`` of a busy worker until a fresh worker has finished the rows it held."""
    # Enqueued over time, as a live queue is: the rescued rows' old eta puts them
    # back at the head. (One INSERT … SELECT would give all rows one eta, and the
    # rescued rows would wait behind an arbitrary share of the backlog.)
    broker, actor = systems.build(system, url, lease=lease)
    messages = [actor.message(i) for i in range(50_000)]
    for i in range(0, len(messages), 1000):
        systems.prefill(system, broker, messages[i : i + 1000])
    w = WorkerProcess(system, url, lease=lease)
    w.wait(lambda s: s and s["count"] >= 100, 60)
    # Freeze the worker, then kill it only while it holds claimed rows: a no-op
    # worker sits between an ack and its next claim often enough to hold none.
    while True:
        w.proc.send_signal(signal.SIGSTOP)
        killed = time.monotonic()
        held = systems.scalar(url, "SELECT array_agg(message_id) FROM dramatiq.queue WHERE state = 'consumed'")
        if held:
            break
        w.proc.send_signal(signal.SIGCONT)
        time.sleep(0.02)
    w.kill9()
    with worker(system, url, lease=lease):
        while time.monotonic() - killed < timeout:
            left = systems.scalar(
                url,
                "SELECT count(*) FROM dramatiq.queue WHERE message_id = ANY(%s::uuid[]) AND state <> 'done'",
                (held,),
            )
            if left == 0:
                return time.monotonic() - killed
            time.sleep(0.1)
    return None
