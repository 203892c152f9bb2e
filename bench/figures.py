"""Enqueue and drain figures, and the raw PostgreSQL ceilings they are compared with.

Every function measures one run for one system on its own fresh database
and returns a number; ``bench.__main__`` repeats runs and takes the median.
Workers are real worker processes (:mod:`bench.worker`) with 8 threads
(or 8 concurrent jobs for the asyncio-based systems).
"""

from __future__ import annotations

import io
import time

from bench import clients, systems
from bench.procs import worker

BATCH = 10_000


def single_enqueue(system: str, url: str, n: int) -> float:
    client = clients.client(system, url)
    client.send(-1)  # connect first: the figure is the steady send rate
    t = time.perf_counter()
    for i in range(n):
        client.send(i)
    rate = n / (time.perf_counter() - t)
    client.close()
    return rate


def bulk_enqueue(system: str, url: str, n: int) -> float:
    """Each system's fastest way to queue ``n`` jobs: dramaturg ``enqueue_many``, pgqueuer's list
    ``enqueue``, procrastinate's ``batch_defer`` (batches of 10,000); stock and Redis have no bulk
    path, so one-by-one ``send``. Building the messages is inside the timing."""
    client = clients.client(system, url)
    client.send(-1)
    t = time.perf_counter()
    if system == "dramaturg":
        broker, actor = client.broker, client.actor
        for i in range(0, n, BATCH):
            broker.enqueue_many([actor.message(j) for j in range(i, min(n, i + BATCH))])
    elif system in systems.FOREIGN:
        for i in range(0, n, BATCH):
            client.send_many(list(range(i, min(n, i + BATCH))))
    else:
        for i in range(n):
            client.send(i)
    rate = n / (time.perf_counter() - t)
    client.close()
    return rate


def _encoded(url: str, n: int) -> list[tuple[str, str, str]]:
    _, actor = systems.build("dramaturg", url)
    return [(m.message_id, m.queue_name, m.encode().decode()) for m in (actor.message(i) for i in range(n))]


def raw_multirow_insert(url: str, n: int) -> float:
    """Ceiling: the same messages (built and encoded in the loop) in multi-row INSERTs of 10,000."""
    from psycopg2.extras import execute_values

    conn = systems.admin(url)
    t = time.perf_counter()
    rows = _encoded(url, n)
    with conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO dramatiq.queue (message_id, queue_name, state, message) VALUES %s",
            [(a, b, "queued", c) for a, b, c in rows],
            template="(%s::uuid, %s, %s::dramatiq.state, %s::jsonb)",
            page_size=BATCH,
        )
    rate = n / (time.perf_counter() - t)
    conn.close()
    return rate


def raw_copy(url: str, n: int) -> float:
    """Ceiling: the same messages (built and encoded in the loop) COPYed straight into the table in
    batches of 10,000: no idempotency, no returned ids, no NOTIFY."""
    conn = systems.admin(url)
    conn.autocommit = False
    t = time.perf_counter()
    rows = _encoded(url, n)
    with conn.cursor() as cur:
        for i in range(0, n, BATCH):
            text = "".join(f"{a}\t{b}\tqueued\t{c.replace(chr(92), chr(92) * 2)}\n" for a, b, c in rows[i : i + BATCH])
            cur.copy_expert(
                "COPY dramatiq.queue (message_id, queue_name, state, message) FROM STDIN", io.StringIO(text)
            )
            conn.commit()
    rate = n / (time.perf_counter() - t)
    conn.close()
    return rate


def prefill(system: str, url: str, n: int) -> None:
    """A backlog of ``n`` no-op jobs, put in place the fastest way (setup, never timed)."""
    if system in systems.FOREIGN:
        clients.fill(system, url, n)
    else:
        broker, actor = systems.build(system, url)
        systems.prefill(system, broker, [actor.message(i) for i in range(n)])


def drain(system: str, url: str, n: int) -> float:
    prefill(system, url, n)
    with worker(system, url) as w:
        s = w.wait(lambda s: s and s["count"] >= n, 600)
    return n / (s["now"] - s["started"])


def raw_claim_ack(url: str, n: int, batch: int = 100) -> float:
    """Ceiling: one thread claiming ``batch`` rows with SKIP LOCKED, then acking them in one UPDATE."""
    prefill("dramaturg", url, n)
    conn = systems.admin(url)
    conn.autocommit = False
    done = 0
    t = time.perf_counter()
    with conn.cursor() as cur:
        while done < n:
            cur.execute(
                "WITH next AS (SELECT message_id FROM dramatiq.queue WHERE queue_name = 'bench' AND state = 'queued' "
                "ORDER BY priority, eta LIMIT %s FOR UPDATE SKIP LOCKED) "
                "UPDATE dramatiq.queue q SET state = 'consumed' FROM next WHERE q.message_id = next.message_id "
                "RETURNING q.message_id, q.message",
                (batch,),
            )
            ids = [r[0] for r in cur.fetchall()]
            conn.commit()
            cur.execute("UPDATE dramatiq.queue SET state = 'done' WHERE message_id = ANY(%s::uuid[])", (ids,))
            conn.commit()
            done += len(ids)
    rate = n / (time.perf_counter() - t)
    conn.close()
    return rate
