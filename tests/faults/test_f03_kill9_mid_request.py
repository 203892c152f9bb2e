"""F3: a slow Telegram and a worker killed -9 while its requests are in flight.

Each kill lands right after a new request reached the server and before it
was answered, so the event is committed as 'sending' when the worker dies.
The rescued message must then mark it 'unknown' instead of sending it again:
no event may reach the server twice, and every event ends delivered or unknown.
"""

from __future__ import annotations

import signal

import pytest

from shared.runtime import build_app
from shared.settings import load_settings
from tests.faults.conftest import figures
from tests.support.game_faults import (
    LatencySink,
    make_events,
    only_jobs_env,
    telegram_env,
    timeline_env,
    wait_settled,
)
from tests.support.processes import DramaturgProcess, Supervisor
from tests.support.waiting import wait_until

SIZES = [
    pytest.param(4, 40, (0.8, 1.2), id="quick-4-kills"),
    pytest.param(10, 120, (1.5, 2.5), id="full-10-kills", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("kills", "events", "latency"), SIZES)
def test_f3_kill9_mid_request_never_sends_an_event_twice_and_leaves_it_delivered_or_unknown(
    fault_db, fault_env, tmp_path, kills, events, latency
):
    build_app(
        load_settings({"DATABASE_URL": fault_db, "DRAMATURG_APPS": "all"})
    ).engine.dispose()  # declares the job table
    # Given due events and a Telegram that takes about a second or two to answer
    make_events(fault_db, events)
    with LatencySink(*latency) as sink:
        env = fault_env(
            DRAMATURG_LEASE_SECONDS="5", **timeline_env(rate=60), **telegram_env(sink), **only_jobs_env("deliver")
        )
        worker = DramaturgProcess(["worker"], env, tmp_path, "worker")
        scheduler = DramaturgProcess(["scheduler"], env, tmp_path, "scheduler")
        in_flight_at_kills = 0
        with Supervisor([worker, scheduler]) as supervisor:
            # When the worker is killed -9 right after a request reached the server, again and again
            for _ in range(kills):
                wait_until(worker.alive, timeout=30, message="supervisor restarted the worker")
                seen = len(sink.requests())
                wait_until(lambda: len(sink.requests()) > seen, timeout=60, message="a new request in flight")
                in_flight_at_kills += _unanswered(sink)
                worker.signal(signal.SIGKILL)
            # Then every event settles: delivered, or unknown where the answer was lost with the worker
            states = wait_settled(fault_db, events, timeout=120)
            restarts = supervisor.restarts
        per_event = sink.per_event()
    figures(
        "F3",
        kills=kills,
        events=events,
        requests=sum(per_event.values()),
        in_flight_at_kills=in_flight_at_kills,
        max_requests_per_event=max(per_event.values()),
        states=",".join(f"{k}:{v}" for k, v in sorted(states.items())),
        process_restarts=restarts,
    )
    # And no event reached the server twice
    assert max(per_event.values()) == 1
    assert set(states) <= {"delivered", "unknown"}
    # And the kills bit: requests were cut off mid-flight and those events are unknown, not re-sent
    assert states.get("unknown", 0) > 0
    assert sum(per_event.values()) == len(per_event) <= events


def _unanswered(sink: LatencySink) -> int:
    """Requests received in the last ``sink.low`` seconds: certainly not answered yet."""
    import time

    horizon = time.time() - sink.low
    return sum(1 for r in sink.requests() if r.time > horizon)
