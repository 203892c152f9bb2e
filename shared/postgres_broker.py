"""A Dramatiq broker on dramatiq-pg's table, with leases instead of advisory locks.

It keeps dramatiq-pg's table and message format (so ``dramatiq-pg``'s CLI and
results backend keep working) and changes how rows move:

- **claims** take batches with ``FOR UPDATE SKIP LOCKED`` and stamp a lease
  (worker id + expiry) — no advisory lock per message, so a backlog of any
  size holds no locks;
- a **heartbeat** renews this worker's leases; any worker **rescues** rows
  whose lease expired (a dead worker's) — acks are fenced on the lease;
- **delays** (retry backoff) are an ``eta`` column, claimed when due;
- **enqueue** is idempotent (an existing id is a no-op), bulk (one statement
  per batch, one NOTIFY per queue), and can join the caller's transaction.

The database pool is the application's SQLAlchemy engine: a thread waits for
a connection at most ``pool_timeout`` and then gets a clear error.
"""

from __future__ import annotations

import contextvars
import io
import logging
import threading
import uuid
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

import dramatiq
import psycopg2
from dramatiq.broker import Broker
from dramatiq.message import Message
from sqlalchemy import exc as sa_exc

from shared.clock import is_simulated
from shared.errors import DatabaseUnavailable
from shared.redact import redact
from shared.sql import queries

logger = logging.getLogger(__name__)
SQL = queries("queue")

_bind_lock = threading.Lock()
#: From this many messages, enqueue_many stages them with COPY instead of binding arrays.
COPY_THRESHOLD = 64

#: The caller's DB-API connection while inside ``broker.transaction(...)``.
_joined_connection: contextvars.ContextVar = contextvars.ContextVar("dramaturg_joined_connection", default=None)


def raw_connection_of(conn) -> object:
    """The psycopg2 connection under a SQLAlchemy Session/Connection (or a psycopg2 connection itself)."""
    if hasattr(conn, "connection") and hasattr(conn, "execute") and hasattr(conn, "get_bind"):
        conn = conn.connection()  # Session → Connection (begins the session's transaction)
    if hasattr(conn, "connection") and hasattr(conn.connection, "dbapi_connection"):
        return conn.connection.dbapi_connection  # SQLAlchemy Connection
    return conn


class PostgresBroker(Broker):
    """Dramatiq broker on PostgreSQL. Configure with :meth:`bind` before use.

    ``__init__`` does no I/O, so the broker can exist at import time (actors
    bind to it when declared) and be pointed at a database by the entry point.
    """

    def __init__(self, *, middleware=None) -> None:
        super().__init__(middleware=middleware)
        self.engine = None
        self.clock = None
        self.settings = None
        self.worker_id = uuid.uuid4()
        self._inflight: set[str] = set()
        self._unackable: set[str] = set()  # failed messages whose retry could not be written
        # Acks and releases a closed consumer could not write (database down);
        # the heartbeat writes them when the database answers again.
        self._adopted_acks: list[str] = []
        self._adopted_releases: list[str] = []
        self._adopted_rejects: list[tuple[str, str, str | None]] = []
        self._inflight_lock = threading.Lock()
        self._heartbeat: threading.Thread | None = None
        self._stop = threading.Event()

    # --- configuration ---------------------------------------------------------------
    def bind(self, *, engine, clock, settings) -> None:
        """Point the broker at a database, a clock and the settings (no I/O)."""
        self.engine, self.clock, self.settings = engine, clock, settings

    def _require_bound(self) -> None:
        if self.engine is None:
            # An app that only imports actors and calls .send(): bind from the
            # environment (DATABASE_URL …) on first use, once, and say so.
            from shared.runtime import start

            with _bind_lock:
                if self.engine is None:
                    logger.info("binding the broker from the environment on first use")
                    start(import_actors=False)

    # --- queues ----------------------------------------------------------------------
    def declare_queue(self, queue_name: str) -> None:
        # All queues share one table; only tell Dramatiq the name exists. No
        # delay queues: delayed messages wait in the table, not in memory.
        if queue_name not in self.queues:
            self.emit_before("declare_queue", queue_name)
            self.queues[queue_name] = True
            self.emit_after("declare_queue", queue_name)

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 30000):
        from shared.postgres_consumer import PostgresConsumer

        self._require_bound()
        self._ensure_heartbeat()
        return PostgresConsumer(broker=self, queue_name=queue_name, prefetch=prefetch, timeout=timeout)

    # --- enqueue ---------------------------------------------------------------------
    @contextmanager
    def transaction(self, conn):
        """Inside this block, ``actor.send()`` writes through ``conn`` (a SQLAlchemy
        Session or Connection, or a psycopg2 connection): the messages commit or
        roll back with the caller's transaction."""
        token = _joined_connection.set(raw_connection_of(conn))
        try:
            yield
        finally:
            _joined_connection.reset(token)

    def enqueue(self, message: Message, *, delay: int | None = None) -> Message:
        """Enqueue one message; an id that already exists is a no-op.

        A message this worker is processing (the Retries middleware re-enqueues
        the same id) goes back to the queue with its new eta instead.
        """
        self._require_bound()
        now = self.clock.now()
        eta = now + timedelta(milliseconds=delay) if delay else self.due_now(now)
        if message.message_id in self._inflight:
            try:
                self._retry(message, eta)
            except DatabaseUnavailable as exc:
                # The row stays claimed by us; it must not be acked as done, or the
                # retry would be lost. Its lease runs out and a worker runs it again.
                with self._inflight_lock:
                    self._unackable.add(message.message_id)
                logger.error(
                    "could not requeue %s for retry (%s); it runs again when its lease expires", message.message_id, exc
                )
            return message
        self.emit_before("enqueue", message, delay)
        self.enqueue_many([message], eta=eta)
        self.emit_after("enqueue", message, delay)
        return message

    def enqueue_many(self, messages: Sequence[Message], *, conn=None, eta: datetime | None = None) -> list[str]:
        """Insert many messages in one statement and one NOTIFY per queue.

        Parameters:
            messages: dramatiq messages (e.g. ``actor.message(...)``).
            conn: join this transaction (SQLAlchemy Session/Connection or psycopg2
                connection); default: the one bound by :meth:`transaction`, else a
                pooled connection committed here.
            eta: when they become due (default: now).

        Returns:
            The ids that were new (existing ids are skipped).

        Raises:
            DatabaseUnavailable: no connection within the send timeout.
        """
        if not messages:
            return []
        self._require_bound()
        now = self.clock.now()
        joined = raw_connection_of(conn) if conn is not None else _joined_connection.get()
        if joined is not None:
            return self._insert(joined, messages, now, eta or self.due_now(now))
        with self.pooled() as raw:
            try:
                new = self._insert(raw, messages, now, eta or self.due_now(now))
                raw.commit()
            except BaseException:
                raw.rollback()
                raise
        return new

    def due_now(self, now: datetime) -> datetime | None:
        """The eta (or claim instant) meaning "now": None, the database's clock, unless the clock is simulated."""
        return now if is_simulated(self.clock) else None

    def _insert(self, raw, messages: Sequence[Message], now: datetime, eta: datetime | None) -> list[str]:
        with raw.cursor() as cur:
            if len(messages) >= COPY_THRESHOLD:
                self._stage(cur, messages)
                cur.execute(SQL["queue_insert_staged"], {"now": now, "eta": eta})
            else:
                # A few rows: one round trip beats the three of the COPY path.
                cur.execute(
                    SQL["queue_insert_many"],
                    {
                        "now": now,
                        "ids": [m.message_id for m in messages],
                        "queues": [m.queue_name for m in messages],
                        "messages": [m.encode().decode("utf-8") for m in messages],
                        "etas": [eta] * len(messages),
                        "priorities": [self._priority(m) for m in messages],
                    },
                )
            rows = cur.fetchall()
            for queue in sorted({q for _, q in rows}):
                cur.execute(SQL["queue_notify"], {"queue": queue})
        return [str(mid) for mid, _ in rows]

    def _stage(self, cur, messages: Sequence[Message]) -> None:
        """COPY the batch into this session's staging table (text format)."""
        lines = []
        for m in messages:
            body = m.encode().decode("utf-8")
            # COPY text format: backslash is the escape; JSON never holds a raw
            # tab or newline, but a custom encoder might.
            body = body.replace("\\", "\\\\")
            if "\t" in body or "\n" in body or "\r" in body:
                body = body.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
            lines.append(f"{m.message_id}\t{m.queue_name}\t{body}\t{self._priority(m)}\n")
        cur.execute(SQL["queue_stage_create"])
        cur.copy_expert(SQL["queue_stage_copy"], io.StringIO("".join(lines)))

    def _priority(self, message: Message) -> int:
        actor = self.actors.get(message.actor_name)
        return max(-32768, min(32767, actor.priority if actor else 0))

    def _retry(self, message: Message, eta: datetime) -> None:
        with self.pooled() as raw, raw.cursor() as cur:
            cur.execute(
                SQL["queue_retry"],
                {"id": message.message_id, "eta": eta, "message": message.encode().decode(), "owner": self.worker_id},
            )
            raw.commit()

    # --- connections -----------------------------------------------------------------
    @contextmanager
    def pooled(self):
        """A pooled psycopg2 connection; a wait past the pool timeout raises DatabaseUnavailable."""
        from shared.db import mask_url

        try:
            fairy = self.engine.raw_connection()
        except (
            sa_exc.TimeoutError,
            sa_exc.OperationalError,
            sa_exc.InterfaceError,
            # The pool raises the driver's own errors when a new connection fails.
            psycopg2.OperationalError,
            psycopg2.InterfaceError,
        ) as exc:
            url = mask_url(self.engine.url.render_as_string(hide_password=False))
            detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
            detail = redact(detail, self.settings.secrets)
            raise DatabaseUnavailable(f"broker cannot get a connection to {url}: {detail}") from None
        try:
            yield fairy.dbapi_connection
        except BaseException:
            try:
                fairy.dbapi_connection.rollback()
            except Exception:
                fairy.invalidate()
            raise
        finally:
            fairy.close()

    # --- in-flight bookkeeping (used by the consumer) ----------------------------------
    def track(self, message_ids: Iterable[str]) -> None:
        with self._inflight_lock:
            self._inflight.update(message_ids)

    def untrack(self, message_ids: Iterable[str]) -> None:
        with self._inflight_lock:
            self._inflight.difference_update(message_ids)

    # --- heartbeat and rescue ------------------------------------------------------------
    def _ensure_heartbeat(self) -> None:
        if self._heartbeat is None or not self._heartbeat.is_alive() or self._stop.is_set():
            self._stop = stop = threading.Event()  # one per thread: a stopping one never blocks its successor
            self._heartbeat = threading.Thread(target=self._beat, args=(stop,), name="dramaturg-heartbeat", daemon=True)
            self._heartbeat.start()

    def _beat(self, stop: threading.Event) -> None:
        lease = self.settings.lease_seconds
        # Renew well before expiry; rescue often enough that a dead worker's rows
        # come back within lease + a few seconds.
        period = max(0.05, min(lease / 3, 5.0))
        while not stop.wait(period):
            try:
                self.heartbeat_once()
            except Exception as exc:  # a DB outage must not kill the heartbeat
                logger.warning("heartbeat failed: %s", exc)

    def take_unackable(self, message_id: str) -> bool:
        """True (once) if ``message_id`` failed and its retry could not be written."""
        with self._inflight_lock:
            if message_id in self._unackable:
                self._unackable.discard(message_id)
                return True
        return False

    def adopt(self, *, acks=(), releases=(), rejects=()) -> None:
        """Take over outcomes a consumer could not write; the heartbeat writes them.

        Acked and rejected rows stay leased (renewed) until written, so they are
        not run again; released rows stop being renewed at once — if the release
        cannot be written, their lease expires and they are rescued anyway.
        """
        with self._inflight_lock:
            self._adopted_acks.extend(acks)
            self._adopted_releases.extend(releases)
            self._adopted_rejects.extend(rejects)
            self._inflight.difference_update(releases)

    def _write_adopted(self, cur) -> list[str]:
        with self._inflight_lock:
            acks, releases, rejects = self._adopted_acks, self._adopted_releases, self._adopted_rejects
            self._adopted_acks, self._adopted_releases, self._adopted_rejects = [], [], []
        try:
            if acks:
                cur.execute(SQL["queue_ack_many"], {"ids": acks, "owner": self.worker_id})
            if releases:
                cur.execute(SQL["queue_release"], {"ids": releases, "owner": self.worker_id})
            for message_id, reason, body in rejects:
                reason = (redact(reason, self.settings.secrets) or "")[:2000]  # as PostgresConsumer._redact
                cur.execute(
                    SQL["queue_reject"], {"id": message_id, "reason": reason, "message": body, "owner": self.worker_id}
                )
        except BaseException:
            self.adopt(acks=acks, releases=releases, rejects=rejects)
            raise
        return acks + [r[0] for r in rejects]

    def heartbeat_once(self) -> list[tuple[str, str]]:
        """Write adopted acks, renew this worker's leases, requeue expired ones; returns the rescued rows."""
        with self.pooled() as raw, raw.cursor() as cur:
            written = self._write_adopted(cur)
            with self._inflight_lock:
                held = list(self._inflight)
            cur.execute(
                SQL["queue_heartbeat"], {"ids": held, "owner": self.worker_id, "lease": self.settings.lease_seconds}
            )
            cur.execute(SQL["queue_rescue_expired"])
            rescued = [(str(mid), q) for mid, q in cur.fetchall()]
            for queue in sorted({q for _, q in rescued}):
                cur.execute(SQL["queue_notify"], {"queue": queue})
            raw.commit()
        if written:
            self.untrack(written)
        if rescued:
            logger.warning("rescued %d message(s) whose worker lease expired", len(rescued))
        return rescued

    def close(self) -> None:
        self._stop.set()
        super().close()

    # --- tests and tools ---------------------------------------------------------------
    def pending(self, queues: Sequence[str] | None = None) -> int:
        """Messages queued or in flight (including delayed ones) in ``queues`` (default: all declared)."""
        with self.pooled() as raw, raw.cursor() as cur:
            cur.execute(SQL["queue_pending_count"], {"queues": list(queues or self.queues)})
            (n,) = cur.fetchone()
            raw.rollback()
        return n

    def join(self, queue_name: str, *, timeout: float | None = None, fail_fast: bool = False) -> None:
        """Wait until ``queue_name`` has nothing queued or in flight.

        Raises:
            dramatiq.QueueJoinTimeout: when ``timeout`` (seconds) passes first.
        """
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.pending([queue_name]):
            if deadline is not None and time.monotonic() > deadline:
                raise dramatiq.QueueJoinTimeout(queue_name)
            time.sleep(0.02)  # polling the table is the condition; this is its interval

    def get_declared_queues(self):
        return set(self.queues)

    def get_declared_delay_queues(self):
        return set()

    def flush(self, queue_name: str) -> None:
        with self.pooled() as raw, raw.cursor() as cur:
            cur.execute(SQL["queue_flush"], {"queue": queue_name})
            raw.commit()

    def flush_all(self) -> None:
        for queue in list(self.queues):
            self.flush(queue)
