"""Per-queue limits on the real broker: a claim never takes more than the queue's free slots,
whatever the number of claimers, and each claim gets (and keeps) its queue's lease.

``test-capped`` declares a cap of 2 in code (limit_actors.py); the environment
here sets 3, which wins. ``test-leased`` has a 3 s lease beside the global 5 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from shared.postgres_consumer import PostgresConsumer
from tests.integration.broker.limit_actors import (
    ACTORS,
    CAPPED,
    LEASED,
    TABLES,
    UNCAPPED,
    consumer,
    enqueue,
    worker_broker,
)
from tests.integration.broker.limit_actors import broker as global_broker
from tests.support.processes import dramaturg_env
from tests.support.waiting import wait_until

CAP = 3
LEASE = 3.0


@pytest.fixture
def settings_overrides() -> dict:
    return {
        "DRAMATURG_QUEUE_TEST_CAPPED_CONCURRENCY": str(CAP),
        "DRAMATURG_QUEUE_TEST_LEASED_LEASE_SECONDS": str(LEASE),
    }


@pytest.fixture
def limit_tables(raw):
    with raw.cursor() as cur:
        cur.execute(TABLES)
    return raw


def consumed(raw, queue: str) -> int:
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM dramatiq.queue WHERE queue_name = %s AND state = 'consumed'", (queue,))
        return cur.fetchone()[0]


def test_the_environment_cap_overrides_the_one_declared_in_code(app):
    assert global_broker.declared_limits[CAPPED].concurrency == 2
    assert app.broker.queue_limit(CAPPED).concurrency == CAP
    assert app.broker.capped_queues()[CAPPED] == CAP


def test_a_claim_takes_no_more_than_the_free_slots_of_the_queue_across_workers(app, raw):
    # Given a backlog of 10 on a queue capped at 3
    enqueue(app, CAPPED, 10)
    a, b = (
        consumer(worker_broker(app, lease_seconds=600), CAPPED),
        consumer(worker_broker(app, lease_seconds=600), CAPPED),
    )
    # When worker A asks for 10, it gets the 3 slots; worker B then gets none
    a._cycle(True, 10)
    b._cycle(True, 10)
    assert (len(a.held), len(b.held)) == (CAP, 0)
    assert consumed(raw, CAPPED) == CAP
    # And once A's ack of one is written, B takes that one slot
    a.ack(a.buffer.popleft())
    a._write_outcomes()
    b._cycle(True, 10)
    assert (len(a.held), len(b.held)) == (CAP - 1, 1)
    assert consumed(raw, CAPPED) == CAP


def test_a_capped_consumer_holds_no_more_rows_than_its_process_has_threads(app):
    # The app's workers have 4 threads; a cap of 3 is below that, so the window is the cap.
    capped = consumer(worker_broker(app), CAPPED, prefetch=8).window
    assert (capped.least, capped.most) == (CAP, CAP)
    # An uncapped queue starts at Dramatiq's prefetch and may widen for fast jobs.
    assert consumer(worker_broker(app), UNCAPPED, prefetch=8).window.size == 8


def test_concurrent_claimers_never_take_more_than_the_cap_together(app, raw):
    # Given 8 workers racing for a backlog of 200 on a queue capped at 3, round after round
    enqueue(app, CAPPED, 200)
    consumers = [consumer(worker_broker(app, lease_seconds=600), CAPPED) for _ in range(8)]
    for _ in range(5):
        start = threading.Barrier(len(consumers))
        errors: list[BaseException] = []

        def claim(c: PostgresConsumer, start: threading.Barrier = start, errors: list = errors) -> None:
            try:
                start.wait()
                c._cycle(True, CAP)
            except BaseException as exc:  # reported to the test below
                errors.append(exc)

        threads = [threading.Thread(target=claim, args=(c,)) for c in consumers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors
        # Then together they hold exactly the cap: never more, and the cap is used
        assert sum(len(c.held) for c in consumers) == CAP
        assert consumed(raw, CAPPED) == CAP
        # And when every slot is acked, the next round starts from 0 running
        for c in consumers:
            while c.buffer:
                c.ack(c.buffer.popleft())
            c._write_outcomes()
        assert consumed(raw, CAPPED) == 0


def test_an_uncapped_queue_claims_its_whole_window_while_a_capped_one_is_full(app, raw):
    enqueue(app, CAPPED, 10)
    enqueue(app, UNCAPPED, 40)
    worker = worker_broker(app, lease_seconds=600)
    capped, uncapped = consumer(worker, CAPPED), consumer(worker, UNCAPPED)
    capped._cycle(True, 10)
    uncapped._cycle(True, 40)
    assert (len(capped.held), len(uncapped.held)) == (CAP, 40)


def lease_left(raw, message_id: str) -> tuple[float, float]:
    """(seconds the lease was set for at the last claim-or-renewal bound, seconds left now)."""
    with raw.cursor() as cur:
        cur.execute(
            "SELECT extract(epoch FROM lease_expires_at - mtime), extract(epoch FROM lease_expires_at - clock_timestamp())"
            " FROM dramatiq.queue WHERE message_id = %s",
            (message_id,),
        )
        granted, left = cur.fetchone()
    return float(granted), float(left)


def test_a_claim_gets_its_queues_lease_and_the_heartbeat_renews_it_for_that_lease(app, raw):
    # Given one worker holding a message of the 3 s-lease queue and one of a queue on the global 5 s
    (leased,) = enqueue(app, LEASED, 1)
    (plain,) = enqueue(app, UNCAPPED, 1)
    worker = worker_broker(app)
    consumer(worker, LEASED)._cycle(True, 1)
    consumer(worker, UNCAPPED)._cycle(True, 1)
    # Then each claim's lease is its queue's (mtime and the lease are stamped by the same statement)
    assert lease_left(raw, leased)[0] == pytest.approx(LEASE, abs=0.05)
    assert lease_left(raw, plain)[0] == pytest.approx(app.settings.lease_seconds, abs=0.05)
    # When its heartbeat renews them, each is renewed for its own queue's lease again
    worker.heartbeat_once()
    _, leased_left = lease_left(raw, leased)
    _, plain_left = lease_left(raw, plain)
    assert LEASE - 1.0 < leased_left <= LEASE
    assert app.settings.lease_seconds - 1.0 < plain_left <= app.settings.lease_seconds


def run_rows(raw, queue: str) -> list[tuple]:
    with raw.cursor() as cur:
        cur.execute("SELECT n, ended_at IS NOT NULL FROM limit_runs WHERE queue = %s ORDER BY id", (queue,))
        return cur.fetchall()


def row_of(raw, message_id: str) -> tuple:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT state::text, claims, extract(epoch FROM clock_timestamp() - mtime) FROM dramatiq.queue"
            " WHERE message_id = %s",
            (message_id,),
        )
        return cur.fetchone()


def test_a_long_job_on_a_live_worker_outlives_its_queues_lease_while_a_dead_workers_claim_comes_back(
    app, limit_tables, request
):
    raw = limit_tables
    # Given a worker that claimed a message of the 3 s-lease queue and died (it never renews)
    (dead_claim,) = enqueue(app, LEASED, 1)
    dead = consumer(worker_broker(app), LEASED)
    dead._cycle(True, 1)
    assert lease_left(raw, dead_claim)[0] == pytest.approx(LEASE, abs=0.05)
    # And a live worker, running a job of that queue that waits for its gate
    request.getfixturevalue("worker")
    (long_job,) = app.broker.enqueue_many([ACTORS[LEASED].message(1, LEASED)])
    # Then the dead worker's message comes back after its lease and runs, on its second claim
    wait_until(lambda: len(run_rows(raw, LEASED)) == 2, timeout=30, message=lambda: str(run_rows(raw, LEASED)))
    assert row_of(raw, dead_claim)[:2] == ("consumed", 2)
    # And the long job, held for twice its queue's lease, is still on its first claim: never rescued
    wait_until(lambda: row_of(raw, long_job)[2] > 2 * LEASE, timeout=30, message="the job held past 2 leases")
    assert row_of(raw, long_job)[:2] == ("consumed", 1)
    # When the gate opens, both finish, each having run once
    with raw.cursor() as cur:
        cur.execute("INSERT INTO limit_gate DEFAULT VALUES")
    app.broker.join(LEASED, timeout=30)
    assert sorted(run_rows(raw, LEASED)) == [(0, True), (1, True)]
    assert (row_of(raw, dead_claim)[:2], row_of(raw, long_job)[:2]) == (("done", 2), ("done", 1))


def test_status_shows_each_limited_queues_cap_running_count_and_lease(app, raw):
    # Given 2 of the capped queue's rows claimed by a worker
    enqueue(app, CAPPED, 5)
    consumer(worker_broker(app, lease_seconds=600), CAPPED)._cycle(True, 2)
    env = dramaturg_env(
        app.url,
        DRAMATURG_ACTOR_MODULES="tests.integration.broker.limit_actors",
        DRAMATURG_QUEUE_TEST_CAPPED_CONCURRENCY=str(CAP),
        DRAMATURG_QUEUE_TEST_LEASED_LEASE_SECONDS=str(LEASE),
    )

    def status(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "dramaturg", "status", *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    # Then `status --json` lists the capped queue with its cap and running count, and the leased one's lease
    limits = {row["queue"]: row for row in json.loads(status("--json"))["queue_limits"]}
    assert limits[CAPPED] == {"queue": CAPPED, "concurrency": CAP, "running": 2, "lease_seconds": 30.0}  # global
    assert limits[LEASED] == {"queue": LEASED, "concurrency": None, "running": 0, "lease_seconds": LEASE}
    assert UNCAPPED not in limits
    # And the plain output (stdout is a pipe here: tab-separated sections) shows them too
    text = status()
    assert "# queue limits" in text
    rows = [line.split("\t") for line in text.splitlines() if "\t" in line]
    assert [CAPPED, "2", str(CAP), "30"] in rows
    assert [LEASED, "0", "—", "3"] in rows
