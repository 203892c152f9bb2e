"""F15: pooled connections the server dropped while they were hot (used within the last second).

The pool pings a connection at checkout only when it sat idle; one used a moment
before an immediate shutdown is handed out unpinged. Its next statement must fail
with an outage error (psycopg2 reports it as a bare ``DatabaseError``, the class of
every SQL error), whichever way the caller talks to it — a raw cursor as /health
and most of shared/ do, SQLAlchemy, a send — and once the server is back the
connections beside it must be replaced, not fail one by one.
"""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from dramatiq.message import Message

from shared.clock import SystemClock
from shared.db import make_engine, outage_errors, pg_connection
from shared.postgres_broker import PostgresBroker
from shared.settings import load_settings
from tests.faults.conftest import figures

POOL = 3
#: Long enough that the pooled connections count as hot across a whole restart (it takes
#: seconds on a loaded machine), so none is pinged at checkout.
HOT = 600.0


def _warm(engine: sa.Engine) -> None:
    """Check out every pooled connection at once and use it, so all are in the pool and hot."""
    conns = [engine.connect() for _ in range(POOL)]
    for conn in conns:
        conn.execute(sa.text("select 1"))
    for conn in conns:
        conn.close()


def _raw_select(engine: sa.Engine) -> int:
    with engine.connect() as conn, pg_connection(conn).cursor() as cur:
        cur.execute("select 1")
        return int(cur.fetchone()[0])


def _backend_pids(engine: sa.Engine) -> set[int]:
    """The server pids behind the pool's connections, each checked out in turn."""
    pids = set()
    conns = [engine.connect() for _ in range(POOL)]
    for conn in conns:
        pids.add(int(conn.execute(sa.text("select pg_backend_pid()")).scalar_one()))
    for conn in conns:
        conn.close()
    return pids


@pytest.fixture
def engine(fault_db):
    engine = make_engine(fault_db, pool_size=POOL, max_overflow=0, ping_after_idle=HOT)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("mode", ["immediate", "fast"])
def test_f15_a_hot_connection_dropped_by_a_restart_fails_as_an_outage_and_the_pool_recovers(
    disposable_pg, engine, mode
):
    # Given a pool whose every connection was used a moment ago
    _warm(engine)
    before = _backend_pids(engine)
    # When the server restarts under it
    disposable_pg.restart(mode)
    # Then the next statement on a raw cursor fails with an outage error, not a bare DatabaseError
    with pytest.raises(outage_errors()) as caught:
        _raw_select(engine)
    # And every use after it works, on fresh connections, without another error
    assert [_raw_select(engine) for _ in range(2 * POOL)] == [1] * 2 * POOL
    after = _backend_pids(engine)
    assert after and not after & before
    figures("F15", mode=mode, error=type(caught.value).__name__, replaced=len(after))


def test_f15_a_hot_connection_dropped_fails_as_an_outage_through_sqlalchemy_too(disposable_pg, engine):
    # Given hot connections
    _warm(engine)
    # When the server stops immediately and comes back
    disposable_pg.restart("immediate")
    # Then a statement through SQLAlchemy fails with an outage error, and the next one works
    with pytest.raises(outage_errors()), engine.connect() as conn:
        conn.execute(sa.text("select 1"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("select 1")).scalar_one() == 1


def test_f15_a_send_on_a_hot_dropped_connection_is_tried_once_more_and_lands(disposable_pg, fault_db):
    # Given a broker whose pooled connections were all used a moment ago
    broker = PostgresBroker()
    engine = make_engine(fault_db, pool_size=POOL, max_overflow=0, ping_after_idle=HOT)
    broker.bind(engine=engine, clock=SystemClock(), settings=load_settings({"DATABASE_URL": fault_db}))
    try:
        _warm(engine)
        # When the server stops immediately and comes back, and a message is sent
        disposable_pg.restart("immediate")
        message = Message(queue_name="default", actor_name="noop", args=(), kwargs={}, options={})
        message = message.copy(message_id=str(uuid.uuid4()))
        new = broker.enqueue_many([message])
        # Then the send lands, once
        assert new == [message.message_id]
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("select count(*) from dramatiq.queue where message_id = :id"), {"id": message.message_id}
            )
            assert rows.scalar_one() == 1
    finally:
        broker.close()
        engine.dispose()


def test_f15_an_idle_pool_survives_a_restart_without_an_error(disposable_pg, fault_db):
    # Given connections idle for longer than the ping threshold
    engine = make_engine(fault_db, pool_size=POOL, max_overflow=0, ping_after_idle=0.0)
    try:
        _warm(engine)
        before = _backend_pids(engine)
        # When the server restarts while they sit idle
        disposable_pg.restart("immediate")
        # Then every checkout pings, finds its connection dead and reconnects: no caller sees an error
        errors: list[BaseException] = []

        def use() -> None:
            try:
                _raw_select(engine)
            except BaseException as exc:  # collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=use) for _ in range(POOL)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert not _backend_pids(engine) & before
    finally:
        engine.dispose()
