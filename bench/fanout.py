"""The fan-out figure through the real platform, against one set-based UPDATE doing the same change.

``processes`` ``dramaturg worker`` processes (the real CLI worker: all of the
platform's middleware, job_history for the run and every child, 8 threads
each) run :mod:`bench.fanout_job`; the parent triggers it with ``trigger_job`` and
times trigger → every child finished (job_history says so). Then the same
change as ``UPDATE bench_users SET score = score * 0.9``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from bench import systems
from bench.procs import THREADS

FINAL = ("succeeded", "failed", "skipped")
#: Users per message in the chunked fan-out figure.
CHUNK = 500


def start_worker(url: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """One ``dramaturg worker`` running :mod:`bench.fanout_job` (``extra_env`` adds or overrides variables)."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DRAMATURG_ACTOR_MODULES": "bench.fanout_job",
        "DRAMATURG_WORKER_THREADS": str(THREADS),
        "DRAMATURG_POLL_SECONDS": "0.2",
        **(
            {"DRAMATURG_CLAIM_WINDOW": os.environ["BENCH_CLAIM_WINDOW"]} if os.environ.get("BENCH_CLAIM_WINDOW") else {}
        ),
        **(extra_env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "dramaturg", "worker"],
        cwd=systems.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc


def wait_listening(url: str, procs: list[subprocess.Popen]) -> None:
    """Return once every worker in ``procs`` LISTENs; kill them all if one exits or a minute passes."""
    deadline = time.monotonic() + 60
    # ready when their consumers LISTEN (they claim right after)
    while systems.scalar(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = 'dramaturg-listen'",
    ) < len(procs):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            for p in procs:
                p.kill()
            raise RuntimeError("the dramaturg workers did not start")
        time.sleep(0.1)


def create_users(url: str, n: int) -> None:
    """The tables :mod:`bench.fanout_job` works on, with ``n`` users."""
    systems.scalar(
        url,
        "CREATE TABLE bench_users (id int PRIMARY KEY, score float8 NOT NULL); "
        "CREATE TABLE bench_decay_marks (user_id int NOT NULL, period text NOT NULL, PRIMARY KEY (user_id, period)); "
        f"INSERT INTO bench_users SELECT g, 100 FROM generate_series(1, {int(n)}) g; ANALYZE bench_users",
    )


def fan_out(url: str, n: int, processes: int = 1, chunk: int = 1) -> dict:
    """Seconds from trigger to all ``n`` users' children finished; the parent run's own share; the set-based UPDATE.

    ``chunk`` users per child message (``fan_out(..., chunk=N)``); 1 is one child per user.
    """
    from scheduler.trigger import trigger_job
    from shared import history
    from shared.runtime import build_app
    from shared.settings import load_settings

    create_users(url, n)
    runtime = build_app(load_settings({"DATABASE_URL": url, "DRAMATURG_ACTOR_MODULES": "bench.fanout_job"}))
    procs = [start_worker(url) for _ in range(processes)]
    wait_listening(url, procs)
    try:
        t = time.perf_counter()
        run_id = trigger_job(runtime, "bench-decay", args={"chunk": chunk})
        messages = -(-n // chunk)
        deadline = time.monotonic() + 1800
        while True:
            with runtime.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                row = history.get(raw, run_id)
                done = sum(c for s, c in history.children_counts(raw, run_id).items() if s in FINAL)
                raw.rollback()
            if row["status"] in FINAL and done >= messages:
                break
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"fan-out did not finish: run {row['status']}, {done}/{messages} children")
            time.sleep(0.2)
        fan = time.perf_counter() - t
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)
        runtime.broker.close()
        runtime.engine.dispose()
    changed = systems.scalar(url, "SELECT count(*) FROM bench_users WHERE score < 100")
    conn = systems.admin(url)
    t = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("UPDATE bench_users SET score = score * 0.9")
    setbased = time.perf_counter() - t
    conn.close()
    return {
        "fan_out_s": fan,
        "parent_s": (row["duration_ms"] or 0) / 1000,
        "set_update_s": setbased,
        "children_per_s": n / fan,  # users (entities) per second, whatever the chunk
        "messages": messages,
        "chunk": chunk,
        "changed": changed,
        "processes": processes,
    }
