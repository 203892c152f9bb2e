"""bench.soak.noop: the soak's steady job, a plain actor that does nothing.

When: sent by the soak's producer (:mod:`bench.soak`), never scheduled. It runs
through the real ``dramaturg worker`` with every middleware of the platform, so
each message costs its claim, its job_history row and its ack: what the soak
measures is the platform's own cost per job. Idempotency: none needed, it has
no effect. Loaded by workers through ``DRAMATURG_ACTOR_MODULES=bench.soak_job``.
"""

from __future__ import annotations

import dramatiq

from shared.broker import broker
from shared.queues import EXAMPLE


def _noop(n: int) -> None:
    """Nothing: the figure is the platform's cost per job."""


noop = dramatiq.actor(_noop, actor_name="bench.soak.noop", queue_name=EXAMPLE, broker=broker, max_retries=0)
