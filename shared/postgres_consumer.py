"""The consumer side of :mod:`shared.postgres_broker`: claim, ack, reject, release.

Dramatiq runs one consumer per queue in a consumer thread that calls
``__next__`` in a loop; worker threads call ``ack``/``nack`` when a message is
done. Those calls only report the outcome to the broker's ledger
(``shared/outcomes.py``) and wake the consumer thread, which writes all
reported outcomes in one statement per kind, then claims the next batch of due
rows (``FOR UPDATE SKIP LOCKED``, never the whole queue) in the same
transaction. Every claimed row's envelope is validated there
(``shared/envelope.py``): a malformed one is rejected, with a failed
job_history row, before any worker thread sees it. When the broker records
history, the claimed fan-out children's ``running`` rows are written in that transaction
too, and their succeeded outcomes come back through the ledger with the acks:
history costs one statement per cycle, not round trips per message. With nothing due it sleeps
on LISTEN — at most ``poll_seconds`` — and with its claim window full it sleeps
until worker threads have reported enough to claim again (at most
``OUTCOME_DELAY``), then writes their outcomes in the claim's round trip. The
window itself follows the consumer's pace (``shared/claim_window.py``).

A queue with a concurrency cap (``shared/queue_limits.py``) is claimed under a
per-queue lock that counts its running rows first (``queue_claim_capped``); its
claimed-but-unstarted rows count as running, so such a consumer holds no more
rows than its process has threads, and a finished message wakes it at once.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import psycopg2
import psycopg2.extras
from dramatiq.broker import Consumer
from dramatiq.errors import ConnectionError as DramatiqConnectionError
from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from shared import history
from shared.claim_window import ClaimWindow
from shared.claims import Claim, ClaimedMessage, claim_of
from shared.db import outage_errors
from shared.envelope import EnvelopeReader, InvalidEnvelope, rejected_run
from shared.errors import DatabaseUnavailable, first_line
from shared.listener import Listener, enqueue_channel
from shared.lost_connections import GuardedConnection
from shared.outcomes import OutcomeLedger, Outcomes
from shared.redact import redact
from shared.run_record import StartedRun, batchable, run_fields
from shared.sql import queries

if TYPE_CHECKING:
    from shared.clock import Clock
    from shared.queue_limits import QueueLimit
    from shared.settings import Settings

logger = logging.getLogger(__name__)
SQL = queries("queue")
#: Longest a busy consumer leaves reported outcomes unwritten while it waits to claim again (seconds).
OUTCOME_DELAY = 0.1


class ClaimingBroker(Protocol):
    """What a consumer needs of its broker: ``PostgresBroker.consume`` hands it itself.

    A protocol rather than the class, so the consumer does not import the
    broker that imports it.
    """

    @property
    def worker_id(self) -> uuid.UUID: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def outcomes(self) -> OutcomeLedger: ...
    @property
    def listener(self) -> Listener | None: ...
    @property
    def actors(self) -> dict[str, Any]: ...
    def dsn(self) -> str: ...
    def due_now(self, now: datetime) -> datetime | None: ...
    def queue_limit(self, queue_name: str) -> QueueLimit: ...
    def records_history(self) -> bool: ...


class PostgresConsumer(Consumer):
    def __init__(self, *, broker: ClaimingBroker, queue_name: str, prefetch: int, timeout: int) -> None:
        self.broker = broker
        self.ledger = broker.outcomes  # held claims and reported outcomes, shared by the process
        self.queue_name = queue_name
        prefetch = max(1, prefetch)
        self.limit = broker.queue_limit(queue_name)
        fixed = bool(broker.settings.claim_window)  # DRAMATURG_CLAIM_WINDOW: the window Dramatiq passed
        if self.limit.concurrency is not None:
            # Claimed rows hold the queue's slots cluster-wide: never hold rows this process
            # cannot start, so another worker with idle threads is not kept below the cap.
            # Dramatiq prefetches twice its threads (``dramaturg worker --threads`` may differ from the setting).
            threads = min(broker.settings.worker_threads, max(1, prefetch // 2))
            prefetch, fixed = min(prefetch, threads, self.limit.concurrency), True
        self.window = ClaimWindow(prefetch, fixed=fixed)
        self.timeout = timeout / 1000
        self.buffer: deque[ClaimedMessage] = deque()  # claimed, not yet handed to Dramatiq
        self.reader = EnvelopeReader(broker.actors)
        self.channel = enqueue_channel(queue_name)
        self.conn: PgConnection | None = None  # claims and outcomes
        self.records_history = broker.records_history()

    @property
    def held(self) -> list[Claim]:
        """Claims of this queue whose outcome is not written yet."""
        return self.ledger.held(self.queue_name)

    # --- iteration ---------------------------------------------------------------------
    def __iter__(self) -> PostgresConsumer:
        return self

    def __next__(self) -> ClaimedMessage | None:
        try:
            # LISTEN (the process's one listener) before the first claim, so no enqueue slips between them
            self._listener().register(self.channel)
            if not self.buffer:
                # (with claimed rows still to hand out, outcomes wait for the next claim's round trip)
                self._cycle(refill=True)
            if self.buffer:
                return self.buffer.popleft()
            if self.window.size - self.ledger.holding(self.queue_name) < self.window.refill_at:
                # busy: wait until enough is reported to claim again, then write and claim in one go
                self.ledger.wait_until_holding(
                    self.queue_name, self.window.size - self.window.refill_at, min(self.timeout, OUTCOME_DELAY)
                )
            else:
                self._wait_for_notify()
            return None
        except outage_errors() as exc:
            # Dramatiq restarts the consumer after a ConnectionError; back off first.
            time.sleep(min(5.0, self.broker.settings.poll_seconds * 2))
            raise DramatiqConnectionError(first_line(exc)) from None

    def _cycle(self, refill: bool, limit: int | None = None) -> None:
        """One transaction: write every reported outcome (fenced on its claim), then, with
        ``refill``, claim up to ``limit`` rows (default: the free part of the window, once
        at least half of it is free — one claim per several messages). A claimed row that
        is not a valid message is rejected, with a failed job_history row, in the same
        transaction: it never reaches a worker thread."""
        outcomes = self.ledger.take()
        self.window.observe(len(outcomes.settling()), time.monotonic())
        free = self.window.size - self.ledger.holding(self.queue_name, settling=outcomes)
        claim = 0
        if refill:
            claim = limit if limit is not None else (free if free >= self.window.refill_at else 0)
        if not (outcomes or claim):
            return
        owner = self.broker.worker_id
        accepted: list[ClaimedMessage] = []
        try:
            with self.ledger.settling(outcomes):
                conn = self._connection()
                with conn.cursor() as cur:
                    if claim:
                        now = self.broker.clock.now()
                        # The connection is in autocommit: BEGIN and the outcomes ride in the
                        # claim's round trip, and the transaction ends with one COMMIT.
                        before = b";\n".join([b"BEGIN", *filter(None, [outcomes.statement(cur, owner)])])
                        accepted, rejected = self._read(self._claim(cur, claim, now, before))
                        if rejected:
                            self._reject_at_claim(conn, cur, owner, rejected, now)
                        if accepted and self.records_history:
                            self._start_runs(conn, accepted, now)
                        cur.execute("COMMIT")
                    else:
                        # one round trip: a multi-statement query is one transaction of its own
                        outcomes.write(cur, owner)
        except BaseException:
            self._drop_connection()
            raise
        if accepted:
            self.ledger.hold(self.queue_name, [m.claim for m in accepted])
            self.buffer.extend(accepted)

    def _claim(
        self, cur: psycopg2.extensions.cursor, limit: int, now: datetime, before: bytes | None = None
    ) -> list[tuple[Any, ...]]:
        """Claim up to ``limit`` due rows of this queue with its lease — on a capped queue no more
        than its free slots cluster-wide, counted under the queue's lock (held to commit).
        ``before``: statements sent ahead of the claim in its round trip."""
        cap = self.limit.concurrency
        claim = cur.mogrify(
            SQL["queue_claim" if cap is None else "queue_claim_capped"],
            {
                "queue": self.queue_name,
                "now": self.broker.due_now(now),
                "limit": limit,
                "owner": self.broker.worker_id,
                "lease": self.limit.lease_seconds,
                "cap": cap,
            },
        )
        cur.execute(claim if before is None else before + b";\n" + claim)
        return cur.fetchall()

    def _read(self, rows: list[tuple[Any, ...]]) -> tuple[list[ClaimedMessage], list[tuple[Claim, str, str]]]:
        """Validate each claimed row's envelope: (runnable messages, (claim, reason, body) of the rest)."""
        # UPDATE ... RETURNING does not keep the CTE's order: restore FIFO here.
        rows.sort(key=lambda r: (r[3], r[4]))
        accepted: list[ClaimedMessage] = []
        rejected: list[tuple[Claim, str, str]] = []
        for message_id, body, n, _priority, _eta in rows:
            claim = Claim(str(message_id), n)
            try:
                message = self.reader.read(claim.message_id, self.queue_name, body)
            except InvalidEnvelope as exc:
                rejected.append((claim, str(exc), body))
                continue
            if n > message.options.get("retries", 0) + 1:  # more claims than attempts: a worker died
                logger.warning("redelivering %s (claim #%d): a previous worker did not finish it", message_id, n)
            accepted.append(ClaimedMessage(message, claim))
        return accepted, rejected

    def _start_runs(self, conn: PgConnection, accepted: list[ClaimedMessage], now: datetime) -> None:
        """The claimed fan-out children's ``running`` rows, in the claim's transaction.

        The claim commits before any worker thread sees the message, so a run that had
        an effect always has its row: the effect's own (durable) commit comes later in
        the WAL than this one, even with ``synchronous_commit = off`` here. A run whose
        values cannot go into the batch is left to the history middleware.
        """
        batch: list[tuple[ClaimedMessage, dict[str, Any]]] = []
        for message in accepted:
            try:
                fields = run_fields(self.broker, message)
            except Exception:  # the middleware records it, one by one, with its own error handling
                continue
            # Fan-out children only: a run the job API created stays queued until a worker
            # thread starts it, so it can still be cancelled while a worker holds it prefetched.
            if fields["trigger"] == "fanout" and batchable(fields):
                batch.append((message, fields))
        started = history.start_many(conn, [fields for _, fields in batch], now=now)
        for message, fields in batch:
            message.started_run = StartedRun(started.get(message.message_id), fields)

    def _reject_at_claim(
        self, conn: PgConnection, cur: PgCursor, owner: uuid.UUID, rejected: list[tuple[Claim, str, str]], now: datetime
    ) -> None:
        secrets = self.broker.settings.secrets
        runs = []
        for claim, reason, body in rejected:
            reason = redact(reason, secrets)
            logger.error("rejecting message %s: %s", claim.message_id, reason)
            runs.append(rejected_run(claim.message_id, body, reason, self.broker.actors))
        Outcomes(rejects=[(claim, run["error"], None) for (claim, _, _), run in zip(rejected, runs)]).write(cur, owner)
        history.reject_many(conn, runs, now=now)

    def _connection(self) -> PgConnection:
        """This consumer's own connection for claims and outcomes (no pool checkout per cycle)."""
        if self.conn is None:
            try:
                conn = psycopg2.connect(
                    self.broker.dsn(),
                    connect_timeout=max(2, int(self.broker.settings.db_connect_timeout)),
                    application_name="dramaturg-consumer",
                    connection_factory=GuardedConnection,  # a dropped connection is an outage error
                )
            except psycopg2.OperationalError as exc:
                raise DatabaseUnavailable(f"consumer cannot connect: {first_line(exc)}") from None
            self.conn = conn
            psycopg2.extras.register_uuid(conn_or_curs=conn)  # the worker id is a UUID
            # Autocommit: a cycle sends its own BEGIN with its first statement (psycopg2
            # would send it alone first, one more round trip per cycle).
            conn.autocommit = True
            with conn.cursor() as cur:
                # A claim or ack lost in a database crash only means the message is
                # delivered again (at least once, as always): no need to wait for
                # the WAL flush on every cycle.
                cur.execute("SET synchronous_commit = off")
        return self.conn

    def _drop_connection(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None

    def _redact(self, reason: str) -> str:
        # Redact before cutting, so a secret split by the cut cannot survive half-visible.
        return (redact(reason, self.broker.settings.secrets) or "")[:2000]

    # --- outcomes (called from worker threads) -------------------------------------------
    def ack(self, message: ClaimedMessage) -> None:
        # Dramatiq acks a failed message too once Retries re-queued it; the ledger
        # turns that ack into a release if the re-queue could not be written.
        self.ledger.ack(message.claim)
        self._slot_freed()

    def nack(self, message: ClaimedMessage) -> None:
        reason = self._redact(message.options.get("reject_reason") or _reason_from(message))
        self.ledger.reject(message.claim, reason, message.encode().decode())
        self._slot_freed()

    def _slot_freed(self) -> None:
        """On a capped queue, wake this consumer if it sleeps at the cap: it writes the outcome and
        takes the slot at once instead of at its next poll."""
        if self.limit.concurrency is not None:
            self._listener().wake(self.channel)

    def _write_outcomes(self) -> None:
        """Write every reported outcome now (no claim)."""
        self._cycle(refill=False)

    def requeue(self, messages: Iterable[ClaimedMessage]) -> None:
        """Give back messages claimed but not started (worker shutdown or consumer restart)."""
        claims = [c for c in map(claim_of, messages) if c is not None] + [m.claim for m in self.buffer]
        self.buffer.clear()
        if not claims:
            return
        self.ledger.release(claims)
        try:
            self._write_outcomes()
        except Exception as exc:
            # Called while Dramatiq closes a consumer: raising here would kill its
            # consumer thread. The releases stay in the ledger; the heartbeat writes them.
            logger.warning("could not release %d message(s) now (%s); will retry", len(claims), first_line(exc))

    # --- waiting -------------------------------------------------------------------------
    def _wait_for_notify(self) -> None:
        """Sleep until an enqueue on this queue is notified, at most ``poll_seconds``."""
        self._listener().wait(self.channel, min(self.timeout, self.broker.settings.poll_seconds))

    def _listener(self) -> Listener:
        listener = self.broker.listener
        assert listener is not None, "the broker makes its listener when bound, before any consumer"
        return listener

    def close(self) -> None:
        try:
            self.requeue([])  # claimed rows never handed to Dramatiq go back first
            self._write_outcomes()
        except Exception as exc:
            # They stay in the ledger: the heartbeat (or the next consumer) writes them.
            logger.warning("could not write outcomes at close (%s); will retry", first_line(exc))
        self._drop_connection()


def _reason_from(message: ClaimedMessage) -> str:
    exc = getattr(message, "_exception", None)
    if exc is None:
        return "failed"
    return f"{type(exc).__name__}: {exc}"
