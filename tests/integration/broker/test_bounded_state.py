"""Per-message state in a worker process is dropped once the message is done.

The soak's worker grew with every fan-out (bench/NOTES.md, "Worker RSS in the
soak"); what a worker keeps per message — the ledger's claims and reported
outcomes, the middleware's per-message tokens and start times — was ruled out
as the cause. This keeps it so: after many fan-out children and plain messages
through the real worker, none of it is left.
"""

from __future__ import annotations

from shared.middleware.app_context import AppContext
from shared.middleware.job_history import JobHistory
from shared.middleware.run_metrics import RunMetrics
from shared.middleware.thread_supervisor import WorkerThreadSupervisor
from tests.integration.broker.conftest import noop, states
from tests.support.waiting import wait_until

N = 400


def _per_message_state(broker) -> dict[str, int]:
    sizes = {"held": len(broker.outcomes.held()), "unsaved": len(broker.outcomes._unsaved)}
    for middleware in broker.middleware:
        if isinstance(middleware, (AppContext, JobHistory)):
            sizes[type(middleware).__name__] = len(middleware._tokens)
        elif isinstance(middleware, RunMetrics):
            sizes["RunMetrics"] = len(middleware._started)
    return sizes


def test_nothing_per_message_is_kept_after_the_messages_are_done(app, worker, raw):
    children = [noop.message_with_options(args=(n,), trigger="fanout") for n in range(N)]
    app.broker.enqueue_many(children)  # COPY path, running rows written at claim
    app.broker.enqueue_many([noop.message(n) for n in range(N)])

    wait_until(lambda: states(raw) == {"done": 2 * N}, timeout=60, message=lambda: f"queue: {states(raw)}")
    # Outcomes are written with the consumer's next cycle: wait until every one is.
    wait_until(lambda: not app.broker.outcomes.has_outcomes() and not app.broker.outcomes.held(), timeout=30)

    assert _per_message_state(app.broker) == {
        "held": 0,
        "unsaved": 0,
        "AppContext": 0,
        "JobHistory": 0,
        "RunMetrics": 0,
    }
    supervisor = next(m for m in app.broker.middleware if isinstance(m, WorkerThreadSupervisor))
    assert len(supervisor._running) <= worker.worker_threads  # one entry per thread, at most
