"""The one place that builds the broker, orders its middleware and calls ``set_broker``.

The broker is built here at import with no I/O, so actor modules can
declare actors against it (import ``shared.broker`` before any actor, as
Dramatiq's own examples do). Entry points then bind it to a database, a
clock and the settings with ``shared.runtime.start``.

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
from shared.middleware.exhaustion import MarkFailedOnExhaustion
from shared.middleware.job_history import JobHistory
from shared.middleware.job_options import JobOptions
from shared.middleware.retries import ExactBackoffRetries
from shared.middleware.stats import WorkerStats
from shared.postgres_broker import PostgresBroker


def build_broker() -> PostgresBroker:
    middleware = [
        WorkerStats(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        CurrentMessage(),
        JobOptions(),
        JobHistory(),
        FailureAlerts(),
        MarkFailedOnExhaustion(),
        ExactBackoffRetries(),
    ]
    return PostgresBroker(middleware=middleware)


broker = build_broker()
dramatiq.set_broker(broker)
