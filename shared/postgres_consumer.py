"""The consumer side of :mod:`shared.postgres_broker`: claim, ack, reject, release.

Dramatiq runs one consumer per queue in a consumer thread that calls
``__next__`` in a loop; worker threads call ``ack``/``nack`` when a message is
done. Those calls only queue the outcome and wake the consumer thread, which
writes all queued outcomes in one statement per kind, then claims the next
batch of due rows (``FOR UPDATE SKIP LOCKED``, never the whole queue). With
nothing due it sleeps on LISTEN — at most ``poll_seconds`` — and with every
slot busy it sleeps until a worker thread reports back.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections import deque

import psycopg2
import psycopg2.extras
from dramatiq.broker import Consumer, MessageProxy
from dramatiq.errors import ConnectionError as DramatiqConnectionError
from dramatiq.message import Message

from shared.errors import DatabaseUnavailable
from shared.redact import redact
from shared.sql import queries

logger = logging.getLogger(__name__)
SQL = queries("queue")


class PostgresConsumer(Consumer):
    def __init__(self, *, broker, queue_name: str, prefetch: int, timeout: int) -> None:
        self.broker = broker
        self.queue_name = queue_name
        self.prefetch = max(1, prefetch)
        self.timeout = timeout / 1000
        self.buffer: deque[Message] = deque()  # claimed, not yet handed to Dramatiq
        self.held: set[str] = set()  # claimed by us, outcome not yet written
        # Outcomes reported by worker threads, written by the consumer thread.
        self.reported = threading.Condition()
        self.pending_acks: list[str] = []
        self.pending_releases: list[str] = []  # failed, retry not written: back to the queue as is
        self.pending_rejects: list[tuple[str, str, str | None]] = []
        self.listen_conn = None
        self.conn = None  # claims and outcomes
        self.closed = False

    # --- iteration ---------------------------------------------------------------------
    def __iter__(self):
        return self

    def __next__(self):
        try:
            self._listen()  # LISTEN before the first claim, so no enqueue slips between them
            self._cycle(refill=not self.buffer)
            free = self.prefetch - len(self.held)
            if self.buffer:
                return MessageProxy(self.buffer.popleft())
            if free < max(1, self.prefetch // 2):
                with self.reported:  # busy: wait for a worker thread to report an outcome
                    if not self._has_outcomes():
                        self.reported.wait(min(self.timeout, 0.5))
            else:
                self._wait_for_notify()
            return None
        except (DatabaseUnavailable, psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            self._drop_listen()
            # Dramatiq restarts the consumer after a ConnectionError; back off first.
            time.sleep(min(5.0, self.broker.settings.poll_seconds * 2))
            raise DramatiqConnectionError(str(exc)) from None

    def _cycle(self, refill: bool, limit: int | None = None) -> None:
        """One transaction: write every reported outcome (fenced on our lease), then, with
        ``refill``, claim up to ``limit`` rows (default: the free part of the window, once
        at least half of it is free — one claim per several messages)."""
        acks, releases, rejects = self._take_outcomes()
        # Released rows may be claimed again at once, even by this process: stop
        # tracking them first so our bookkeeping never un-tracks the new claim.
        self._forget(releases)
        settled = set(acks) | {r[0] for r in rejects}
        free = self.prefetch - len(self.held - settled)
        claim = 0
        if refill:
            claim = limit if limit is not None else (free if free >= max(1, self.prefetch // 2) else 0)
        if not (acks or releases or rejects or claim):
            return
        owner = self.broker.worker_id
        rows: list = []
        try:
            conn = self._connection()
            with conn.cursor() as cur:
                if acks:
                    # A row no longer leased to us (re-queued by a retry, or rescued
                    # after our lease expired) is skipped: the fence is the point.
                    cur.execute(SQL["queue_ack_many"], {"ids": acks, "owner": owner})
                if releases:
                    cur.execute(SQL["queue_release"], {"ids": releases, "owner": owner})
                for message_id, reason, body in rejects:
                    cur.execute(
                        SQL["queue_reject"],
                        {"id": message_id, "reason": self._redact(reason), "message": body, "owner": owner},
                    )
                if claim:
                    cur.execute(
                        SQL["queue_claim"],
                        {
                            "queue": self.queue_name,
                            "now": self.broker.due_now(self.broker.clock.now()),
                            "limit": claim,
                            "owner": owner,
                            "lease": self.broker.settings.lease_seconds,
                        },
                    )
                    rows = cur.fetchall()
            conn.commit()
        except BaseException:
            self._drop_connection()
            with self.reported:  # keep them for the next turn (or the broker, at close)
                self.pending_acks[:0], self.pending_releases[:0], self.pending_rejects[:0] = acks, releases, rejects
            raise
        self._forget(acks + [r[0] for r in rejects])
        self._accept(rows)

    def _accept(self, rows) -> None:
        # UPDATE ... RETURNING does not keep the CTE's order: restore FIFO here.
        rows.sort(key=lambda r: (r[3], r[4]))
        for message_id, body, claims, _priority, _eta in rows:
            message_id = str(message_id)
            self.held.add(message_id)
            self.broker.track([message_id])
            try:
                message = Message.decode(body.encode("utf-8"))
            except Exception as exc:  # a poison row must not stop the queue
                self._poison(message_id, f"undecodable message: {type(exc).__name__}: {exc}")
                continue
            if message.actor_name not in self.broker.actors:
                self._poison(message_id, f"unknown actor {message.actor_name!r}")
                continue
            if claims > message.options.get("retries", 0) + 1:  # more claims than attempts: a worker died holding it
                logger.warning("redelivering %s (claim #%d): a previous worker did not finish it", message_id, claims)
            self.buffer.append(message)

    def _connection(self):
        """This consumer's own connection for claims and outcomes (no pool checkout per cycle)."""
        if self.conn is None:
            try:
                self.conn = psycopg2.connect(
                    self._dsn(),
                    connect_timeout=max(2, int(self.broker.settings.db_connect_timeout)),
                    application_name="dramaturg-consumer",
                )
            except psycopg2.OperationalError as exc:
                raise DatabaseUnavailable(f"consumer cannot connect: {_first_line(exc)}") from None
            psycopg2.extras.register_uuid(conn_or_curs=self.conn)  # the worker id is a UUID
            with self.conn.cursor() as cur:
                # A claim or ack lost in a database crash only means the message is
                # delivered again (at least once, as always): no need to wait for
                # the WAL flush on every cycle.
                cur.execute("SET synchronous_commit = off")
            self.conn.commit()
        return self.conn

    def _drop_connection(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None

    def _dsn(self) -> str:
        return self.broker.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _redact(self, reason: str) -> str:
        # Redact before cutting, so a secret split by the cut cannot survive half-visible.
        return (redact(reason, self.broker.settings.secrets) or "")[:2000]

    def _poison(self, message_id: str, reason: str) -> None:
        logger.error("rejecting message %s: %s", message_id, reason)
        with self.reported:
            self.pending_rejects.append((message_id, reason, None))

    # --- outcomes (called from worker threads) -------------------------------------------
    def ack(self, message) -> None:
        # Dramatiq acks a failed message too once Retries re-queued it; if that
        # re-queue could not be written, the message is not done: give it back.
        not_done = self.broker.take_unackable(message.message_id)
        if self.closed:  # Dramatiq restarted this consumer; the outcome is still ours to write
            self.broker.adopt(**({"releases": [message.message_id]} if not_done else {"acks": [message.message_id]}))
            return
        with self.reported:
            (self.pending_releases if not_done else self.pending_acks).append(message.message_id)
            self.reported.notify()

    def nack(self, message) -> None:
        reason = message.options.get("reject_reason") or _reason_from(message)
        if self.closed:
            self.broker.adopt(rejects=[(message.message_id, reason, message.encode().decode())])
            return
        with self.reported:
            self.pending_rejects.append((message.message_id, reason, message.encode().decode()))
            self.reported.notify()

    def _has_outcomes(self) -> bool:
        return bool(self.pending_acks or self.pending_releases or self.pending_rejects)

    def _take_outcomes(self):
        with self.reported:
            taken = self.pending_acks, self.pending_releases, self.pending_rejects
            self.pending_acks, self.pending_releases, self.pending_rejects = [], [], []
        return taken

    def _write_outcomes(self) -> None:
        """Write every reported outcome now (no claim)."""
        self._cycle(refill=False)

    def requeue(self, messages) -> None:
        """Give back messages claimed but not started (worker shutdown or consumer restart)."""
        ids = [m.message_id for m in messages] + [m.message_id for m in self.buffer]
        self.buffer.clear()
        if not ids:
            return
        try:
            conn = self._connection()
            with conn.cursor() as cur:
                cur.execute(SQL["queue_release"], {"ids": ids, "owner": self.broker.worker_id})
            conn.commit()
            self._forget(ids)
        except Exception as exc:
            # Called while Dramatiq closes a consumer: raising here would kill its
            # consumer thread. The broker's heartbeat writes the release later.
            logger.warning("could not release %d message(s) now (%s); will retry", len(ids), exc)
            self.broker.adopt(releases=ids)

    def _forget(self, ids) -> None:
        self.held.difference_update(ids)
        self.broker.untrack(ids)

    # --- waiting -------------------------------------------------------------------------
    def _wait_for_notify(self) -> None:
        wait = min(self.timeout, self.broker.settings.poll_seconds)
        conn = self._listen()
        if conn is None:
            time.sleep(wait)
            return
        if select.select([conn], [], [], wait) != ([], [], []):
            conn.poll()
            conn.notifies.clear()

    def _listen(self):
        if self.listen_conn is None:
            try:
                conn = psycopg2.connect(self._dsn(), connect_timeout=5, application_name="dramaturg-listen")
            except psycopg2.OperationalError:
                return None  # claims still poll; LISTEN is only a wake-up hint
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("LISTEN " + _quote_channel(f"dramatiq.{self.queue_name}.enqueue"))
            self.listen_conn = conn
        return self.listen_conn

    def _drop_listen(self) -> None:
        if self.listen_conn is not None:
            try:
                self.listen_conn.close()
            except Exception:
                pass
            self.listen_conn = None

    def close(self) -> None:
        self.closed = True
        try:
            self._write_outcomes()
        except Exception as exc:
            acks, releases, rejects = self._take_outcomes()
            logger.warning(
                "could not write %d outcome(s) at close (%s); will retry", len(acks) + len(releases) + len(rejects), exc
            )
            self.broker.adopt(acks=acks, releases=releases, rejects=rejects)
        self._drop_listen()
        self._drop_connection()


def _quote_channel(name: str) -> str:
    # Queue names are validated by Dramatiq ([a-zA-Z_][a-zA-Z0-9._-]*), so a
    # double-quoted identifier is safe; LISTEN cannot take a bind parameter.
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _reason_from(message) -> str:
    exc = getattr(message, "_exception", None)
    if exc is None:
        return "failed"
    return f"{type(exc).__name__}: {exc}"
