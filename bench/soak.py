"""``python -m bench.soak --minutes 10 [--server URL] [--rate N]``: the soak bar of issue 13.

One ``dramaturg worker`` (8 threads, the platform's every middleware) and one
``dramaturg scheduler`` run on a business clock ``--clock-rate`` times as fast
(60: a simulated hour per real minute, ``DRAMATURG_CLOCK_RATE`` with one anchor
for every process, the database marked as simulated). The scheduler fires the
hourly decay fan-out of :mod:`bench.fanout_job` (``@cron_job`` + ``fan_out``, one
child with its job_history row per user, ``--users`` of them) every simulated
hour, and ``prune-queue`` every simulated hour too (at :45, retention one
simulated hour). The prune's cut-off is on the business clock but a row's mtime
on the database's, which the simulated one outruns, so from its second run on a
prune deletes every finished row: the table keeps up to a real minute of them.
What the soak checks is that deletes and autovacuum keep the table bounded, not
how long rows are kept. A producer thread sends :mod:`bench.soak_job`'s no-op at 70 % of
the steady rate, in batches of 100; the steady rate is measured first through
the same worker with the producer flat out (``--rate`` skips that).

Every 10 s it samples processed/s (job_history rows finished in the interval),
the backlog, the worker's RSS (with any children), and the queue table's live
and dead tuples, autovacuum count and total size. At the end, with the load
still on, it times ``dramaturg status`` from a cold process (wall) and its
queries in this process (warm), and prints the bars as a Markdown table.

By default the database is an embedded PostgreSQL in a temporary folder, with
autovacuum on as every installation has it (stopped and removed at the end);
``--server URL`` runs on that server instead and says whether its autovacuum is
off (the lab server's is: a CI setting no user runs with).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

from bench import fanout, systems
from bench.cli_start import timed
from bench.load import TARGET, _produce
from bench.soak_report import report

MODULES = "bench.fanout_job,bench.soak_job"
SAMPLE_SECONDS = 10.0
BATCH = 100
SHARE = 0.7  # of the steady rate, as the issue asks
#: job_history rows are counted this long (real seconds) after they finished: outcomes are
#: written with the worker's next claim, a fraction of a second later.
COUNT_LAG = 1.0


@contextmanager
def database(server: str | None) -> Iterator[tuple[str, bool]]:
    """A fresh, migrated database and whether its server runs autovacuum."""
    from shared.migrate import upgrade

    if server:
        url = systems.create_database(server, "soak")
        try:
            yield url, systems.scalar(url, "SHOW autovacuum") == "on"
        finally:
            systems.drop_database(server, url)
        return
    from shared.embedded import embedded_url, stop_embedded

    data = Path(tempfile.mkdtemp(prefix="dramaturg-soak-"))
    try:
        url = embedded_url(data, database="soak")
        upgrade(url)
        yield url, systems.scalar(url, "SHOW autovacuum") == "on"
    finally:
        stop_embedded(data)
        shutil.rmtree(data, ignore_errors=True)


class Producer:
    """Sends the no-op in batches at ``rate`` jobs/s through ``app``'s broker, on a thread, until finished."""

    shared = True

    def __init__(self, app: Any, rate: float) -> None:
        from bench.soak_job import noop

        self.app, self.noop = app, noop
        self.stop, self.sent = threading.Event(), []
        self.thread = threading.Thread(target=_produce, args=(self, self.stop, rate, BATCH, self.sent, False))
        self.began = time.monotonic()
        self.thread.start()

    def send_many(self, ns: list[int]) -> None:
        self.app.broker.enqueue_many([self.noop.message(n) for n in ns])

    def finish(self) -> float:
        """Stop; the rate really sent (jobs/s)."""
        self.stop.set()
        self.thread.join()
        return sum(self.sent) / (time.monotonic() - self.began)


def _app(url: str, env: dict[str, str]) -> Any:
    from shared.runtime import build_app
    from shared.settings import load_settings

    return build_app(load_settings({"DATABASE_URL": url, "DRAMATURG_ACTOR_MODULES": MODULES, **env}))


def finished_between(conn: Any, since: datetime, until: datetime) -> int:
    """job_history rows finished in (since, until] (job_history_finished_idx)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM dramaturg.job_history WHERE finished_at > %s AND finished_at <= %s", (since, until)
        )
        return cur.fetchone()[0]


def reset_tables(url: str) -> None:
    """Start the soak on empty tables: the steady run leaves its backlog and its rows behind."""
    systems.scalar(url, "TRUNCATE dramatiq.queue, dramaturg.job_history")
    systems.scalar(url, "VACUUM ANALYZE dramatiq.queue")


def steady_rate(url: str, seconds: float) -> float:
    """Processed/s of the soak's worker with the producer flat out (as bench/load.py's steady figure)."""
    worker = fanout.start_worker(url, {"DRAMATURG_ACTOR_MODULES": MODULES})
    app = _app(url, {})
    conn = systems.admin(url)
    try:
        fanout.wait_listening(url, [worker])
        producer = Producer(app, TARGET)
        time.sleep(3.0)  # warm-up
        a = datetime.now(UTC)
        time.sleep(seconds)
        b = datetime.now(UTC)
        producer.finish()
        time.sleep(COUNT_LAG)
        return finished_between(conn, a, b) / (b - a).total_seconds()
    finally:
        _stop([worker])
        conn.close()
        app.broker.close()
        app.engine.dispose()
        reset_tables(url)


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def rss_bytes(pid: int) -> int:
    """The process's RSS plus its children's (a worker that forks counts whole)."""
    proc = psutil.Process(pid)
    return proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))


QUEUE_STATS = """
SELECT s.n_live_tup, s.n_dead_tup, s.autovacuum_count, s.autoanalyze_count,
       pg_total_relation_size('dramatiq.queue'),
       (SELECT count(*) FROM dramatiq.queue WHERE state IN ('queued', 'consumed'))
FROM pg_stat_user_tables s WHERE s.relid = 'dramatiq.queue'::regclass
"""


def queue_stats(conn: Any) -> dict[str, int]:
    with conn.cursor() as cur:
        cur.execute(QUEUE_STATS)
        live, dead, vacuums, analyzes, size, backlog = cur.fetchone()
    return dict(live=live, dead=dead, autovacuums=vacuums, autoanalyzes=analyzes, size=size, backlog=backlog)


def timeline(rate: float) -> tuple[datetime, datetime, dict[str, str]]:
    """(start, anchor, env): business time starts at half past the hour, so the first hourly tick
    comes half a simulated hour (30 real s at rate 60) in and each real minute holds one."""
    anchor = datetime.now(UTC)
    start = anchor.replace(minute=30, second=0, microsecond=0)
    env = {
        "DRAMATURG_NOW": start.isoformat(),
        "DRAMATURG_CLOCK_RATE": f"{rate:g}",
        "DRAMATURG_CLOCK_ANCHOR": anchor.isoformat(),
    }
    return start, anchor, env


def soak_env(clock_env: dict[str, str]) -> dict[str, str]:
    return {
        **clock_env,
        "DRAMATURG_ACTOR_MODULES": MODULES,
        "DRAMATURG_JOB_BENCH_DECAY_ENABLED": "true",
        # Retention and pruning on the simulated timeline: an hour kept, pruned hourly.
        "DRAMATURG_JOB_PRUNE_QUEUE_SCHEDULE": "45 * * * *",
        "DRAMATURG_QUEUE_RETENTION_DAYS": f"{1 / 24:.6f}",
    }


def time_status(url: str, env: dict[str, str], app: Any, runs: int) -> dict[str, float]:
    """``dramaturg status`` from a cold process (wall and CPU, median of ``runs``), and its queries in ``app``."""
    from scheduler.schedule import build_schedule
    from shared import clock_guard, overview

    exe = str(Path(sys.executable).parent / "dramaturg")
    # as a user's shell would run it: their actor modules importable, the deployment's variables set
    cold_env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(systems.ROOT), **env}
    cold = [timed([exe, "status"], cold_env) for _ in range(runs)]
    # what any Python client pays under the same load before doing anything: the interpreter, then
    # the two libraries a status read cannot do without (the driver, the settings' validation)
    bare = [timed([sys.executable, "-c", "pass"], cold_env) for _ in range(runs)]
    least = [timed([sys.executable, "-c", "import psycopg2, pydantic_settings"], cold_env) for _ in range(runs)]
    jobs = sorted(build_schedule(app.settings, app.registry.jobs))
    warm = []
    for _ in range(runs + 2):
        t = time.perf_counter()
        with app.connection() as conn:
            now = clock_guard.reference_now(app, conn).reference_at
            overview.status_readings(conn, now, jobs)
        warm.append(time.perf_counter() - t)
    return {
        "cold_wall": statistics.median(c[0] for c in cold),
        "cold_wall_max": max(c[0] for c in cold),
        "cold_cpu": statistics.median(c[1] for c in cold),
        "bare_python_wall": statistics.median(c[0] for c in bare),
        "least_imports_wall": statistics.median(c[0] for c in least),
        "warm": statistics.median(warm[1:]),  # the first one also opens the pool's connection
        "warm_max": max(warm[1:]),
    }


def soak(url: str, rate: float, minutes: float, clock_rate: float, status_runs: int) -> dict[str, Any]:
    from shared.clock_guard import mark_simulated

    start, anchor, clock_env = timeline(clock_rate)
    conn = systems.admin(url)
    mark_simulated(conn, start=start, anchor=anchor, rate=clock_rate, note="soak")
    env = soak_env(clock_env)
    worker = fanout.start_worker(url, env)
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "dramaturg", "scheduler"],
        cwd=systems.ROOT,
        env={**os.environ, "DATABASE_URL": url, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    app = _app(url, env)
    samples: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    producer = None
    try:
        fanout.wait_listening(url, [worker])
        producer = Producer(app, rate)
        began = time.monotonic()
        mark = app.clock.now()
        while (elapsed := time.monotonic() - began) < minutes * 60:
            time.sleep(max(0.0, SAMPLE_SECONDS * (len(samples) + 1) - elapsed))
            if worker.poll() is not None or scheduler.poll() is not None:
                raise RuntimeError("the worker or the scheduler exited during the soak")
            until = app.clock.now() - timedelta(seconds=COUNT_LAG * clock_rate)
            n = finished_between(conn, mark, until)
            real = (until - mark).total_seconds() / clock_rate
            sample = {
                "t": time.monotonic() - began,
                "processed_per_s": n / real,
                "processed": n,
                "seconds": real,
                "rss": rss_bytes(worker.pid),
                **queue_stats(conn),
            }
            samples.append(sample)
            mark = until
            print(_sample_line(sample), flush=True)
        statuses = time_status(url, env, app, status_runs)
        sent_rate, producer = producer.finish(), None
        load_after = os.getloadavg()
        runs = _runs(conn)
    finally:
        if producer is not None:  # stopped by an error: no more sends once the server goes
            producer.finish()
        _stop([scheduler, worker])
        conn.close()
        app.broker.close()
        app.engine.dispose()
    return {
        "samples": samples,
        "status": statuses,
        "sent_rate": sent_rate,
        "runs": runs,
        "load_before": load_before,
        "load_after": load_after,
    }


def _runs(conn: Any) -> dict[str, Any]:
    """The cron runs of the soak: decays (with children) and prunes (with rows deleted)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT job_name, status, count(*), sum(items_processed) FROM dramaturg.job_history "
            "WHERE trigger = 'cron' GROUP BY 1, 2 ORDER BY 1, 2"
        )
        return {f"{job} {status}": (n, items) for job, status, n, items in cur.fetchall()}


def _sample_line(s: dict[str, Any]) -> str:
    return (
        f"t={s['t']:5.0f}s processed={s['processed_per_s']:7.0f}/s backlog={s['backlog']:6d} "
        f"rss={s['rss'] / 2**20:6.1f}MB live={s['live']:8d} dead={s['dead']:8d} "
        f"autovacuums={s['autovacuums']:3d} size={s['size'] / 2**20:7.1f}MB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--server", help="PostgreSQL server URL (default: an embedded one, autovacuum on)")
    parser.add_argument("--rate", type=float, help="the steady rate in jobs/s (default: measured first)")
    parser.add_argument("--steady-seconds", type=float, default=20.0)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--clock-rate", type=float, default=60.0)
    parser.add_argument("--status-runs", type=int, default=3)
    args = parser.parse_args(argv)
    if args.minutes < 1:
        parser.error("--minutes: at least 1 (the first and the last minute are compared)")
    with database(args.server) as (url, autovacuum):
        if not autovacuum:
            print("note: this server runs with autovacuum = off; dead tuples are not reclaimed", file=sys.stderr)
        fanout.create_users(url, args.users)
        steady = args.rate or steady_rate(url, args.steady_seconds)
        print(f"steady rate {steady:.0f}/s; soaking at {SHARE * steady:.0f}/s for {args.minutes:g} min", flush=True)
        result = soak(url, SHARE * steady, args.minutes, args.clock_rate, args.status_runs)
    print(report(result, args, steady, SHARE, autovacuum))
    return 0


if __name__ == "__main__":
    sys.exit(main())
