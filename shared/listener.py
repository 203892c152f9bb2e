"""One LISTEN connection per process, shared by every consumer of the broker.

A consumer with nothing due sleeps until an enqueue's NOTIFY on its queue's
channel (``dramatiq.<queue>.enqueue``) or ``poll_seconds``, whichever comes
first. One connection per queue for that would cost a worker as many
connections as it has queues; here one thread holds one connection, LISTENs
on every registered channel and wakes the consumer of the channel notified.

LISTEN is only a wake-up hint: consumers poll anyway, so a lost connection
(a database restart) only delays, and the listener reconnects on its own and
listens again on every channel.
"""

from __future__ import annotations

import logging
import select
import threading
from collections.abc import Callable

import psycopg2
from psycopg2.extensions import connection as PgConnection

from shared.errors import first_line

logger = logging.getLogger(__name__)


def quote_channel(name: str) -> str:
    # Queue names are validated by Dramatiq ([a-zA-Z_][a-zA-Z0-9._-]*), so a
    # double-quoted identifier is safe; LISTEN cannot take a bind parameter.
    return '"' + name.replace('"', '""') + '"'


def enqueue_channel(queue: str) -> str:
    """The channel ``queue_notify`` (shared/sql/queue.sql) notifies for ``queue``."""
    return f"dramatiq.{queue}.enqueue"


class Listener:
    """Parameters:
    dsn: returns the libpq connection string (read at each connect).
    connect_timeout: seconds for one connection attempt.
    """

    def __init__(self, dsn: Callable[[], str], *, connect_timeout: int = 5) -> None:
        self._dsn = dsn
        self._connect_timeout = connect_timeout
        self._lock = threading.Lock()  # the connection: LISTEN from a registering thread, poll from ours
        self._conn: PgConnection | None = None
        self._events: dict[str, threading.Event] = {}  # channel → set when notified since the last wait
        self._listening: set[str] = set()  # channels LISTENed on the current connection
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def register(self, channel: str) -> bool:
        """Listen on ``channel`` (idempotent); True once LISTEN is active on it.

        Call before the first claim, so no enqueue slips between the claim and the LISTEN.
        """
        self._events.setdefault(channel, threading.Event())
        if channel in self._listening:
            return True
        with self._lock:
            try:
                conn = self._connection()
                with conn.cursor() as cur:
                    cur.execute("LISTEN " + quote_channel(channel))
                self._listening.add(channel)
                self._drain(conn)  # notifies that arrived during the LISTEN round trip
            except psycopg2.Error as exc:
                logger.debug("LISTEN %s failed (%s); consumers poll meanwhile", channel, first_line(exc))
                self._drop()
                return False
        self._ensure_thread()
        return True

    def wait(self, channel: str, timeout: float) -> bool:
        """Sleep until ``channel`` is notified or ``timeout`` seconds pass; True if notified."""
        event = self._events.setdefault(channel, threading.Event())
        if event.wait(timeout):
            event.clear()
            return True
        return False

    def wake(self, channel: str) -> None:
        """Wake the consumer waiting on ``channel`` as a notify would (a slot freed in this process)."""
        self._events.setdefault(channel, threading.Event()).set()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._drop()

    @property
    def connected(self) -> bool:
        return self._conn is not None

    # --- the listening thread ---------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="dramaturg-listener", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            conn = self._conn
            if conn is None:
                if self._stop.wait(backoff) or not self._reconnect():
                    backoff = min(backoff * 2, 5.0)
                    continue
                backoff = 0.5
                conn = self._conn
                if conn is None:  # closed (close() dropped it) right after the reconnect
                    continue
            try:
                readable, _, _ = select.select([conn], [], [], 1.0)
                if readable:
                    with self._lock:
                        if self._conn is conn:
                            conn.poll()
                            self._drain(conn)
            except (OSError, ValueError, psycopg2.Error) as exc:
                if not self._stop.is_set():
                    logger.warning("LISTEN connection lost (%s); reconnecting", first_line(exc))
                with self._lock:
                    if self._conn is conn:
                        self._drop()
                self._wake_all()  # whatever was notified meanwhile, the consumers look now

    def _reconnect(self) -> bool:
        with self._lock:
            channels = set(self._events)
            try:
                conn = self._connection()
                with conn.cursor() as cur:
                    for channel in sorted(channels):
                        cur.execute("LISTEN " + quote_channel(channel))
                self._listening = channels
            except psycopg2.Error:
                self._drop()
                return False
        self._wake_all()  # anything enqueued while we were away
        return True

    # --- helpers (caller holds the lock) ------------------------------------------------
    def _connection(self) -> PgConnection:
        if self._conn is None:
            conn = psycopg2.connect(
                self._dsn(), connect_timeout=self._connect_timeout, application_name="dramaturg-listen"
            )
            conn.autocommit = True
            self._conn = conn
            self._listening = set()
        return self._conn

    def _drain(self, conn: PgConnection) -> None:
        while conn.notifies:
            event = self._events.get(conn.notifies.pop(0).channel)
            if event is not None:
                event.set()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
        self._conn = None
        self._listening = set()

    def _wake_all(self) -> None:
        for event in list(self._events.values()):
            event.set()
