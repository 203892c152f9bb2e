"""The one place that builds the broker, orders its middleware and calls ``set_broker``.

The broker is built here at import with no I/O, so actor modules can
declare actors against it (import ``shared.broker`` before any actor, as
Dramatiq's own examples do). ``shared.runtime.build_app`` then binds it to
the App: a database, a clock and the settings, and — through
``app_context`` — the App itself for every message it runs.

Middleware order matters: Dramatiq runs before-hooks in list order and
after-hooks in reverse. JobHistory and the failure hooks sit before
Retries so their after-hooks see whether Retries re-queued or failed the
message.
"""

from __future__ import annotations

import dramatiq
from dramatiq.middleware import (
    Callbacks,
    CurrentMessage,
    Pipelines,
    ShutdownNotifications,
    TimeLimit,
)

from shared.middleware.alerts import FailureAlerts
from shared.middleware.app_context import AppContext
from shared.middleware.exhaustion import MarkFailedOnExhaustion
from shared.middleware.job_history import JobHistory
from shared.middleware.job_options import JobOptions
from shared.middleware.retries import ExactBackoffRetries
from shared.middleware.run_metrics import RunMetrics
from shared.middleware.stats import WorkerStats
from shared.middleware.thread_supervisor import WorkerThreadSupervisor
from shared.postgres_broker import PostgresBroker


def build_broker(app_context: AppContext) -> PostgresBroker:
    middleware = [
        WorkerStats(),
        WorkerThreadSupervisor(),
        RunMetrics(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        CurrentMessage(),
        app_context,
        JobOptions(),
        JobHistory(),
        FailureAlerts(),
        MarkFailedOnExhaustion(),
        ExactBackoffRetries(),
    ]
    return PostgresBroker(middleware=middleware)


app_context = AppContext()
broker = build_broker(app_context)
dramatiq.set_broker(broker)
