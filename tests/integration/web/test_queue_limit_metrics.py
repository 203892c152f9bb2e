"""/metrics shows each capped queue's cap and running count (its claimed rows), and queues' own leases."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.broker.limit_actors import CAPPED, LEASED, UNCAPPED, consumer, enqueue, worker_broker


@pytest.fixture
def settings_overrides() -> dict:
    return {"DRAMATURG_QUEUE_TEST_CAPPED_CONCURRENCY": "3", "DRAMATURG_QUEUE_TEST_LEASED_LEASE_SECONDS": "7"}


def samples(text: str, name: str) -> dict[str, float]:
    """The metric's samples of this test's queues (an enabled app may limit queues of its own)."""
    return {
        s.labels["queue"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and s.labels["queue"] in (CAPPED, LEASED, UNCAPPED)
    }


def test_metrics_show_the_cap_and_the_running_count_of_each_capped_queue(app, client):
    # Given a worker holding 3 of the capped queue's 10 messages (its cap) and 4 uncapped ones
    enqueue(app, CAPPED, 10)
    enqueue(app, UNCAPPED, 4)
    other = worker_broker(app, lease_seconds=600)
    consumer(other, CAPPED)._cycle(True, 10)
    consumer(other, UNCAPPED)._cycle(True, 4)
    # When /metrics is scraped
    response = client("GET", "/metrics")
    assert response.status_code == 200
    # Then the capped queue shows its cap and 3 running; uncapped queues have no cap
    assert samples(response.text, "dramaturg_queue_concurrency_limit") == {CAPPED: 3}
    assert samples(response.text, "dramaturg_queue_running") == {CAPPED: 3}
    assert samples(response.text, "dramaturg_queue_lease_seconds") == {CAPPED: 5.0, LEASED: 7.0}
