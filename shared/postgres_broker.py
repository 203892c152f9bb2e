"""A Dramatiq broker on dramatiq-pg's table, with leases instead of advisory locks.

It keeps dramatiq-pg's table and message format (so ``dramatiq-pg``'s CLI and
results backend keep working) and changes how rows move:

- **claims** take batches with ``FOR UPDATE SKIP LOCKED`` and stamp a lease
  (worker id + expiry) — no advisory lock per message, so a backlog of any
  size holds no locks;
- a **heartbeat** renews this worker's leases; any worker **rescues** rows
  whose lease expired (a dead worker's) — outcomes, retries, releases and
  renewals are fenced on the claim (``shared/claims.py``);
- **delays** (retry backoff) are an ``eta`` column, claimed when due;
- **per-queue limits** (``shared/queue_limits.py``): a queue's lease, and a
  cluster-wide cap on its messages running at once, enforced at claim time;
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
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import dramatiq
import psycopg2.errors
from dramatiq.broker import Broker, MessageProxy
from dramatiq.message import Message
from dramatiq.middleware import Middleware, MiddlewareError
from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from shared.claims import Claim, claim_of, split
from shared.clock import Clock, clock_from_settings, is_simulated
from shared.db import EngineOnDemand, database_url, make_engine, mask_url, outage_errors
from shared.errors import DatabaseUnavailable, first_line
from shared.listener import Listener
from shared.lost_connections import is_lost
from shared.message_body import copy_field, message_body
from shared.outcomes import OutcomeLedger
from shared.postgres_consumer import PostgresConsumer
from shared.queue_limits import QueueLimit, checked_limit, queue_env_name
from shared.redact import redact
from shared.settings import load_settings
from shared.sql import queries

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from shared.settings import Settings

logger = logging.getLogger(__name__)
#: A message, or the proxy Dramatiq's worker hands to middleware (it forwards every attribute).
AnyMessage = Message[Any] | MessageProxy
SQL = queries("queue")

_bind_lock = threading.Lock()
#: From this many messages, enqueue_many stages them with COPY instead of binding arrays.
COPY_THRESHOLD = 64


#: How much of a COPY's buffer psycopg2 reads at a time. It takes the GIL for each read (8 KB by
#: default), and while another thread of the process computes each take can wait out the
#: interpreter's switch interval (5 ms): a fan-out's parent, building the next batch, stalled its
#: sender that way. Not the whole buffer in one read: libpq grows the connection's output buffer to
#: the largest piece it is handed and never shrinks it, so each pooled connection a fan-out used
#: kept megabytes (the soak's worker RSS grew by a few MB per fan-out).
COPY_READ = 64 * 1024


def _copy(cur: PgCursor, statement: str, lines: list[str]) -> None:
    """COPY ``lines`` in reads of ``COPY_READ``."""
    cur.copy_expert(statement, io.StringIO("".join(lines)), size=COPY_READ)


@dataclass(frozen=True)
class PreparedSend:
    """A batch ready to be inserted (``PostgresBroker.prepare_many``): its ``before_enqueue`` hooks
    have run and each message's body (JSON text) and priority are computed."""

    messages: Sequence[AnyMessage]
    bodies: list[str]
    priorities: list[int]
    now: datetime
    eta: datetime | None  # None: the database's clock
    delay: int | None  # ms from now to eta, as the hooks see it


#: The caller's DB-API connection while inside ``broker.transaction(...)``.
_joined_connection: contextvars.ContextVar[PgConnection | None] = contextvars.ContextVar(
    "dramaturg_joined_connection", default=None
)


def raw_connection_of(conn: Any) -> PgConnection:
    """The psycopg2 connection under a SQLAlchemy Session/Connection (or a psycopg2 connection itself)."""
    if hasattr(conn, "connection") and hasattr(conn, "execute") and hasattr(conn, "get_bind"):
        conn = conn.connection()  # Session → Connection (begins the session's transaction)
    if hasattr(conn, "connection") and hasattr(conn.connection, "dbapi_connection"):
        return cast(PgConnection, conn.connection.dbapi_connection)  # SQLAlchemy Connection
    return cast(PgConnection, conn)


class PostgresBroker(Broker):
    """Dramatiq broker on PostgreSQL. Configure with :meth:`bind` before use.

    ``__init__`` does no I/O, so the broker can exist at import time (actors
    bind to it when declared) and be pointed at a database by the entry point.
    """

    #: Set by :meth:`bind` (or from the environment on first use); absent until then.
    clock: Clock
    settings: Settings

    def __init__(self, *, middleware: list[Middleware] | None = None) -> None:
        Broker.__init__(self, middleware=middleware)  # named: mypy then knows the untyped call is dramatiq's
        self.worker_id = uuid.uuid4()
        #: Every claim this process holds and every outcome not yet written (consumers report and
        #: write there; the heartbeat renews its claims and writes what a closed consumer left).
        self.outcomes = OutcomeLedger()
        #: The process's one LISTEN connection, shared by its consumers (made by bind).
        self.listener: Listener | None = None
        self._heartbeat: threading.Thread | None = None
        #: Messages this process requeued because another worker's lease expired (for /metrics).
        self.rescued_total = 0
        #: Limits apps declare in code (:meth:`limit_queue`); the environment's win (:meth:`queue_limit`).
        self.declared_limits: dict[str, QueueLimit] = {}
        self._stop = threading.Event()
        #: Set by close(), cleared by bind(): a closed broker starts no heartbeat (its database may be gone).
        self._closed = False
        self._heartbeat_lock = threading.Lock()
        #: The bound database's pool, built on first use (a verb that never queues never imports SQLAlchemy).
        self._engine: EngineOnDemand | None = None

    # --- configuration ---------------------------------------------------------------
    def bind(self, *, engine: Engine | EngineOnDemand, clock: Clock, settings: Settings) -> None:
        """Point the broker at a database, a clock and the settings (no I/O).

        ``engine``: the pool, or the App's :class:`~shared.db.EngineOnDemand` (built when the broker first
        needs it). Claims held for another database mean nothing on this one: the ledger starts empty.
        """
        self._engine = engine if isinstance(engine, EngineOnDemand) else EngineOnDemand(lambda: engine)
        self.clock, self.settings = clock, settings
        self._closed = False
        self.outcomes = OutcomeLedger()
        if self.listener is not None:
            self.listener.close()
        self.listener = Listener(self.dsn, connect_timeout=max(2, int(settings.db_connect_timeout)))

    @property
    def engine(self) -> Engine:
        """The bound database's pool (built now if this is its first use).

        Raises:
            AttributeError: the broker is not bound (:meth:`bind`).
        """
        if self._engine is None:
            raise AttributeError("the broker is not bound to a database (PostgresBroker.bind)")
        return self._engine.get()

    def dsn(self) -> str:
        """The libpq connection string of the bound database, for the connections outside the pool
        (each consumer's own, the listener's)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _require_bound(self) -> None:
        if self._engine is None:
            # An app that only imports actors and calls .send(): bind from the
            # environment (DATABASE_URL …) on first use, once, and say so. Sending
            # needs only a database and a clock; workers get a whole App.
            with _bind_lock:
                if self._engine is None:
                    logger.info("binding the broker from the environment on first use")
                    settings = load_settings()
                    engine = make_engine(
                        database_url(settings),
                        pool_size=4,
                        pool_timeout=settings.send_timeout,
                        connect_timeout=min(settings.db_connect_timeout, settings.send_timeout),
                    )
                    self.bind(engine=engine, clock=clock_from_settings(settings), settings=settings)

    def records_history(self) -> bool:
        """Whether a job_history middleware runs here (then consumers write runs' rows at claim)."""
        return any(getattr(m, "records_job_history", False) for m in self.middleware)

    # --- queues ----------------------------------------------------------------------
    def declare_queue(self, queue_name: str) -> None:
        # All queues share one table; only tell Dramatiq the name exists. No
        # delay queues: delayed messages wait in the table, not in memory.
        if queue_name not in self.queues:
            self.emit_before("declare_queue", queue_name)
            self.queues[queue_name] = True
            self.emit_after("declare_queue", queue_name)

    def limit_queue(
        self, queue_name: str, *, concurrency: int | None = None, lease_seconds: float | None = None
    ) -> None:
        """Declare ``queue_name`` with default limits, beside the actors that use it (at import,
        like the actors themselves). ``DRAMATURG_QUEUE_<NAME>_CONCURRENCY`` and
        ``_LEASE_SECONDS`` override them field by field.

        Raises:
            ConfigError: a concurrency that is not a positive whole number, or a lease that is not positive.
        """
        self.declared_limits[queue_name] = checked_limit(concurrency, lease_seconds, f"queue {queue_name!r}")
        self.declare_queue(queue_name)

    def queue_limit(self, queue_name: str) -> QueueLimit:
        """The limits in force on ``queue_name``: environment over code; the lease defaults to the global one."""
        env = self.settings.queue_limits.get(queue_env_name(queue_name), QueueLimit())
        return env.over(self.declared_limits.get(queue_name, QueueLimit())).over(
            QueueLimit(lease_seconds=self.settings.lease_seconds)
        )

    def limited_queues(self) -> dict[str, QueueLimit]:
        """Each declared queue with a cap or a lease of its own → its limits in force (for status, /metrics)."""
        limits = {name: self.queue_limit(name) for name in sorted(self.queues)}
        return {
            name: limit
            for name, limit in limits.items()
            if limit.concurrency is not None or limit.lease_seconds != self.settings.lease_seconds
        }

    def capped_queues(self) -> dict[str, int]:
        """Each declared queue with a concurrency cap → the cap."""
        return {name: cap for name, limit in self.limited_queues().items() if (cap := limit.concurrency) is not None}

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 30000) -> PostgresConsumer:

        self._require_bound()
        self._ensure_heartbeat()
        return PostgresConsumer(broker=self, queue_name=queue_name, prefetch=prefetch, timeout=timeout)

    # --- enqueue ---------------------------------------------------------------------
    @contextmanager
    def transaction(self, conn: Any) -> Iterator[None]:
        """Inside this block, ``actor.send()`` writes through ``conn`` (a SQLAlchemy
        Session or Connection, or a psycopg2 connection): the messages commit or
        roll back with the caller's transaction."""
        token = _joined_connection.set(raw_connection_of(conn))
        try:
            yield
        finally:
            _joined_connection.reset(token)

    def enqueue(self, message: AnyMessage, *, delay: int | None = None) -> AnyMessage:
        """Enqueue one message; an id that already exists is a no-op.

        A message this worker is processing (the Retries middleware re-enqueues
        the same id) goes back to the queue with its new eta instead, fenced on
        the claim it came from.
        """
        self._require_bound()
        now = self.clock.now()
        eta = now + timedelta(milliseconds=delay) if delay else self.due_now(now)
        claim = claim_of(message)
        if claim is not None:
            try:
                self._emit_enqueue("before", [message], delay)
                self._retry(message, claim, eta)
                self._emit_enqueue("after", [message], delay)
            except DatabaseUnavailable as exc:
                # The row stays claimed by us; it must not be acked as done, or the
                # retry would be lost. It is released instead, or its lease runs out.
                self.outcomes.retry_not_saved(claim)
                logger.error(
                    "could not requeue %s for retry (%s); it runs again when its lease expires", message.message_id, exc
                )
            return message
        self.send_prepared(self._prepare([message], now, eta, delay))
        return message

    def enqueue_many(
        self, messages: Sequence[AnyMessage], *, conn: Any = None, eta: datetime | None = None
    ) -> list[str]:
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

        Middleware see ``before_enqueue``/``after_enqueue`` for each message, as
        with :meth:`enqueue` (``delay`` is the time from now to ``eta``, in ms).
        """
        if not messages:
            return []
        return self.send_prepared(self.prepare_many(messages, eta=eta), conn=conn)

    def prepare_many(self, messages: Sequence[AnyMessage], *, eta: datetime | None = None) -> PreparedSend:
        """The first half of :meth:`enqueue_many`: the ``before_enqueue`` hooks run and the bodies are
        encoded, nothing is written. A caller that builds one batch while the previous one is
        being sent (a fan-out's parent) prepares on its own thread and sends on the other."""
        self._require_bound()
        now = self.clock.now()
        delay = int((eta - now).total_seconds() * 1000) if eta is not None and eta > now else None
        return self._prepare(messages, now, eta or self.due_now(now), delay)

    def send_prepared(self, prepared: PreparedSend, *, conn: Any = None) -> list[str]:
        """The second half of :meth:`enqueue_many`: insert the prepared batch (``conn`` as there), then
        the ``after_enqueue`` hooks. Returns the ids that were new."""
        if not prepared.messages:
            return []
        self._require_bound()
        joined = raw_connection_of(conn) if conn is not None else _joined_connection.get()
        if joined is not None:
            new = self._insert(joined, prepared)
        else:
            new = self._insert_pooled(prepared)
        self._emit_enqueue("after", prepared.messages, prepared.delay)
        return new

    def due_now(self, now: datetime) -> datetime | None:
        """The eta (or claim instant) meaning "now": None — the database's clock — unless the clock is simulated."""
        return now if is_simulated(self.clock) else None

    def _prepare(
        self, messages: Sequence[AnyMessage], now: datetime, eta: datetime | None, delay: int | None
    ) -> PreparedSend:
        self._emit_enqueue("before", messages, delay)  # hooks may change a message before it is encoded
        priorities: dict[str, int] = {}  # looked up once per actor
        for m in messages:
            if m.actor_name not in priorities:
                priorities[m.actor_name] = self._priority(m)
        return PreparedSend(
            messages=messages,
            bodies=[message_body(m) for m in messages],
            priorities=[priorities[m.actor_name] for m in messages],
            now=now,
            eta=eta,
            delay=delay,
        )

    def _insert_pooled(self, batch: PreparedSend) -> list[str]:
        """Insert and commit on a pooled connection. A connection used within the last second
        is not pinged at checkout, so one the server dropped meanwhile (a restart) fails here
        with an outage error: the send is tried once more, on a fresh connection (the insert
        is idempotent on message id)."""
        one_statement = len(batch.messages) < COPY_THRESHOLD
        for attempt in (1, 2):
            try:
                with self.pooled() as raw:
                    if one_statement:
                        # One statement is atomic on its own: in autocommit it is the whole
                        # send, one round trip (psycopg2 would add a BEGIN and a COMMIT).
                        return self._insert_autocommit(raw, batch)
                    new = self._insert(raw, batch)
                    raw.commit()
                    return new
            except DatabaseUnavailable:
                raise  # no connection could be had at all: trying again at once would not help
            except outage_errors() as exc:
                if attempt == 2:
                    raise
                logger.info("send hit a dropped connection (%s); trying once more", first_line(exc))
        raise AssertionError("unreachable")

    def _insert_autocommit(self, raw: PgConnection, batch: PreparedSend) -> list[str]:
        raw.autocommit = True
        try:
            return self._insert(raw, batch)
        finally:
            if not raw.closed:
                raw.autocommit = False  # the pool hands out transactional connections

    def _emit_enqueue(self, when: str, messages: Sequence[AnyMessage], delay: int | None) -> None:
        """``emit_before``/``emit_after("enqueue", …)`` for each message, calling only the
        middleware that override the hook (a 100,000-message fan-out would otherwise
        make a million no-op calls)."""
        hook = f"{when}_enqueue"
        base = getattr(Middleware, hook)
        listening = [m for m in self.middleware if getattr(type(m), hook, base) is not base]
        if when == "after":
            listening.reverse()
        for middleware in listening:
            for message in messages:
                try:
                    getattr(middleware, hook)(self, message, delay)
                except MiddlewareError:
                    if when == "before":
                        raise
                    logger.critical("Unexpected failure in %s of %r.", hook, middleware, exc_info=True)
                except Exception:
                    logger.critical("Unexpected failure in %s of %r.", hook, middleware, exc_info=True)

    def _insert(self, raw: PgConnection, batch: PreparedSend) -> list[str]:
        messages = batch.messages
        with raw.cursor() as cur:
            large = len(messages) >= COPY_THRESHOLD
            if large:
                copied = self._copy_new(raw, cur, batch)
                if copied is not None:
                    return copied
            if large and not raw.autocommit:
                # The stage lives until the transaction's end: in autocommit each statement
                # would empty it, so such a connection takes the one-statement insert below.
                self._stage(cur, batch)
                cur.execute(SQL["queue_insert_staged"], {"now": batch.now, "eta": batch.eta})
            else:
                # A few rows: one round trip beats the three of the COPY path.
                cur.execute(
                    SQL["queue_insert_many"],
                    {
                        "now": batch.now,
                        "ids": [m.message_id for m in messages],
                        "queues": [m.queue_name for m in messages],
                        "messages": batch.bodies,
                        "etas": [batch.eta] * len(messages),
                        "priorities": batch.priorities,
                    },
                )
            rows = cur.fetchall()  # the statement notified each queue that got a new row
        return [str(mid) for mid, _ in rows]

    def _copy_new(self, raw: PgConnection, cur: PgCursor, batch: PreparedSend) -> list[str] | None:
        """COPY the batch straight into the queue table; None if an id already exists (nothing
        written then: the staged path takes the batch and skips those ids). See queue_copy_savepoint."""
        now, eta, messages = batch.now, batch.eta, batch.messages
        tail = f"\t{now.isoformat()}" + ("" if eta is None else f"\t{eta.isoformat()}") + "\n"
        lines = [
            f"{m.message_id}\t{m.queue_name}\tqueued\t{copy_field(body)}\t{priority}{tail}"
            for m, body, priority in zip(messages, batch.bodies, batch.priorities)
        ]
        autocommit = raw.autocommit
        if not autocommit:
            cur.execute(SQL["queue_copy_savepoint"])
        try:
            _copy(cur, SQL["queue_copy" if eta is None else "queue_copy_eta"], lines)
        except psycopg2.errors.UniqueViolation:
            if not autocommit:
                cur.execute(SQL["queue_copy_undo"])
            return None
        except BaseException:
            if not autocommit and not raw.closed:
                try:  # leave the caller's transaction as it was before this batch, then say why
                    cur.execute(SQL["queue_copy_undo"])
                except psycopg2.Error:
                    pass
            raise
        queues = sorted({m.queue_name for m in messages})
        cur.execute(SQL["queue_notify_many" if autocommit else "queue_copy_done"], {"queues": queues})
        return [str(m.message_id) for m in messages]

    def _stage(self, cur: PgCursor, batch: PreparedSend) -> None:
        """COPY the batch into this session's staging table (text format)."""
        lines = [
            f"{m.message_id}\t{m.queue_name}\t{copy_field(body)}\t{priority}\n"
            for m, body, priority in zip(batch.messages, batch.bodies, batch.priorities)
        ]
        cur.execute(SQL["queue_stage_create"])
        _copy(cur, SQL["queue_stage_copy"], lines)

    def _priority(self, message: AnyMessage) -> int:
        actor = self.actors.get(message.actor_name)
        return max(-32768, min(32767, actor.priority if actor else 0))

    def _retry(self, message: AnyMessage, claim: Claim, eta: datetime | None) -> None:
        with self.pooled() as raw, raw.cursor() as cur:
            cur.execute(
                SQL["queue_retry"],
                {
                    "id": claim.message_id,
                    "claims": claim.number,
                    "eta": eta,
                    "message": message.encode().decode(),
                    "owner": self.worker_id,
                },
            )
            raw.commit()

    # --- connections -----------------------------------------------------------------
    @contextmanager
    def pooled(self) -> Iterator[PgConnection]:
        """A pooled psycopg2 connection; a wait past the pool timeout raises DatabaseUnavailable."""
        try:
            fairy = self.engine.raw_connection()
        except outage_errors() as exc:
            url = mask_url(self.engine.url.render_as_string(hide_password=False))
            detail = redact(first_line(exc), self.settings.secrets if self.settings else ())
            raise DatabaseUnavailable(f"broker cannot get a connection to {url}: {detail}") from None
        raw = cast(PgConnection, fairy.dbapi_connection)
        try:
            yield raw
        except BaseException:
            try:
                raw.rollback()
                usable = not is_lost(raw)
            except Exception:
                usable = False
            if not usable:
                # This connection is dead, and after a server restart so are the idle
                # ones beside it: close those too, so the next checkout opens a fresh one.
                fairy.invalidate()
                self.engine.pool.dispose()
            raise
        finally:
            fairy.close()

    # --- heartbeat and rescue ------------------------------------------------------------
    def _ensure_heartbeat(self) -> None:
        # A worker's consumer threads call this at once: without the lock two could each start a
        # heartbeat, and the first one's stop event, overwritten, would never be set by close().
        with self._heartbeat_lock:
            if self._closed:
                return
            if self._heartbeat is None or not self._heartbeat.is_alive() or self._stop.is_set():
                self._stop = stop = threading.Event()  # one per thread: a stopping one never blocks its successor
                self._heartbeat = threading.Thread(
                    target=self._beat, args=(stop,), name="dramaturg-heartbeat", daemon=True
                )
                self._heartbeat.start()

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(self._beat_period()):
            try:
                self.heartbeat_once()
            except Exception as exc:  # a DB outage must not kill the heartbeat
                logger.warning("heartbeat failed: %s", exc)

    def _beat_period(self) -> float:
        """Renew well before the shortest lease this worker's claims get expires; rescue often
        enough that a dead worker's rows come back within their lease + a few seconds."""
        leases = [self.queue_limit(q).lease_seconds or self.settings.lease_seconds for q in self.queues]
        return max(0.05, min(min(leases, default=self.settings.lease_seconds) / 3, 5.0))

    def heartbeat_once(self) -> list[tuple[str, str]]:
        """Write outcomes no consumer wrote (one that closed), renew this worker's leases,
        requeue expired ones; returns the rescued rows."""
        outcomes = self.outcomes.take()
        with self.outcomes.settling(outcomes), self.pooled() as raw, raw.cursor() as cur:
            outcomes.write(cur, self.worker_id)
            held = self.outcomes.held_by_queue()
            claims = [claim for queue_claims in held.values() for claim in queue_claims]
            leases = [
                lease for queue, cs in held.items() for lease in [self.queue_limit(queue).lease_seconds] * len(cs)
            ]
            cur.execute(SQL["queue_heartbeat"], {**split(claims), "leases": leases, "owner": self.worker_id})
            cur.execute(SQL["queue_rescue_expired"])
            rescued = [(str(mid), q) for mid, q in cur.fetchall()]
            for queue in sorted({q for _, q in rescued}):
                cur.execute(SQL["queue_notify"], {"queue": queue})
            raw.commit()
        if rescued:
            self.rescued_total += len(rescued)
            logger.warning("rescued %d message(s) whose worker lease expired", len(rescued))
        return rescued

    def close(self) -> None:
        """Stop the heartbeat (waiting for a beat in progress: the database may be dropped next), the listener
        and the consumers; nothing starts again until the next bind()."""
        with self._heartbeat_lock:
            self._closed = True
            self._stop.set()
            beat = self._heartbeat
        if beat is not None and beat is not threading.current_thread():
            beat.join(timeout=10)
        if self.listener is not None:
            self.listener.close()
        Broker.close(self)  # named: mypy then knows the untyped call is dramatiq's

    # --- tests and tools ---------------------------------------------------------------
    def pending(self, queues: Sequence[str] | None = None) -> int:
        """Messages queued or in flight (including delayed ones) in ``queues`` (default: all declared)."""
        with self.pooled() as raw, raw.cursor() as cur:
            cur.execute(SQL["queue_pending_count"], {"queues": list(queues or self.queues)})
            (n,) = cast(tuple[int], cur.fetchone())
            raw.rollback()
        return n

    def join(self, queue_name: str, *, timeout: float | None = None, fail_fast: bool = False) -> None:
        """Wait until ``queue_name`` has nothing queued or in flight.

        Raises:
            dramatiq.QueueJoinTimeout: when ``timeout`` (seconds) passes first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.pending([queue_name]):
            if deadline is not None and time.monotonic() > deadline:
                raise dramatiq.QueueJoinTimeout(queue_name)
            time.sleep(0.02)  # polling the table is the condition; this is its interval

    def get_declared_queues(self) -> set[str]:
        return set(self.queues)

    def get_declared_delay_queues(self) -> set[str]:
        return set()

    def flush(self, queue_name: str) -> None:
        with self.pooled() as raw, raw.cursor() as cur:
            cur.execute(SQL["queue_flush"], {"queue": queue_name})
            raw.commit()

    def flush_all(self) -> None:
        for queue in list(self.queues):
            self.flush(queue)
