"""The outcome ledger against the real table: every reported outcome is written once, fenced, or
the row is released — also when the consumer that claimed it is gone or the write fails."""

from __future__ import annotations

import psycopg2
import pytest

from shared.claims import Claim
from tests.integration.broker.conftest import consumer_of, noop, other_broker, states


def _claim_all(consumer, n: int) -> list:
    consumer._cycle(True, n)
    claimed = list(consumer.buffer)
    consumer.buffer.clear()
    return claimed


def test_outcomes_reported_after_the_consumer_closed_are_written_by_the_heartbeat(app, raw):
    # Given a consumer that claimed three messages and was closed (Dramatiq restarts it)
    broker = other_broker(app)
    broker.enqueue_many([noop.message(i) for i in range(3)])
    consumer = consumer_of(broker)
    a, b, c = _claim_all(consumer, 3)
    consumer.close()
    # When worker threads finish them afterwards: two succeed, one fails for good
    consumer.ack(a)
    consumer.ack(b)
    c.fail()
    consumer.nack(c)
    # Then the heartbeat writes all three, in one pass
    broker.heartbeat_once()
    assert states(raw) == {"done": 2, "rejected": 1}
    assert not broker.outcomes.has_outcomes() and broker.outcomes.held() == []


def test_outcomes_whose_write_failed_are_written_once_by_the_next_writer(app, raw):
    # Given two acked claims, taken by a consumer whose connection then dies mid-write
    broker = other_broker(app)
    broker.enqueue_many([noop.message(i) for i in range(2)])
    consumer = consumer_of(broker)
    a, b = _claim_all(consumer, 2)
    consumer.ack(a)
    consumer.ack(b)
    with raw.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'dramaturg-consumer' AND datname = current_database()"
        )
    with pytest.raises(psycopg2.OperationalError):
        consumer._write_outcomes()  # the consumer thread backs off; Dramatiq restarts it
    # When the next cycle runs (on a new connection)
    consumer._write_outcomes()
    # Then both are done, and nothing is left to write or renew
    assert states(raw) == {"done": 2}
    assert not broker.outcomes.has_outcomes() and broker.outcomes.held() == []
    consumer.close()


def test_a_failed_attempt_whose_retry_could_not_be_saved_is_released_not_acked(app, raw):
    # Given a claimed message whose retry could not be written (the database was away)
    broker = other_broker(app)
    (mid,) = broker.enqueue_many([noop.message(1)])
    consumer = consumer_of(broker)
    (message,) = _claim_all(consumer, 1)
    broker.outcomes.retry_not_saved(message.claim)
    # When Dramatiq acks it
    consumer.ack(message)
    consumer._write_outcomes()
    # Then the row is back in the queue, to run again, not done
    assert states(raw) == {"queued": 1}
    assert message.claim == Claim(mid, 1)
    consumer.close()
