"""Database access: the SQLAlchemy engine, sessions, one-off connections, and connection errors made readable.

The engine is built from settings by the entry points (never at import). Its
pool also serves the broker, so one pool bound from the worker's thread count
carries actors and queue traffic alike.

SQLAlchemy is imported by the first engine or error check, never by importing
this module: declaring actors and the CLI's reading verbs (which use
:func:`direct_connection`, psycopg2 alone) then start without its ~0.25 s import.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, TypeVar, cast

import psycopg2
from psycopg2.extensions import connection as PgConnection

from shared.embedded import embedded_url
from shared.errors import DatabaseRefused, DatabaseUnavailable, first_line
from shared.lost_connections import GuardedConnection
from shared.redact import redact, secrets_in_url

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

    from shared.settings import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")


def pg_connection(conn: Connection) -> PgConnection:
    """The psycopg2 connection under a SQLAlchemy Connection (SQLAlchemy types it as any DB-API one)."""
    return cast(PgConnection, conn.connection.dbapi_connection)


def mask_url(url: str) -> str:
    """The URL with its password (userinfo, ``?password=``, any fragment of it) replaced by ``***``."""
    return redact(url, secrets_in_url(url))


#: A pooled connection idle longer than this is pinged before use: a restart takes
#: longer, so one used more recently was either dropped while the server was still
#: down (its caller saw an outage anyway) or is alive.
PING_AFTER_IDLE_SECONDS = 1.0


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int | None = None,
    pool_timeout: float = 10.0,
    connect_timeout: float = 5.0,
    ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
) -> Engine:
    """An engine with a bounded pool of ``pool_size`` kept connections plus ``max_overflow``
    (default: as many again) on demand; a thread waits at most ``pool_timeout`` for one.

    A worker survives a database restart without a restart of its own: a connection
    idle over ``ping_after_idle`` seconds is pinged at checkout, and a lost one raises
    an outage error (:func:`outage_errors`) and is replaced (shared/lost_connections.py).
    No ping per checkout: that was a round trip on every send and every job.
    """
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from shared.pool_checks import CheckoutChecks

    engine = sa.create_engine(
        make_url(url).set(drivername="postgresql+psycopg2"),
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_timeout=pool_timeout,
        connect_args={
            "connect_timeout": max(1, int(connect_timeout)),
            "application_name": "dramaturg",
            "connection_factory": GuardedConnection,
        },
    )
    CheckoutChecks(engine, idle_seconds=ping_after_idle)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # The ORM is imported here, by the first session: verbs that only read (status, history) never need it.
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(engine, expire_on_commit=False)


class EngineOnDemand:
    """The process's engine, built by the first :meth:`get` (once, whichever thread asks first).

    A verb that only reads through :func:`direct_connection` never builds it, so
    never imports SQLAlchemy.
    """

    def __init__(self, build: Callable[[], Engine]) -> None:
        self._build = build
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def get(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._build()
        return self._engine

    def dispose(self) -> None:
        """Close the pool's connections, if it was ever built."""
        if self._engine is not None:
            self._engine.dispose()


@contextmanager
def direct_connection(url: str, *, connect_timeout: float) -> Iterator[PgConnection]:
    """A connection of its own, outside the pool, in a transaction committed on success and closed after.

    For a process that asks one or two things and exits (the CLI's reading
    verbs): no pool to build and no SQLAlchemy to import.

    Raises:
        DatabaseUnavailable: the server cannot be reached (or refused the URL: which, it says).
    """
    libpq_url = url.replace("postgresql+psycopg2://", "postgresql://", 1)  # the one driver name settings allow
    try:
        conn = psycopg2.connect(libpq_url, connect_timeout=max(1, int(connect_timeout)), application_name="dramaturg")
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        raise connection_error(exc, url) from None
    try:
        with conn:  # commits on success, rolls back on an error
            yield conn
    finally:
        conn.close()


@cache
def outage_errors() -> tuple[type[Exception], ...]:
    """Errors that mean "the database is down or restarting", as opposed to a bad query —
    the one list every outage handler catches (``except outage_errors() as exc``).

    A function, so that SQLAlchemy's are imported when an error is first checked, not at import.
    """
    from sqlalchemy import exc as sa_exc

    return (
        DatabaseUnavailable,
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,
        # The pool raises the driver's own errors when a new connection fails.
        psycopg2.OperationalError,
        psycopg2.InterfaceError,
    )


@cache
def payload_db_errors() -> tuple[type[Exception], ...]:
    """Errors the database raises for a value it cannot take (``invalid input syntax for type
    integer``, a number out of range, a string too long): caused by the arguments, so
    retrying the same message cannot fix them. Retries fails them at once, like PayloadError."""
    from sqlalchemy import exc as sa_exc

    return (psycopg2.DataError, sa_exc.DataError)


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Turn driver connection failures into ``DatabaseUnavailable`` with the password masked."""
    try:
        yield
    except DatabaseUnavailable:
        raise
    except outage_errors() as exc:
        raise connection_error(exc, url) from None


#: What the server says when it answers but refuses the URL → how we say it.
_REFUSALS = (
    (re.compile(r'database "([^"]*)" does not exist'), "the database {0!r} does not exist on the server at {url}"),
    (re.compile(r'role "([^"]*)" does not exist'), "the role {0!r} does not exist on the server at {url}"),
    (re.compile(r'password authentication failed for user "([^"]*)"'), "the password of {0!r} is wrong for {url}"),
)


def connection_error(exc: BaseException, url: str) -> DatabaseUnavailable:
    """The error to raise for a failed connection: which of unreachable / no database / no role / bad password.

    The URL's password is masked, and the driver's text redacted.
    """
    text = redact(str(getattr(exc, "orig", None) or exc), secrets_in_url(url)) or ""
    for pattern, message in _REFUSALS:
        found = pattern.search(text)
        if found:
            return DatabaseRefused(message.format(*found.groups(), url=mask_url(url)))
    detail = redact(first_line(exc), secrets_in_url(url))
    return DatabaseUnavailable(f"cannot reach the database server at {mask_url(url)}: {detail}")


def check_connection(engine: Engine) -> None:
    """One round trip; raises ``DatabaseUnavailable`` with a readable message."""
    import sqlalchemy as sa

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
        except outage_errors() as exc:
            if time.monotonic() + delay > deadline:
                raise
            logger.warning("%s: database unavailable (%s); retrying in %.2fs", what, first_line(exc), delay)
            time.sleep(delay)
            delay = min(delay * 2, max_backoff)


def database_url(settings: Settings) -> str:
    """``DATABASE_URL``, or the embedded server's URL when it is unset (started on first use)."""
    if settings.database_url:
        return settings.database_url
    logger.info("DATABASE_URL is not set: using the embedded PostgreSQL under %s", settings.data_dir)
    return embedded_url(settings.data_dir)
