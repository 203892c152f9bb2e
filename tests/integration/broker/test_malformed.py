"""Malformed rows are rejected at claim with a reason and a failed job_history row; worker threads
never die from message content, and one that dies anyway is replaced."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from psycopg2.extras import Json

from shared.middleware.thread_supervisor import worker_health
from shared.postgres_consumer import PostgresConsumer
from tests.integration.broker.conftest import QUEUE, consumer_of, effect_counts, noop, record, record_retried, states
from tests.support.waiting import wait_until


def _insert(raw, row_id: str, body, queue: str = QUEUE) -> None:
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO dramatiq.queue (message_id, queue_name, state, message, eta) "
            "VALUES (%s, %s, 'queued', %s, '-infinity')",
            (row_id, queue, Json(body)),
        )


def _rejections(raw, ids) -> dict[str, tuple]:
    """message id → (row state, row reason, history status, history attempt, history error)."""
    with raw.cursor() as cur:
        cur.execute(
            "SELECT q.message_id::text, q.state::text, q.reason, h.status, h.attempt, h.error "
            "FROM dramatiq.queue q LEFT JOIN dramaturg.job_history h USING (message_id) WHERE q.message_id = ANY(%s::uuid[])",
            (list(ids),),
        )
        return {r[0]: r[1:] for r in cur.fetchall()}


def _valid(n: int = 1) -> dict:
    return record.message(n).asdict()


CASES = {
    "body names another queue": (lambda b: b | {"queue_name": "elsewhere"}, "is not the row's queue"),
    "throws is a string": (lambda b: b | {"options": {"throws": "ValueError"}}, "options.throws"),
    "retries is text": (lambda b: b | {"options": {"retries": "2"}}, "options.retries"),
    "eta does not parse": (lambda b: b | {"options": {"eta": "tomorrow"}}, "options.eta"),
    "body id differs from the row id": (lambda b: b | {"message_id": str(uuid.uuid4())}, "is not the row's id"),
    "kwargs is a list": (lambda b: b | {"kwargs": [1, 2]}, "kwargs"),
    "timestamp is not a number": (lambda b: b | {"message_timestamp": "yesterday"}, "message_timestamp"),
    "timestamp past year 9999": (lambda b: b | {"message_timestamp": 10**16}, "message_timestamp"),
    "arguments do not fit the actor": (lambda b: b | {"args": [1, 2, 3]}, "arguments do not fit test.broker.record"),
    "unknown actor": (lambda b: b | {"actor_name": "nobody.home"}, "unknown actor 'nobody.home'"),
    "not an object": (lambda b: [b], "undecodable message"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_malformed_row_is_rejected_with_a_reason_and_a_failed_run_in_the_claim_cycle(case, app, raw):
    # Given a row whose body is malformed in one way, between two valid messages
    mutate, reason = CASES[case]
    broker = app.broker
    broker.enqueue_many([record.message(1)])
    row_id = str(uuid.uuid4())
    body = _valid() | {"message_id": row_id}
    _insert(raw, row_id, mutate(body))
    broker.enqueue_many([record.message(2)])
    # When a consumer claims them (one cycle)
    consumer = consumer_of(broker, prefetch=10)
    consumer._cycle(True, 10)
    # Then the two valid ones are runnable, and the bad one is already rejected with why,
    # with a failed job_history row (first attempt, no retry)
    assert [m.args for m in consumer.buffer] == [(1,), (2,)]
    ((state, row_reason, status, attempt, error),) = _rejections(raw, [row_id]).values()
    assert (state, status, attempt) == ("rejected", "failed", 1)
    assert reason in row_reason and error == row_reason
    consumer.close()


def test_a_database_type_error_from_the_arguments_fails_at_once_without_retries(app, worker, effects):
    # Given an actor with retries whose argument the database cannot take as an integer
    message = record_retried.send("not-a-number")
    # When the worker runs it
    wait_until(lambda: states(effects) == {"rejected": 1}, timeout=20, message=lambda: str(states(effects)))
    # Then it failed on its first attempt, and was not retried
    with effects.cursor() as cur:
        cur.execute(
            "SELECT status, attempt, error FROM dramaturg.job_history WHERE message_id = %s", (message.message_id,)
        )
        status, attempt, error = cur.fetchone()
    assert (status, attempt) == ("failed", 1) and "invalid input syntax" in error


# The thread's death is the point: pytest's report of it is expected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_thread_that_dies_is_replaced_and_reported(app, worker, raw):
    # Given a claimed message of a queue this worker has no consumer for: handed to a worker
    # thread, Dramatiq raises in the thread's own clean-up and the thread ends
    broker = app.broker
    (mid,) = broker.enqueue_many([noop.message(1).copy(queue_name="test-unconsumed")])
    consumer = PostgresConsumer(broker=broker, queue_name="test-unconsumed", prefetch=1, timeout=100)
    consumer._cycle(True, 1)
    poison = consumer.buffer.popleft()
    assert worker_health(broker).restarted == 0
    # When a worker thread takes it
    worker.work_queue.put((0, poison))
    # Then the supervisor replaces the thread and says so
    health = wait_until(lambda: (h := worker_health(broker)).restarted == 1 and h, timeout=10)
    assert health.threads == 4 and "while running " + mid in health.last_death
    wait_until(lambda: worker_health(broker).healthy, timeout=10)
    # And the message it held is rejected with that reason, not held (and renewed) forever
    wait_until(lambda: states(raw, "test-unconsumed") == {"rejected": 1}, timeout=10)
    with raw.cursor() as cur:
        cur.execute("SELECT reason FROM dramatiq.queue WHERE message_id = %s", (mid,))
        assert "a worker thread died while running it" in cur.fetchone()[0]
    # And the new thread runs work
    record_ok = noop.send(2)
    broker.join(QUEUE, timeout=10)
    assert _rejections(raw, [record_ok.message_id])[record_ok.message_id][0] == "done"
    consumer.close()


# --- a generated corpus of malformed envelopes mixed into valid traffic ------------------------

# What jsonb can hold: finite numbers, text without NUL. jsonb stores numbers as numeric and prints
# 2e16 as 20000000000000000 — an integer — so floats here are never whole.
json_text = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=8)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer())
    | json_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_text, inner, max_size=3),
    max_leaves=6,
)
not_int = json_values.filter(lambda v: type(v) is not int)
not_text = json_values.filter(lambda v: not isinstance(v, str))


def _field(name: str, values) -> st.SearchStrategy:
    return values.map(lambda v: lambda body: body | {name: v})


def _option(name: str, values) -> st.SearchStrategy:
    def put(v):
        return lambda body: body | {"options": (o if isinstance(o := body.get("options"), dict) else {}) | {name: v}}

    return values.map(put)


def _drop(name: str):
    return lambda body: {k: v for k, v in body.items() if k != name}


#: Each draw is a change that makes a valid envelope invalid, whatever the values drawn.
breakage = st.one_of(
    st.sampled_from(["queue_name", "actor_name", "args", "kwargs", "options", "message_id", "message_timestamp"]).map(
        _drop
    ),
    _field("queue_name", not_text | st.sampled_from(["", "1starts-with-digit", "has space", "other-queue"])),
    _field("actor_name", not_text | st.sampled_from(["", "nobody.home"])),
    _field("args", json_values.filter(lambda v: not isinstance(v, list)) | st.just([1, 2]) | st.just([])),
    _field("kwargs", json_values.filter(lambda v: not isinstance(v, dict)) | st.just({"zzz": 1})),
    _field("options", json_values.filter(lambda v: not isinstance(v, dict))),
    _field("message_id", not_text | st.uuids().map(str) | st.just("not-a-uuid")),
    _field("message_timestamp", not_int | st.integers(max_value=-1) | st.integers(min_value=10**15)),
    _option("retries", not_int | st.integers(max_value=-1)),
    _option("max_retries", not_int | st.integers(max_value=-1)),
    _option("time_limit", not_int | st.integers(max_value=0)),
    _option("throws", json_values.filter(lambda v: v is not None)),
    _option("eta", not_int),
    _option("trigger", json_values.filter(lambda v: v not in ("cron", "manual", "fanout", "api"))),
    _option("parent_run_id", json_values.filter(lambda v: v is not None and type(v) is not int)),
    _option("period", json_values.filter(lambda v: v is not None and not isinstance(v, str))),
)


# Each example runs real traffic through a real worker: no shrinking (minutes), the failing corpus is printed.
@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    # Each example runs a real worker over real rows: slow by design, and the corpus filters often.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(corpus=st.lists(st.lists(breakage, min_size=1, max_size=3), min_size=10, max_size=25))
def test_generated_malformed_envelopes_among_valid_traffic(app, worker, effects, corpus):
    # Given valid messages with malformed rows (each broken in 1–3 ways) mixed in
    broker = app.broker
    with effects.cursor() as cur:
        cur.execute("DELETE FROM dramatiq.queue; DELETE FROM dramaturg.job_history; DELETE FROM broker_effects")
    valid = [record.message(i) for i in range(40)]
    bad_ids = []
    for i, changes in enumerate(corpus):
        broker.enqueue_many(valid[i : i + 1])
        row_id = str(uuid.uuid4())
        body = _valid(1000 + i) | {"message_id": row_id}
        for change in changes:
            body = change(body)
        _insert(effects, row_id, body)
        bad_ids.append(row_id)
    broker.enqueue_many(valid[len(corpus) :])
    # When the worker takes the queue
    expected = {"done": len(valid), "rejected": len(bad_ids)}
    wait_until(lambda: states(effects) == expected, timeout=30, message=lambda: str(states(effects)))
    # Then every valid message ran once
    assert effect_counts(effects) == {i: 1 for i in range(len(valid))}
    # And every bad one is rejected with a reason and a failed run, never retried
    rejections = _rejections(effects, bad_ids)
    for row_id in bad_ids:
        state, reason, status, attempt, error = rejections[row_id]
        assert (state, status, attempt) == ("rejected", "failed", 1), json.dumps(rejections[row_id], default=str)
        assert reason and error == reason
    # And no worker thread died
    health = worker_health(broker)
    assert health.restarted == 0 and health.alive == health.threads
