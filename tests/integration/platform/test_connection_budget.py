"""The start-up budget check against a server with few connection slots."""

from __future__ import annotations

import psycopg2
import pytest

from shared.budget import check_fits, kept_connections
from shared.db import make_engine
from shared.errors import ConfigError
from shared.settings import load_settings
from tests.support.pg_server import DisposablePostgres


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    """A disposable server restarted with max_connections = 20 (3 reserved for superusers)."""
    pg = DisposablePostgres(tmp_path_factory.mktemp("budget") / "pgdata")
    conn = psycopg2.connect(pg.url())
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ALTER SYSTEM SET max_connections = 20")
    conn.close()
    pg.restart()
    yield pg
    pg.close()


def test_a_worker_that_does_not_fit_the_server_is_refused_with_the_figures(small_server):
    # Given the default worker settings (8 threads) consuming 7 queues: 12 + 1 + 7 kept connections
    settings = load_settings({})
    needed = kept_connections(settings, consumed_queues=7)
    assert needed == 20
    engine = make_engine(small_server.url(), pool_size=1)
    try:
        # When it checks the server before taking work
        with pytest.raises(ConfigError) as err:
            check_fits(engine, needed, "a worker")
        # Then the error gives the figures and what to change
        text = str(err.value)
        assert "needs up to 20" in text and "max_connections=20" in text and "DRAMATURG_DB_POOL_SIZE" in text
    finally:
        engine.dispose()


def test_a_worker_with_a_capped_pool_fits(small_server):
    # Given DRAMATURG_DB_POOL_SIZE=4: 4 + 1 + 7 = 12 connections
    settings = load_settings({"DRAMATURG_DB_POOL_SIZE": "4"})
    engine = make_engine(small_server.url(), pool_size=1)
    try:
        check_fits(engine, kept_connections(settings, consumed_queues=7), "a worker")  # no error
    finally:
        engine.dispose()
