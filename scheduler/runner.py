"""The scheduler process: wake at each cron instant, enqueue due ticks, advance watermarks.

It keeps periodiq's model — one small process that sends messages for
cron-declared actors — and owns what periodiq gets wrong: ticks get a
deterministic id from (job, tick time) and are enqueued idempotently in the
same transaction that advances the persisted watermark, so two schedulers, a
restart or a catch-up never double-fire; missed ticks follow each job's
policy; cron is evaluated in each job's zone, DST-correct.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any, cast

import psycopg2
from dramatiq.message import Message
from sqlalchemy import exc as sa_exc

from scheduler.schedule import ScheduledJob
from scheduler.ticks import due_ticks, tick_text
from shared import clock_guard
from shared.app import App
from shared.clock import real_seconds
from shared.db import pg_connection
from shared.errors import DatabaseUnavailable, first_line
from shared.jobs import tick_id
from shared.locks import period_key
from shared.sql import queries

logger = logging.getLogger("scheduler")
SQL = queries("scheduler")


class Scheduler:
    def __init__(self, app: App, table: dict[str, ScheduledJob]) -> None:
        self.app = app
        self.table = table
        self.stop_event = threading.Event()
        self.process = clock_guard.process_name("scheduler")
        # How far the reference clock is ahead of ours, from the last tick: the
        # wait for the next cron instant is measured on the reference.
        self.offset = timedelta(0)
        self._refusing_since: float | None = None
        self._last_refusal_log = 0.0

    def enabled(self) -> list[ScheduledJob]:
        return [job for job in self.table.values() if job.enabled]

    def tick_once(self, now: datetime | None = None) -> list[tuple[str, str]]:
        """Enqueue every due tick; returns the (job, tick) pairs that were new.

        Due-ness and lateness are judged at the reference instant of
        :mod:`shared.clock_guard` (the database's clock, or the database's
        simulated timeline), so schedulers whose clocks differ within the
        tolerance agree on every tick; a scheduler beyond it ticks nothing.
        ``now`` stands for this scheduler's clock (tests).
        """
        broker = self.app.broker
        enqueued: list[tuple[str, str]] = []
        with self.app.engine.begin() as conn:
            raw = pg_connection(conn)
            with raw.cursor() as cur:
                # A scheduler frozen inside this transaction (SIGSTOP, a hung host) must not
                # hold the scheduler lock, and so every other scheduler's round, forever.
                cur.execute(SQL["scheduler_transaction_timeout"])
            reading = clock_guard.read(raw, self.app.clock, self.app.settings.max_clock_skew, at=now)
            clock_guard.record(raw, self.process, "scheduler", reading)
            if not reading.trusted:
                self._refuse(reading)
                return []
            self._accept(reading)
            now = reading.reference_at
            with raw.cursor() as cur:
                cur.execute(SQL["scheduler_lock_try"])
                if not cast(tuple[bool], cur.fetchone())[0]:
                    return []
                cur.execute(SQL["watermark_get_all"])
                marks = dict(cur.fetchall())
            for job in self.enabled():
                mark = marks.get(job.name)
                if mark is not None and mark > reading.ceiling:
                    logger.error(
                        "watermark of %s is %s, ahead of the database's clock (%s): resetting it; "
                        "ticks are taken from now on as at a first start",
                        job.name,
                        mark.isoformat(),
                        now.isoformat(),
                    )
                    mark = None
                ticks = due_ticks(job, mark, now)
                messages = [self._message(job, t) for t in ticks]
                new = set(broker.enqueue_many(messages, conn=conn)) if messages else set()
                enqueued += [(job.name, m.kwargs["tick"]) for m in messages if m.message_id in new]
                with raw.cursor() as cur:
                    cur.execute(
                        SQL["watermark_advance" if marks.get(job.name) == mark else "watermark_reset"],
                        {"job": job.name, "at": now},
                    )
        for name, tick in enqueued:
            logger.info("enqueued tick %s of %s", tick, name)
        return enqueued

    def _refuse(self, reading: clock_guard.ClockReading) -> None:
        # Loud, but not a line per wake-up: when it starts, then once a minute.
        first = self._refusing_since is None
        if first:
            self._refusing_since = time.monotonic()
        if first or time.monotonic() - self._last_refusal_log >= 60:
            self._last_refusal_log = time.monotonic()
            logger.error(
                "!!! scheduler refuses to tick: %s. No tick is enqueued until this is fixed. !!!", reading.problem
            )

    def _accept(self, reading: clock_guard.ClockReading) -> None:
        if self._refusing_since is not None:
            logger.warning("scheduler clock agrees with the database again (skew %+.1fs): ticking", reading.skew)
            self._refusing_since = None
        self.offset = reading.reference_at - reading.clock_at

    def _message(self, job: ScheduledJob, tick: datetime) -> Message[Any]:
        text = tick_text(tick)
        period = period_key(tick.astimezone(job.zone), job.spec.period)
        message: Message[Any] = job.spec.actor.message_with_options(
            kwargs={"tick": text, "args": {}},
            job=job.name,
            trigger="cron",
            tick=text,
            period=period,
        ).copy(message_id=tick_id(job.name, text))
        return message

    def next_wakeup(self, now: datetime) -> datetime:
        jobs = self.enabled()
        if not jobs:
            return now + timedelta(minutes=1)
        return min(job.cron.next_fire(now, job.zone) for job in jobs)

    def run(self) -> None:
        """Loop until :meth:`stop`; a database outage is logged and retried with backoff."""
        logger.info(
            "scheduler started with %d enabled job(s): %s",
            len(self.enabled()),
            ", ".join(f"{j.name} [{j.cron}]" for j in self.enabled()),
        )
        backoff = 0.5
        while not self.stop_event.is_set():
            try:
                self.tick_once()
                backoff = 0.5
            except (DatabaseUnavailable, psycopg2.OperationalError, psycopg2.InterfaceError, OSError) as exc:
                logger.error("scheduler cannot reach the database (%s); retrying in %.1fs", first_line(exc), backoff)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except Exception as exc:
                if _is_connection_error(exc):
                    logger.error(
                        "scheduler cannot reach the database (%s); retrying in %.1fs", first_line(exc), backoff
                    )
                    self.stop_event.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                raise
            now = self.app.clock.now() + self.offset
            wait = (self.next_wakeup(now) - now).total_seconds()
            # Wake at least every 5 s so a changed clock or a restart of the
            # database is noticed; ticks are computed from the watermark anyway.
            self.stop_event.wait(max(0.05, min(real_seconds(self.app.clock, wait), 5.0)))
        logger.info("scheduler stopped")

    def stop(self) -> None:
        self.stop_event.set()


def _is_connection_error(exc: BaseException) -> bool:
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError))
