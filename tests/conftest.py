"""Test fixtures: a real PostgreSQL (the given one, or an embedded one) and a real Dramatiq worker.

The schema — the platform and every app — is migrated once into a template
database; each test gets its own clone (``CREATE DATABASE … TEMPLATE``), so tests never share state. Set
``TEST_DATABASE_URL`` (or ``DATABASE_URL``) to use an existing server; with
neither, an embedded server starts under ``.pgdata-test/``.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url

from shared.clock import FrozenClock
from tests.support.waiting import wait_until  # noqa: F401  (re-exported for tests)

ROOT = Path(__file__).resolve().parent.parent
# Property tests assert behaviour, not speed: no per-example deadline on a loaded machine.
hypothesis_settings.register_profile("dramaturg", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("dramaturg")
#: The instant every test starts at (a Thursday); tests move a FrozenClock from here.
T0 = datetime(2026, 3, 5, 10, 0, 0, tzinfo=UTC)


#: The embedded server's folder when no server is given (TEST_EMBEDDED_DIR moves it: the suite's own tests of this).
EMBEDDED_DIR = Path(os.environ.get("TEST_EMBEDDED_DIR") or ROOT / ".pgdata-test")


def _server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    from shared.embedded import embedded_url

    return embedded_url(EMBEDDED_DIR, database="postgres")


def _admin(url: str):
    conn = psycopg2.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def server_url():
    """The server the tests run on; an embedded one this session started is stopped at its end."""
    from tests.support.embedded_state import embedded_running

    uses_embedded = not (os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL"))
    started_here = uses_embedded and not embedded_running(EMBEDDED_DIR)
    yield _server_url()
    if started_here:
        from shared.broker import broker
        from shared.embedded import stop_embedded

        broker.close()  # nothing may beat against the server while it stops
        stop_embedded(EMBEDDED_DIR)


@pytest.fixture(scope="session")
def template_db(server_url):
    """A database migrated to head once per session, every app included; tests clone it."""
    from shared.migrate import upgrade
    from tests.support.registry import ALL_APPS

    name = f"dramaturg_tmpl_{uuid.uuid4().hex[:8]}"
    admin = _admin(server_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url, ALL_APPS)
    _mark_simulated(url)
    yield name
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _mark_simulated(url: str) -> None:
    """Tests run on FrozenClocks they move by hand: mark the database so the clock guard trusts them
    (tests of the guard itself clear the mark on their own clone)."""
    from shared.clock_guard import mark_simulated

    conn = _admin(url)
    mark_simulated(conn, note="test database")
    conn.close()


def _fresh_database(server_url: str, prefix: str, template: str | None = None):
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _admin(server_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def db_url(server_url, template_db):
    """A fresh database cloned from the migrated template, dropped after the test."""
    yield from _fresh_database(server_url, "dramaturg_t", template_db)


@pytest.fixture
def empty_db_url(server_url):
    """A fresh, unmigrated database."""
    yield from _fresh_database(server_url, "dramaturg_e")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def settings_overrides() -> dict:
    """Tests override this fixture to change settings for the app."""
    return {}


@pytest.fixture
def app(db_url, clock, settings_overrides):
    """The platform and every app, bound to this test's database and a FrozenClock at T0."""
    from shared.runtime import build_app
    from shared.settings import load_settings

    values = {
        "DATABASE_URL": db_url,
        "DRAMATURG_POLL_SECONDS": "0.05",
        "DRAMATURG_LEASE_SECONDS": "5",
        "DRAMATURG_WORKER_THREADS": "4",
        "DRAMATURG_APPS": "all",
    }
    values.update(settings_overrides)
    rt = build_app(load_settings(values), clock=clock, environ=values)
    yield rt
    rt.broker.close()  # stops the heartbeat before this test's database is dropped
    rt.engine.dispose()


@pytest.fixture
def worker(app):
    """A real Dramatiq worker on the real broker, in this process, stopped after the test."""
    import dramatiq

    w = dramatiq.Worker(app.broker, worker_threads=4, worker_timeout=50)
    w.start()
    yield w
    w.stop(timeout=10_000)


@pytest.fixture
def raw(app):
    """A psycopg2 connection (autocommit) to the test database, for arranging and asserting."""
    conn = psycopg2.connect(make_url(app.url).set(drivername="postgresql").render_as_string(hide_password=False))
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture(scope="session", autouse=True)
def _quiet_broker_at_exit():
    """Stop the global broker's heartbeat when the session ends (its last database is gone)."""
    yield
    from shared.broker import broker

    broker.close()
