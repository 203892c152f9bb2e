"""``python -m bench.status_queries [--server URL] [--done N] [--recent N] [--queued N]``: EXPLAIN ANALYZE of status.

Fills a fresh database's queue table with ``--done`` finished rows spread over
the 7 days the retention keeps, ``--recent`` of them finished within the last
5 minutes, and ``--queued`` waiting ones, then runs ``EXPLAIN (ANALYZE,
BUFFERS)`` of the queue-depth query ``dramaturg status`` used to run (every row
grouped by queue and state) and of the two it runs now (active states through
the (state, mtime) index; done/rejected over the status window), first as the
rows were written (no ANALYZE: autovacuum off, as on the lab server) and then
after ``VACUUM ANALYZE``. Prints each plan's top line and execution time.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime

from bench import systems
from shared.overview import STATUS_FINISHED_WINDOW
from shared.sql import queries

#: The query status ran before: every row of the table, grouped.
OLD = """SELECT queue_name, state::text, count(*) AS n,
       count(*) FILTER (WHERE state = 'queued' AND eta > COALESCE(%(now)s, clock_timestamp())) AS delayed
FROM dramatiq.queue GROUP BY queue_name, state ORDER BY queue_name, state"""

FILL = """
INSERT INTO dramatiq.queue (message_id, queue_name, state, mtime, message, eta, enqueued_at)
SELECT gen_random_uuid(), (ARRAY['example', 'game', 'cron'])[1 + g %% 3], 'done',
       clock_timestamp() - interval '5 minutes' - (g * interval '7 days' / %(old)s), '{"actor_name": "x"}',
       clock_timestamp(), clock_timestamp()
FROM generate_series(1, %(old)s) g;
INSERT INTO dramatiq.queue (message_id, queue_name, state, mtime, message, eta, enqueued_at)
SELECT gen_random_uuid(), (ARRAY['example', 'game', 'cron'])[1 + g %% 3], CASE WHEN g %% 50 = 0 THEN 'rejected' ELSE 'done' END::dramatiq.state,
       clock_timestamp() - (g * interval '4 minutes' / %(recent)s), '{"actor_name": "x"}', clock_timestamp(), clock_timestamp()
FROM generate_series(1, %(recent)s) g;
INSERT INTO dramatiq.queue (message_id, queue_name, state, mtime, message, eta, enqueued_at)
SELECT gen_random_uuid(), 'example', CASE WHEN g %% 10 = 0 THEN 'consumed' ELSE 'queued' END::dramatiq.state,
       clock_timestamp(), '{"actor_name": "x"}', clock_timestamp() + (g %% 7) * interval '1 minute', clock_timestamp()
FROM generate_series(1, %(queued)s) g;
"""


def explain(conn, sql: str, params: dict) -> tuple[str, float]:
    with conn.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [r[0] for r in cur.fetchall()]
    ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan[-1]).group(1))
    scans = [line.strip() for line in plan if "Scan" in line]
    return "; ".join(s.split("  (")[0] for s in scans), ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.status_queries")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--done", type=int, default=500_000, help="finished rows in all")
    parser.add_argument("--recent", type=int, default=50_000, help="of which finished in the status window")
    parser.add_argument("--queued", type=int, default=10_000)
    args = parser.parse_args(argv)
    url = systems.create_database(args.server, "status")
    try:
        systems.scalar(url, FILL, {"old": args.done - args.recent, "recent": args.recent, "queued": args.queued})
        sql = queries("overview")
        now = datetime.now(UTC)
        window = STATUS_FINISHED_WINDOW.total_seconds()
        cases = [
            ("before: every row grouped", OLD, {"now": None}),
            ("now: active states", sql["queue_active_depths"], {"now": now}),
            (f"now: done/rejected in the last {window:g} s", sql["queue_finished_depths"], {"within": window}),
        ]
        print(f"{args.done:,} finished rows ({args.recent:,} in the window), {args.queued:,} queued or in flight")
        print("| query | as written (no ANALYZE) ms | after VACUUM ANALYZE ms | plan after |\n|---|---|---|---|")
        conn = systems.admin(url)
        cold = [explain(conn, q, p) for _, q, p in cases]
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE dramatiq.queue")
        warm = [explain(conn, q, p) for _, q, p in cases]
        for (name, _, _), (_, a), (plan, b) in zip(cases, cold, warm):
            print(f"| {name} | {a:.1f} | {b:.1f} | {plan} |")
        conn.close()
    finally:
        systems.drop_database(args.server, url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
