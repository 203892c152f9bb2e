"""The cap is cluster-wide: two ``dramaturg worker`` processes (4 threads each, 8 in all) on a
queue capped at 5 never run more than 5 of its messages at once, reach 5, keep the 5 slots
busy while draining, and leave an uncapped queue running beside it.

Two measures of "running": a sampler counting the queue's consumed rows (claimed,
prefetched or started) while the workers run, and each job's own start and end
instants, from which the most jobs ever running at once is computed exactly.
"""

from __future__ import annotations

import threading
from datetime import datetime

import psycopg2
import pytest

from tests.integration.broker.limit_actors import ACTORS, CAPPED, TABLES, UNCAPPED
from tests.support.processes import DramaturgProcess, dramaturg_env
from tests.support.waiting import wait_until

CAP = 5
CAPPED_JOBS = 30
UNCAPPED_JOBS = 20
WORK_MS = 300


class ConsumedSampler:
    """Counts the capped queue's consumed rows on its own connection until stopped."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg2.connect(url)
        self.conn.autocommit = True
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ConsumedSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self.conn.close()

    def _run(self) -> None:
        with self.conn.cursor() as cur:
            while not self._stop.wait(0.005):
                cur.execute(
                    "SELECT count(*) FROM dramatiq.queue WHERE queue_name = %s AND state = 'consumed'", (CAPPED,)
                )
                self.samples.append(cur.fetchone()[0])


def most_at_once(intervals: list[tuple[datetime, datetime]]) -> int:
    """The most intervals open at one instant (an end at t closes before a start at t opens)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        running += step
        peak = max(peak, running)
    return peak


def runs(raw, queue: str) -> list[tuple]:
    with raw.cursor() as cur:
        cur.execute("SELECT n, pid, started_at, ended_at FROM limit_runs WHERE queue = %s ORDER BY id", (queue,))
        return cur.fetchall()


@pytest.fixture
def workers(app, tmp_path):
    env = dramaturg_env(
        app.url,
        DRAMATURG_ACTOR_MODULES="tests.integration.broker.limit_actors",
        DRAMATURG_WORKER_THREADS="4",
        DRAMATURG_QUEUE_TEST_CAPPED_CONCURRENCY=str(CAP),  # over the cap of 2 declared in code
    )
    procs = [DramaturgProcess(["worker"], env, tmp_path, f"worker-{i}") for i in (1, 2)]
    yield procs
    for p in procs:
        p.stop()


def test_two_worker_processes_never_run_more_than_the_cap_together_and_reach_it(app, raw, workers):
    with raw.cursor() as cur:
        cur.execute(TABLES)
    # Given a backlog of slow-ish jobs on a queue capped at 5, each held at its gate, and quick uncapped ones
    app.broker.enqueue_many([ACTORS[CAPPED].message(i, CAPPED, WORK_MS) for i in range(CAPPED_JOBS)])
    app.broker.enqueue_many([ACTORS[UNCAPPED].message(i, UNCAPPED, 0, False) for i in range(UNCAPPED_JOBS)])
    with ConsumedSampler(app.url) as sampler:
        # When two worker processes with 8 threads in all take them
        for p in workers:
            p.start()
        # Then exactly 5 capped jobs start, spread over both processes: the cap is reached, not exceeded
        wait_until(lambda: len(runs(raw, CAPPED)) >= CAP, timeout=60, message=lambda: workers[0].log()[-3000:])
        # And the uncapped queue keeps running beside the full one, on the threads left (those of
        # its messages a process prefetched behind 4 held capped jobs wait for that process's threads)
        wait_until(
            lambda: any(r[3] is not None for r in runs(raw, UNCAPPED)),
            timeout=60,
            message="uncapped jobs done while the capped queue is full",
        )
        uncapped_while_full = sum(1 for r in runs(raw, UNCAPPED) if r[3] is not None)
        held = runs(raw, CAPPED)
        assert len(held) == CAP
        assert len({pid for _, pid, _, _ in held}) == 2
        # When the gate opens, the backlog drains through the 5 slots
        with raw.cursor() as cur:
            cur.execute("INSERT INTO limit_gate DEFAULT VALUES")
        wait_until(
            lambda: sum(1 for r in runs(raw, CAPPED) if r[3] is not None) == CAPPED_JOBS,
            timeout=120,
            message=lambda: f"{len(runs(raw, CAPPED))} capped jobs started",
        )
        app.broker.join(CAPPED, timeout=30)
        app.broker.join(UNCAPPED, timeout=30)
    done = runs(raw, CAPPED)
    after_gate = [(s, e) for _, _, s, e in done[CAP:]]
    figures = {
        "uncapped_done_while_full": uncapped_while_full,
        "samples": len(sampler.samples),
        "max_consumed": max(sampler.samples),
        "max_running": most_at_once([(s, e) for _, _, s, e in done]),
        "max_running_after_gate": most_at_once(after_gate),
    }
    print(f"\n[queue-cap] cap={CAP} " + " ".join(f"{k}={v}" for k, v in figures.items()))
    # Then every message ran once, the queue never held more than 5 rows claimed, nor ran more than 5
    assert sorted(n for n, _, _, _ in done) == list(range(CAPPED_JOBS))
    assert sorted(n for n, _, _, _ in runs(raw, UNCAPPED)) == list(range(UNCAPPED_JOBS))
    assert figures["max_consumed"] == CAP
    assert figures["max_running"] == CAP
    # And the slots were kept busy while draining, not handed out one at a time
    assert figures["max_running_after_gate"] >= 2
