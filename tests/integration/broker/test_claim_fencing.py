"""Outcomes are fenced on the claim, not only on the process: a stale outcome of an earlier claim
of the same message, by the same worker, changes nothing.

The interleavings are driven by hand through the consumer's API, in the order
Dramatiq's threads call it: ``next(consumer)`` (the consumer thread claims),
``broker.enqueue(message, delay=0)`` (the Retries middleware saves a retry),
``consumer.ack(message)`` (the worker thread reports), ``_write_outcomes()``
(the consumer thread's next cycle).
"""

from __future__ import annotations

from collections import Counter

from dramatiq.broker import MessageProxy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.broker.conftest import consumer_of, noop
from tests.support.waiting import wait_until


def _row(raw, message_id: str) -> tuple:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT state::text, claims, (message->'options'->>'retries')::int FROM dramatiq.queue "
            "WHERE message_id = %s",
            (message_id,),
        )
        return cur.fetchone()


def _claim(consumer):
    return wait_until(lambda: next(consumer), timeout=10, message="a due message claimed")


def _fail_and_retry(broker, message) -> None:
    """What the Retries middleware does with a failed attempt: bump retries and save it, due at once."""
    message.options["retries"] = message.options.get("retries", 0) + 1
    broker.enqueue(message, delay=0)


def test_a_stale_ack_of_an_earlier_claim_does_not_settle_the_retry_running_now(app, raw):
    broker = app.broker
    consumer = consumer_of(broker, prefetch=4)
    (mid,) = broker.enqueue_many([noop.message(1)])
    # Given attempt 1 failed and its retry was saved, due at once
    first = _claim(consumer)
    _fail_and_retry(broker, first)
    # And this same process claimed the message again before attempt 1's ack was written
    second = _claim(consumer)
    assert second.message_id == first.message_id == mid
    assert _row(raw, mid) == ("consumed", 2, 1)
    # When attempt 1's ack is written while attempt 2 runs
    consumer.ack(first)
    consumer._write_outcomes()
    # Then it changes nothing: the row is still attempt 2's
    assert _row(raw, mid) == ("consumed", 2, 1)
    # And when attempt 2 fails too, its retry is saved, not dropped
    _fail_and_retry(broker, second)
    consumer.ack(second)
    consumer._write_outcomes()
    assert _row(raw, mid) == ("queued", 2, 2)
    # And attempt 3 runs and settles the message
    third = _claim(consumer)
    assert third.options["retries"] == 2
    consumer.ack(third)
    consumer._write_outcomes()
    assert _row(raw, mid) == ("done", 3, 2)
    consumer.close()


def test_a_stale_reject_or_release_of_an_earlier_claim_changes_nothing(app, raw):
    broker = app.broker
    consumer = consumer_of(broker, prefetch=4)
    (mid,) = broker.enqueue_many([noop.message(1)])
    # Given attempt 1 was retried and the message claimed again by this process
    first = _claim(consumer)
    _fail_and_retry(broker, first)
    second = _claim(consumer)
    # When outcomes of attempt 1 that would end the row arrive late (a reject, a give-back)
    first.fail()
    consumer.nack(first)
    consumer.requeue([first])
    consumer._write_outcomes()
    # Then attempt 2 still holds the row, and its lease is still renewed
    assert _row(raw, mid) == ("consumed", 2, 1)
    with raw.cursor() as cur:
        cur.execute("UPDATE dramatiq.queue SET lease_expires_at = clock_timestamp() WHERE message_id = %s", (mid,))
    broker.heartbeat_once()
    with raw.cursor() as cur:
        cur.execute("SELECT lease_expires_at > clock_timestamp() + interval '1 second' FROM dramatiq.queue")
        assert cur.fetchone() == (True,)
    # And attempt 2's own ack settles it
    consumer.ack(second)
    consumer._write_outcomes()
    assert _row(raw, mid) == ("done", 2, 1)
    consumer.close()


# --- property: any interleaving of claim / run / report / write / heartbeat -------------------

STEPS = ("claim", "run", "report", "write", "heartbeat", "give back")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["succeed", "fail"])), min_size=1, max_size=3),
    data=st.data(),
)
def test_no_interleaving_of_fail_retry_claim_loses_a_retry_or_doubles_an_outcome(app, raw, plans, data):
    # Given messages that each fail (and are retried at once) a planned number of times, then
    # succeed or fail for good, on one consumer of one process
    broker = app.broker
    with raw.cursor() as cur:
        cur.execute("DELETE FROM dramatiq.queue")
    messages = [noop.message(i) for i in range(len(plans))]
    plan = {m.message_id: p for m, p in zip(messages, plans)}
    broker.enqueue_many(messages)
    consumer = consumer_of(broker, prefetch=4)
    running: list = []  # claimed and handed to a worker thread, not run yet
    finished: list = []  # run, outcome not reported yet
    runs: Counter = Counter()  # (message id, attempt) → times run

    def claim() -> None:
        if not consumer.buffer:
            consumer._cycle(refill=True, limit=1)
        if consumer.buffer:
            message = consumer.buffer.popleft()
            running.append(message if isinstance(message, MessageProxy) else MessageProxy(message))

    def run(message) -> None:
        retries_planned, last = plan[message.message_id]
        attempt = message.options.get("retries", 0) + 1
        runs[message.message_id, attempt] += 1
        if attempt <= retries_planned:
            _fail_and_retry(broker, message)  # Dramatiq then acks it
        elif last == "fail":
            message.fail()  # no retries left: Dramatiq nacks it
        finished.append(message)

    def report(message) -> None:
        (consumer.nack if message.failed else consumer.ack)(message)

    # When worker threads, the consumer thread and the heartbeat interleave in any order
    try:
        for step in data.draw(st.lists(st.sampled_from(STEPS), max_size=40), label="steps"):
            if step == "claim":
                claim()
            elif step in ("run", "give back") and running:
                message = running.pop(data.draw(st.integers(0, len(running) - 1)))
                run(message) if step == "run" else consumer.requeue([message])
            elif step == "report" and finished:
                report(finished.pop(data.draw(st.integers(0, len(finished) - 1))))
            elif step == "write":
                consumer._write_outcomes()
            elif step == "heartbeat":
                broker.heartbeat_once()
        # … and then everything left is run, reported and written until the queue settles
        for _ in range(100):
            for message in finished:
                report(message)
            finished.clear()
            for message in running:
                run(message)
            running.clear()
            consumer._write_outcomes()
            if _unsettled(raw) == 0 and not (running or finished):
                break
            claim()
        # Then every planned attempt ran exactly once: no retry was lost, no attempt ran twice
        expected = {(mid, a): 1 for mid, (retries, _) in plan.items() for a in range(1, retries + 2)}
        assert dict(runs) == expected
        # And each row ended once, as its last attempt said
        with raw.cursor() as cur:
            cur.execute("SELECT message_id::text, state::text FROM dramatiq.queue")
            final = dict(cur.fetchall())
        assert final == {mid: "done" if last == "succeed" else "rejected" for mid, (_, last) in plan.items()}
    finally:
        consumer.close()


def _unsettled(raw) -> int:
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM dramatiq.queue WHERE state IN ('queued', 'consumed')")
        return cur.fetchone()[0]
