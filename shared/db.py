"""Database access: the SQLAlchemy engine, sessions, and connection errors made readable.

The engine is built from settings by the entry points (never at import). Its
pool also serves the broker, so one pool bound from the worker's thread count
carries actors and queue traffic alike.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

import psycopg2
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from shared.errors import DatabaseUnavailable
from shared.redact import redact, secrets_in_url

logger = logging.getLogger(__name__)
T = TypeVar("T")


def mask_url(url: str) -> str:
    """The URL with its password (userinfo, ``?password=``, any fragment of it) replaced by ``***``."""
    return redact(url, secrets_in_url(url))


def make_engine(url: str, *, pool_size: int = 10, pool_timeout: float = 10.0, connect_timeout: float = 5.0) -> Engine:
    """An engine with a bounded pool: a thread waits at most ``pool_timeout`` for a connection.

    ``pool_pre_ping`` lets a worker survive a database restart without a restart of its own.
    """
    return sa.create_engine(
        make_url(url).set(drivername="postgresql+psycopg2"),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        connect_args={"connect_timeout": max(1, int(connect_timeout)), "application_name": "dramaturg"},
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def translate_errors(url: str):
    """Turn driver connection failures into ``DatabaseUnavailable`` with the password masked."""
    try:
        yield
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:
        detail = redact(str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0], secrets_in_url(url))
        raise DatabaseUnavailable(f"cannot reach the database at {mask_url(url)}: {detail}") from None


def check_connection(engine: Engine) -> None:
    """One round trip; raises ``DatabaseUnavailable`` with a readable message."""
    url = engine.url.render_as_string(hide_password=False)
    with translate_errors(url), engine.connect() as conn:
        conn.execute(sa.text("select 1"))


def retry_until_available(
    action: Callable[[], T], *, what: str, deadline: float | None = None, max_backoff: float = 30.0
) -> T:
    """Call ``action`` until it stops raising ``DatabaseUnavailable``, backing off 0.5 s → ``max_backoff``.

    Workers and the scheduler use this instead of crashing when the database is down.

    Raises:
        DatabaseUnavailable: when ``deadline`` (a ``time.monotonic()`` instant) passes.
    """
    delay = 0.5
    while True:
        try:
            return action()
        except DatabaseUnavailable as exc:
            if deadline is not None and time.monotonic() + delay > deadline:
                raise
            logger.error("%s: %s; retrying in %.1fs", what, exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, max_backoff)


#: Errors that mean "the database is down or restarting", as opposed to a bad query.
OUTAGE_ERRORS = (
    DatabaseUnavailable,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
)


def retry_through_outage(action: Callable[[], T], *, what: str, seconds: float = 300.0, max_backoff: float = 5.0) -> T:
    """Call ``action`` until it stops failing with an outage error, for at most ``seconds``.

    For bookkeeping that must not be dropped when the database restarts under a
    worker (saving a retry, settling an exhausted message): giving up there
    would lose the message, so the worker thread waits the outage out.

    Raises:
        The last outage error once ``seconds`` have passed.
    """
    deadline = time.monotonic() + seconds
    delay = 0.25
    while True:
        try:
            return action()
        except OUTAGE_ERRORS as exc:
            if time.monotonic() + delay > deadline:
                raise
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            logger.warning("%s: database unavailable (%s); retrying in %.2fs", what, first, delay)
            time.sleep(delay)
            delay = min(delay * 2, max_backoff)
