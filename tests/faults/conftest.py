"""Fault scenarios: real worker and scheduler processes on a PostgreSQL the scenario may break.

Each scenario gets a database on a disposable embedded server (so restarting
or stopping it disturbs nothing else), real ``dramaturg`` processes under a
supervisor, and prints its figures. Long variants are marked ``slow``:
``python3 -m shared.bootstrap test tests/faults -m slow -s``.
"""

from __future__ import annotations

import uuid

import psycopg2
import pytest

from shared.clock_guard import mark_simulated
from shared.migrate import upgrade
from tests.support.pg_server import DisposablePostgres
from tests.support.processes import dramaturg_env
from tests.support.registry import ALL_APPS


@pytest.fixture(scope="session")
def disposable_pg(tmp_path_factory):
    pg = DisposablePostgres(tmp_path_factory.mktemp("faults") / "pgdata")
    yield pg
    pg.close()


@pytest.fixture
def fault_db(disposable_pg) -> str:
    url = disposable_pg.create_database(f"fault_{uuid.uuid4().hex[:8]}")
    upgrade(url, ALL_APPS)
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE fault_ledger (n int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())")
    # The scenarios run every process on DRAMATURG_NOW timelines; a scenario studying
    # the clock guard marks its own timeline (or clears the mark).
    mark_simulated(conn, note="fault scenario")
    conn.close()
    return url


@pytest.fixture
def fault_raw(fault_db):
    conn = psycopg2.connect(fault_db)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def fault_env(fault_db):
    def make(**extra: str) -> dict[str, str]:
        return dramaturg_env(fault_db, DRAMATURG_ACTOR_MODULES="tests.faults.actors", **extra)

    return make


def figures(scenario: str, **values) -> None:
    """Print a scenario's figures in one greppable line."""
    print(f"\n[{scenario}] " + " ".join(f"{k}={v}" for k, v in values.items()))
