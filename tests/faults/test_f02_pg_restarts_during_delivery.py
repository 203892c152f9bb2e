"""F2: Telegram sends with 50–500 ms latency while PostgreSQL is restarted (fast mode) three times.

A worker and the scheduler run under a supervisor on a timeline 60× real
speed (a minute of backoff is a real second); ``deliver`` is the only enabled
job. The database is restarted when a quarter, a half and three quarters of the
events have reached the server. Every event must end in an explicit state, the
server must see at most one request per event, and everything settles within
2 minutes of the last restart.
"""

from __future__ import annotations

import time

import pytest

from tests.faults.conftest import figures
from tests.support.game_faults import (
    LatencySink,
    make_events,
    only_jobs_env,
    query,
    telegram_env,
    timeline_env,
    wait_settled,
)
from tests.support.processes import DramaturgProcess, Supervisor
from tests.support.waiting import wait_until

SIZES = [
    pytest.param(200, id="quick-200-sends"),
    pytest.param(1000, id="full-1000-sends", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("events", SIZES)
def test_f2_every_send_ends_explicit_and_at_most_once_across_three_postgres_restarts(
    disposable_pg, fault_db, fault_env, tmp_path, events
):
    from shared.runtime import build_app
    from shared.settings import load_settings

    build_app(
        load_settings({"DATABASE_URL": fault_db, "DRAMATURG_APPS": "all"}), load_actors=True
    ).engine.dispose()  # declares the job table
    # Given due Telegram events and a Telegram that answers in 50–500 ms
    make_events(fault_db, events)
    with LatencySink(0.05, 0.5) as sink:
        env = fault_env(
            DRAMATURG_LEASE_SECONDS="5",
            DRAMATURG_DB_CONNECT_TIMEOUT="2",
            **timeline_env(rate=60),
            **telegram_env(sink),
            **only_jobs_env("deliver"),
        )
        worker = DramaturgProcess(["worker"], env, tmp_path, "worker")
        scheduler = DramaturgProcess(["scheduler"], env, tmp_path, "scheduler")
        with Supervisor([worker, scheduler]) as supervisor:
            # When PostgreSQL is restarted three times while the sends are under way
            for share in (0.25, 0.5, 0.75):
                wait_until(
                    lambda: len(sink.requests()) >= share * events,
                    timeout=120,
                    message=f"{share:.0%} of the events sent",
                )
                disposable_pg.restart("fast")
            last_restart = time.monotonic()
            # Then within 2 minutes every event is in a final state and no game message is open
            states = wait_settled(fault_db, events, timeout=120)
            settled_after = time.monotonic() - last_restart
            restarts = supervisor.restarts
        per_event = sink.per_event()
    log = worker.log()
    figures(
        "F2",
        events=events,
        pg_restarts=3,
        process_restarts=restarts,
        requests=sum(per_event.values()),
        consumer_connection_errors=log.count("Consumer encountered a connection error"),
        writes_held_through_outage=log.count("database unavailable"),
        max_requests_per_event=max(per_event.values()),
        states=_fmt(states),
        settled_after_last_restart_s=round(settled_after, 1),
    )
    # And the restarts really hit the running worker
    assert "Consumer encountered a connection error" in log
    # And the server saw at most one request per event
    assert max(per_event.values()) == 1
    # And every run's history row was settled despite the outages
    assert query(fault_db, "SELECT count(*) FROM dramaturg.job_history WHERE status IN ('queued', 'running')") == [(0,)]
    # And an event ends delivered only if its request reached the server
    assert states.get("delivered", 0) <= len(per_event)
    assert set(states) <= {"delivered", "unknown", "failed"}


def _fmt(states: dict) -> str:
    return ",".join(f"{k}:{v}" for k, v in sorted(states.items()))
