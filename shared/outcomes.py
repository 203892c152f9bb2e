"""OutcomeLedger: every claim a worker process holds, until its outcome is written.

The rule it keeps: **an outcome is written once, fenced on its claim, or the
row is released** — never dropped, never written for a claim that is not
the row's current one.

One ledger per broker (process). Its life cycle:

- a consumer **holds** the claims it takes (``hold``); the heartbeat renews
  the leases of every held claim (``held``);
- worker threads **report** outcomes (``ack``, ``reject``, ``release``) and the
  job_history outcome of a succeeded attempt (``succeeded``), so history is
  written with the acks and costs no round trip of its own;
  Dramatiq acks a failed message once Retries re-queued it, so a retry that
  could not be saved is marked first (``retry_not_saved``) and its ack turns
  into a release: the row goes back as it was instead of ending ``done``;
- whoever writes next — a consumer's cycle, in the same transaction as its
  next claim, or the heartbeat, for outcomes left by a consumer that closed —
  **writes** all reported outcomes in one statement per kind (``take``,
  ``Outcomes.write`` inside ``settling``),
  and either they settle (commit) or go back to the ledger for the next
  writer (any failure);
- a released claim stops being renewed at once: if its release cannot be
  written, its lease runs out and the row is rescued anyway.

Outcomes are kept per process, not per consumer, so a consumer that Dramatiq
closes and restarts (a database outage) hands nothing over: its outcomes are
still here.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from psycopg2.extensions import cursor as PgCursor

from shared import history
from shared.claims import Claim, split
from shared.run_record import Finish
from shared.sql import queries

SQL = queries("queue")


@dataclass
class Outcomes:
    """A batch of reported outcomes, taken from the ledger to be written together."""

    acks: list[Claim] = field(default_factory=list)
    releases: list[Claim] = field(default_factory=list)
    #: (claim, reason, the failed message's body or None to keep the row's own)
    rejects: list[tuple[Claim, str, str | None]] = field(default_factory=list)
    #: job_history outcomes of succeeded attempts (their acks follow, in this batch or a later one)
    finishes: list[Finish] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.acks or self.releases or self.rejects or self.finishes)

    def __len__(self) -> int:
        return len(self.acks) + len(self.releases) + len(self.rejects) + len(self.finishes)

    def settling(self) -> list[Claim]:
        """The claims these outcomes end (a release ended its claim when it was reported)."""
        return self.acks + [claim for claim, _, _ in self.rejects]

    def write(self, cur: PgCursor, owner: uuid.UUID) -> None:
        """One statement per kind, each fenced on (message id, claims) and ``owner``, sent
        together in one round trip.

        A row no longer held by that claim — re-queued by a retry, claimed
        again, rescued after our lease expired — is left alone: the fence is the point.
        """
        sql = self.statement(cur, owner)
        if sql is not None:
            cur.execute(sql)

    def statement(self, cur: PgCursor, owner: uuid.UUID) -> bytes | None:
        """What :meth:`write` sends (None when there is nothing), for a caller that sends more in the
        same round trip. psycopg2 interpolates on the client anyway: joining the statements costs
        nothing here and saves a round trip per extra kind."""
        statements: list[tuple[str, dict[str, Any]]] = []
        if self.finishes:
            # History with the acks, in one transaction: a committed ack never leaves its
            # run's row saying running (each finish is fenced on its own attempt).
            statements.append(history.succeed_statement(self.finishes))
        if self.acks:
            statements.append((SQL["queue_ack_many"], {**split(self.acks), "owner": owner}))
        if self.releases:
            statements.append((SQL["queue_release"], {**split(self.releases), "owner": owner}))
        if self.rejects:
            statements.append(
                (
                    SQL["queue_reject_many"],
                    {
                        **split(claim for claim, _, _ in self.rejects),
                        "reasons": [reason for _, reason, _ in self.rejects],
                        "messages": [body for _, _, body in self.rejects],
                        "owner": owner,
                    },
                )
            )
        if not statements:
            return None
        return b";\n".join(cur.mogrify(sql, params) for sql, params in statements)


class OutcomeLedger:
    """Held claims and reported outcomes of one worker process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._held: dict[Claim, str] = {}  # claim → its queue; outcome not yet written
        self._per_queue: Counter[str] = Counter()
        self._unsaved: set[Claim] = set()  # failed attempts whose retry could not be written
        self._pending = Outcomes()

    # --- claims ----------------------------------------------------------------------
    def hold(self, queue: str, claims: Iterable[Claim]) -> None:
        """Claims a consumer of ``queue`` just took."""
        with self._lock:
            for claim in claims:
                if claim not in self._held:
                    self._held[claim] = queue
                    self._per_queue[queue] += 1

    def held(self, queue: str | None = None) -> list[Claim]:
        """The claims whose lease must still be renewed (of ``queue``, or all)."""
        with self._lock:
            return [c for c, q in self._held.items() if queue is None or q == queue]

    def held_by_queue(self) -> dict[str, list[Claim]]:
        """Every claim whose lease must still be renewed, by queue (each queue has its own lease)."""
        with self._lock:
            by_queue: dict[str, list[Claim]] = {}
            for claim, queue in self._held.items():
                by_queue.setdefault(queue, []).append(claim)
            return by_queue

    def holding(self, queue: str, settling: Outcomes | None = None) -> int:
        """Claims of ``queue`` still held once ``settling`` (taken, being written) settles."""
        with self._lock:
            n = self._per_queue[queue]
            if settling:
                n -= sum(1 for claim in settling.settling() if self._held.get(claim) == queue)
            return n

    def _forget(self, claims: Iterable[Claim]) -> None:
        for claim in claims:
            queue = self._held.pop(claim, None)
            if queue is not None:
                self._per_queue[queue] -= 1

    # --- reports (worker threads, consumer threads) -----------------------------------
    def retry_not_saved(self, claim: Claim) -> None:
        """The attempt of ``claim`` failed and its retry could not be written: it is not done."""
        with self._lock:
            self._unsaved.add(claim)

    def ack(self, claim: Claim) -> None:
        with self._lock:
            if claim in self._unsaved:
                self._unsaved.discard(claim)
                self._release([claim])
            else:
                self._pending.acks.append(claim)
            self._lock.notify_all()

    def succeeded(self, finish: Finish) -> None:
        """The job_history outcome of a succeeded attempt; its ack is reported next."""
        with self._lock:
            self._pending.finishes.append(finish)

    def reject(self, claim: Claim, reason: str, body: str | None) -> None:
        with self._lock:
            self._unsaved.discard(claim)
            self._pending.rejects.append((claim, reason, body))
            self._lock.notify_all()

    def release(self, claims: Iterable[Claim]) -> None:
        """Give rows back as they are (claimed but not started, or not done)."""
        with self._lock:
            self._release(list(claims))
            self._lock.notify_all()

    def _release(self, claims: list[Claim]) -> None:
        self._forget(claims)  # stop renewing now: an unwritten release then expires and is rescued
        self._pending.releases.extend(claims)

    # --- writing ---------------------------------------------------------------------
    def has_outcomes(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def wait_until_holding(self, queue: str, at_most: int, timeout: float) -> None:
        """Block until the claims of ``queue`` still held once the reported outcomes settle are
        ``at_most`` (or ``timeout`` seconds pass): a busy consumer then writes them together with
        its next claim, one round trip, instead of a write per report."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._per_queue[queue] - self._settled_by_pending(queue) > at_most:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._lock.wait(left)

    def _settled_by_pending(self, queue: str) -> int:
        return sum(1 for claim in self._pending.settling() if self._held.get(claim) == queue)

    def take(self) -> Outcomes:
        with self._lock:
            taken, self._pending = self._pending, Outcomes()
        return taken

    def restore(self, outcomes: Outcomes) -> None:
        """Outcomes that could not be written go back, ahead of newer ones."""
        with self._lock:
            self._pending.acks[:0] = outcomes.acks
            self._pending.releases[:0] = outcomes.releases
            self._pending.rejects[:0] = outcomes.rejects
            self._pending.finishes[:0] = outcomes.finishes

    def settle(self, outcomes: Outcomes) -> None:
        with self._lock:
            self._forget(outcomes.settling())

    @contextmanager
    def settling(self, outcomes: Outcomes) -> Iterator[Outcomes]:
        """Around writing ``outcomes`` (taken with :meth:`take`) and committing them.

        Leaving the block normally settles them; any error puts them back in
        the ledger for the next writer::

            outcomes = ledger.take()
            with ledger.settling(outcomes), connection() as conn, conn.cursor() as cur:
                outcomes.write(cur, owner)
                conn.commit()
        """
        try:
            yield outcomes
        except BaseException:
            self.restore(outcomes)
            raise
        self.settle(outcomes)
