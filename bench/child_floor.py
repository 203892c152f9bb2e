"""The per-child contract in raw SQL: how fast this machine can fan out at all, with no Python framework.

``python -m bench.child_floor [--users N] [--procs 1,2,4] [--server URL]``

The fan-out figure (:mod:`bench.fanout`) asks every child for its own
transaction with its idempotency marker and a job_history row with its
status, and compares it with the no-op drain. This measures what that work
costs PostgreSQL here when nothing else is in the way: each process claims 32
rows with the platform's own claim statement and writes their ``running`` rows
in the claim's transaction (``history_start_many``), runs every child's effect
and marker as one autocommit statement (the decay's, as in
:mod:`bench.fanout_job`: one round trip, durable commit), then acks the batch
and writes its ``succeeded`` rows with the next claim (``queue_ack_many``,
``history_succeed_many``). No Dramatiq, no SQLAlchemy, no middleware, no
threads: P processes in parallel, each a serial loop. The same harness without
the children and history (claim + ack only) and Dramatiq's own no-op drain on
the platform's broker (:func:`bench.figures.drain`, the fan-out bar's
denominator) are measured in the same run, with the machine's CPU use
(``/proc/stat``) for each.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
import uuid

import psycopg2
import psycopg2.extras

from bench import fanout, figures, systems
from shared.sql import queries

QUEUE_SQL = queries("queue")
HISTORY_SQL = queries("history")
BATCH = 32
# bench.fanout_job's DECAY_ONE in psycopg2's parameter style
DECAY_ONE = (
    "WITH mark AS (INSERT INTO bench_decay_marks (user_id, period) VALUES (%s, 'h') "
    "ON CONFLICT DO NOTHING RETURNING user_id) "
    "UPDATE bench_users SET score = score * 0.9 WHERE id = (SELECT user_id FROM mark)"
)
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
#: Processes in the figure ``python -m bench`` records: the peak of 1-16 on the 2-core machine.
PROCESSES = 8


def _connect(url: str):
    conn = psycopg2.connect(url)
    conn.autocommit = True
    psycopg2.extras.register_uuid(conn_or_curs=conn)
    return conn


def _finish(cur, claimed: list[tuple], children: bool) -> bytes:
    """The previous batch's acks (and succeeded rows), sent ahead of the next claim."""
    if not claimed:
        return b""
    owner = claimed[0][3]
    sql = cur.mogrify(
        QUEUE_SQL["queue_ack_many"],
        {"ids": [c[0] for c in claimed], "claims": [c[1] for c in claimed], "owner": owner},
    )
    if children:
        n = len(claimed)
        sql += b";\n" + cur.mogrify(
            HISTORY_SQL["history_succeed_many"],
            {
                "ids": [c[2] for c in claimed],
                "attempts": [1] * n,
                "finished": [None] * n,
                "durations": [1] * n,
                "items": [1] * n,
                "results": [None] * n,
            },
        )
    return sql + b";\n"


def consume(url: str, parent_id: int, children: bool) -> None:
    """Claim, (run children,) ack until the queue is empty: one process's serial loop."""
    consumer, child = _connect(url), _connect(url)
    cur, child_cur = consumer.cursor(), child.cursor()
    cur.execute("SET synchronous_commit = off")  # as the platform's consumer connection
    owner = uuid.uuid4()
    claimed: list[tuple] = []
    while True:
        claim = cur.mogrify(
            QUEUE_SQL["queue_claim"],
            {"queue": "example", "now": None, "limit": BATCH, "owner": owner, "lease": 30, "cap": None},
        )
        cur.execute(b"BEGIN;\n" + _finish(cur, claimed, children) + claim)
        rows = cur.fetchall()
        if not rows:
            cur.execute("COMMIT")
            break
        ids: dict = {}
        bodies = [json.loads(r[1]) for r in rows]
        if children:
            n = len(rows)
            cur.execute(
                HISTORY_SQL["history_start_many"],
                {
                    "now": None,
                    "jobs": ["bench-decay"] * n,
                    "actors": ["bench.decay.item"] * n,
                    "ids": [r[0] for r in rows],
                    "parents": [parent_id] * n,
                    "triggers": ["fanout"] * n,
                    "attempts": [1] * n,
                    "periods": ["h"] * n,
                    "args": [json.dumps(b["kwargs"]) for b in bodies],
                    "enqueued": [None] * n,
                },
            )
            ids = dict(cur.fetchall())
        cur.execute("COMMIT")
        if children:
            for body in bodies:
                child_cur.execute(DECAY_ONE, (body["kwargs"]["user_id"],))
        claimed = [(r[0], r[2], ids.get(r[0]), owner) for r in rows]
    consumer.close()
    child.close()


def _cpu() -> tuple[int, int]:
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def floor(url: str, users: int, processes: int = PROCESSES, children: bool = True) -> dict:
    """Children (or drained messages) per second for ``users`` queued children across ``processes``,
    in the migrated database at ``url``."""
    fanout.create_users(url, users)
    admin = _connect(url)
    with admin.cursor() as cur:
        cur.execute(
            "INSERT INTO dramaturg.job_history (job_name, actor_name, message_id, trigger, status, attempt) "
            "VALUES ('bench-decay', 'bench.decay', gen_random_uuid(), 'manual', 'running', 1) RETURNING id"
        )
        parent_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO dramatiq.queue (message_id, queue_name, state, message, priority, eta) "
            "SELECT gen_random_uuid(), 'example', 'queued', jsonb_build_object('queue_name', 'example', "
            "'actor_name', 'bench.decay.item', 'args', '[]'::jsonb, 'kwargs', jsonb_build_object('user_id', g), "
            "'options', '{}'::jsonb), 10, now() - interval '1 hour' + g * interval '1 microsecond' "
            "FROM generate_series(1, %s) g",
            (users,),
        )
        cur.execute("ANALYZE dramatiq.queue")
        cur.execute("CHECKPOINT")
    busy0, total0 = _cpu()
    t = time.perf_counter()
    procs = [multiprocessing.Process(target=consume, args=(url, parent_id, children)) for _ in range(processes)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    seconds = time.perf_counter() - t
    busy1, total1 = _cpu()
    if any(p.exitcode for p in procs):
        raise RuntimeError(f"a floor process failed (exit codes {[p.exitcode for p in procs]})")
    with admin.cursor() as cur:
        cur.execute("SELECT count(*) FROM bench_users WHERE score < 100")
        changed = cur.fetchone()[0]
    admin.close()
    if children and changed != users:
        raise RuntimeError(f"{changed} of {users} users changed")
    return {
        "per_s": users / seconds,
        "busy": (busy1 - busy0) / max(1, total1 - total0),
        "processes": processes,
        "users": users,
    }


def _drain(url: str, n: int) -> dict:
    busy0, total0 = _cpu()
    rate = figures.drain("dramaturg", url, n)
    busy1, total1 = _cpu()
    return {"per_s": rate, "busy": (busy1 - busy0) / max(1, total1 - total0)}


def _on_fresh_database(server: str, fn, *args) -> dict:
    url = systems.create_database(server, "dramaturg")
    try:
        return fn(url, *args)
    finally:
        systems.drop_database(server, url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--procs", default="1,2,4,8,16")
    parser.add_argument("--drain", type=int, default=10_000, help="messages in Dramatiq's no-op drain")
    parser.add_argument("--server", default=os.environ.get("BENCH_SERVER", SERVER))
    args = parser.parse_args(argv)
    procs = [int(p) for p in args.procs.split(",")]
    drain = _on_fresh_database(args.server, _drain, args.drain)
    rows = [("Dramatiq no-op drain, platform broker (the bar's denominator)", drain)]
    for p in procs:
        rows.append((f"raw claim + ack, {p} process(es)", _on_fresh_database(args.server, floor, args.users, p, False)))
    for p in procs:
        rows.append((f"raw per-child contract, {p} process(es)", _on_fresh_database(args.server, floor, args.users, p)))
    print(f"{args.users:,} children; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f} at the end\n")
    print("| what | /s | of the drain | machine CPU busy |\n|---|---|---|---|")
    for label, r in rows:
        print(f"| {label} | {r['per_s']:,.0f} | {r['per_s'] / drain['per_s']:.0%} | {r['busy']:.0%} |")


if __name__ == "__main__":
    main()
