"""The content app's queue limits (spec 002 T005, T006): cluster-wide caps and leases per queue.

Declared here, beside the actors that use the queues; the environment
overrides them field by field (``DRAMATURG_QUEUE_CONTENT_GENERATION_CONCURRENCY``,
``…_LEASE_SECONDS``). A long job on a live worker keeps its claim: the
heartbeat renews it with its queue's lease.
"""

from shared.broker import broker
from shared.queues import ANALYTICS_SYNC, CONTENT_GENERATION, CONTEXT_SCRAPING

broker.limit_queue(CONTENT_GENERATION, concurrency=10, lease_seconds=300)
broker.limit_queue(CONTEXT_SCRAPING, concurrency=30, lease_seconds=120)
broker.limit_queue(ANALYTICS_SYNC, concurrency=60, lease_seconds=180)
