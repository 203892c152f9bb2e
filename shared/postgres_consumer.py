"""The consumer side of :mod:`shared.postgres_broker`: claim, ack, reject, release.

Dramatiq runs one consumer per queue in its consumer thread, calls
``__next__`` in a loop, and routes acks/nacks back through the same thread.
This consumer claims up to ``prefetch`` due rows at a time (never the whole
queue), buffers them, and sleeps on LISTEN — or at most ``poll_seconds`` —
when nothing is due. Acks queued during one loop turn are written in one
statement at the next turn.
"""

from __future__ import annotations

import logging
import select
import time
from collections import deque

import psycopg2
from dramatiq.broker import Consumer, MessageProxy
from dramatiq.errors import ConnectionError as DramatiqConnectionError
from dramatiq.message import Message

from shared.errors import DatabaseUnavailable
from shared.sql import queries

logger = logging.getLogger(__name__)
SQL = queries("queue")


class PostgresConsumer(Consumer):
    def __init__(self, *, broker, queue_name: str, prefetch: int, timeout: int) -> None:
        self.broker = broker
        self.queue_name = queue_name
        self.prefetch = max(1, prefetch)
        self.timeout = timeout / 1000
        self.buffer: deque[Message] = deque()
        self.held: set[str] = set()  # claimed by us, not yet acked/rejected/released
        self.pending_acks: list[str] = []
        self.pending_releases: list[str] = []  # failed, retry not written: back to the queue as is
        self.listen_conn = None

    # --- iteration ---------------------------------------------------------------------
    def __iter__(self):
        return self

    def __next__(self):
        try:
            self._listen()  # LISTEN before the first claim, so no enqueue slips between them
            self._flush_acks()
            if not self.buffer and len(self.held) < self.prefetch:
                self._claim(self.prefetch - len(self.held))
            if self.buffer:
                return MessageProxy(self.buffer.popleft())
            if len(self.held) >= self.prefetch:
                # Every slot is busy: acks arrive through this same thread, so
                # return quickly to let Dramatiq hand them to us.
                time.sleep(0.005)
            else:
                self._wait_for_notify()
            return None
        except (DatabaseUnavailable, psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            self._drop_listen()
            # Dramatiq restarts the consumer after a ConnectionError; back off first.
            time.sleep(min(5.0, self.broker.settings.poll_seconds * 2))
            raise DramatiqConnectionError(str(exc)) from None

    def _claim(self, limit: int) -> None:
        params = {
            "queue": self.queue_name,
            "now": self.broker.clock.now(),
            "limit": limit,
            "owner": self.broker.worker_id,
            "lease": self.broker.settings.lease_seconds,
        }
        with self.broker.pooled() as raw, raw.cursor() as cur:
            cur.execute(SQL["queue_claim"], params)
            rows = cur.fetchall()
            raw.commit()
        # UPDATE ... RETURNING does not keep the CTE's order: restore FIFO here.
        rows.sort(key=lambda r: (r[3], r[4]))
        for message_id, body, claims, _priority, _eta in rows:
            message_id = str(message_id)
            self.held.add(message_id)
            self.broker.track([message_id])
            try:
                message = Message.decode(body.encode("utf-8"))
            except Exception as exc:  # a poison row must not stop the queue
                self._reject_poison(message_id, f"undecodable message: {type(exc).__name__}: {exc}")
                continue
            if message.actor_name not in self.broker.actors:
                self._reject_poison(message_id, f"unknown actor {message.actor_name!r}")
                continue
            if claims > message.options.get("retries", 0) + 1:  # more claims than attempts: a worker died holding it
                logger.warning("redelivering %s (claim #%d): a previous worker did not finish it", message_id, claims)
            self.buffer.append(message)

    def _reject_poison(self, message_id: str, reason: str) -> None:
        logger.error("rejecting message %s: %s", message_id, reason)
        self._reject(message_id, reason, None)

    # --- ack / nack ----------------------------------------------------------------------
    def ack(self, message) -> None:
        if message.message_id in self.broker._unackable:
            self.broker._unackable.discard(message.message_id)
            # Not done: give the row back (now, or when the database answers again);
            # if this worker dies first, its lease expires and it is rescued.
            self.pending_releases.append(message.message_id)
            return
        self.pending_acks.append(message.message_id)
        if len(self.pending_acks) >= 256:
            self._flush_acks()

    def _flush_acks(self) -> None:
        if self.pending_releases:
            ids, self.pending_releases = self.pending_releases, []
            try:
                self._release(ids)
            except BaseException:
                self.pending_releases[:0] = ids
                raise
        if not self.pending_acks:
            return
        ids, self.pending_acks = self.pending_acks, []
        try:
            with self.broker.pooled() as raw, raw.cursor() as cur:
                cur.execute(SQL["queue_ack_many"], {"ids": ids, "owner": self.broker.worker_id})
                acked = {str(r[0]) for r in cur.fetchall()}
                raw.commit()
        except BaseException:
            self.pending_acks[:0] = ids  # keep them; Dramatiq retries post-processing
            raise
        stale = [i for i in ids if i not in acked]
        if stale:
            # Either a retry re-queued it (normal) or our lease expired and another
            # worker owns it now: the fence refuses the ack, which is the point.
            logger.debug("ack skipped for %d message(s) no longer leased to this worker", len(stale))
        self._forget(ids)

    def nack(self, message) -> None:
        reason = message.options.get("reject_reason") or _reason_from(message)
        self._reject(message.message_id, reason, message.encode().decode())

    def _reject(self, message_id: str, reason: str, body: str | None) -> None:
        with self.broker.pooled() as raw, raw.cursor() as cur:
            cur.execute(SQL["queue_reject"], {"id": message_id, "reason": reason, "message": body, "owner": self.broker.worker_id})
            raw.commit()
        self._forget([message_id])

    def requeue(self, messages) -> None:
        ids = [m.message_id for m in messages] + [m.message_id for m in self.buffer]
        self.buffer.clear()
        if not ids:
            return
        try:
            self._release(ids)
        except Exception as exc:
            # Called while Dramatiq closes a consumer: raising here would kill its
            # consumer thread. The broker's heartbeat writes the release later.
            logger.warning("could not release %d message(s) now (%s); will retry", len(ids), exc)
            self.broker.adopt(releases=ids)

    def _release(self, ids: list[str]) -> None:
        with self.broker.pooled() as raw, raw.cursor() as cur:
            cur.execute(SQL["queue_release"], {"ids": ids, "owner": self.broker.worker_id})
            raw.commit()
        self._forget(ids)

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
            dsn = self.broker.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            try:
                conn = psycopg2.connect(dsn, connect_timeout=5, application_name="dramaturg-listen")
            except psycopg2.OperationalError:
                return None  # claims still poll; LISTEN is only a wake-up hint
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("LISTEN %s" % _quote_channel(f"dramatiq.{self.queue_name}.enqueue"))
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
        try:
            self._flush_acks()
        except Exception as exc:
            logger.warning("could not write %d ack(s) at close (%s); will retry", len(self.pending_acks), exc)
            self.broker.adopt(acks=self.pending_acks, releases=self.pending_releases)
            self.pending_acks, self.pending_releases = [], []
        self._drop_listen()


def _quote_channel(name: str) -> str:
    # Queue names are validated by Dramatiq ([a-zA-Z_][a-zA-Z0-9._-]*), so a
    # double-quoted identifier is safe; LISTEN cannot take a bind parameter.
    return '"' + name.replace('"', '""') + '"'


def _reason_from(message) -> str:
    exc = getattr(message, "_exception", None)
    if exc is None:
        return "failed"
    return f"{type(exc).__name__}: {exc}"[:2000]
