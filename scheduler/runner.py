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
from datetime import datetime, timedelta

import psycopg2

from scheduler.schedule import ScheduledJob
from scheduler.ticks import due_ticks, tick_text
from shared.clock import real_seconds
from shared.errors import DatabaseUnavailable
from shared.jobs import tick_id
from shared.locks import period_key
from shared.sql import queries

logger = logging.getLogger("scheduler")
SQL = queries("scheduler")


class Scheduler:
    def __init__(self, runtime, table: dict[str, ScheduledJob]) -> None:
        self.runtime = runtime
        self.table = table
        self.stop_event = threading.Event()

    def enabled(self) -> list[ScheduledJob]:
        return [job for job in self.table.values() if job.enabled]

    def tick_once(self, now: datetime | None = None) -> list[tuple[str, str]]:
        """Enqueue every due tick at ``now``; returns (job, tick) pairs that were new."""
        now = now or self.runtime.clock.now()
        broker = self.runtime.broker
        enqueued: list[tuple[str, str]] = []
        with self.runtime.engine.begin() as conn:
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cur:
                cur.execute(SQL["scheduler_lock_try"])
                if not cur.fetchone()[0]:
                    return []
                cur.execute(SQL["watermark_get_all"])
                marks = dict(cur.fetchall())
            for job in self.enabled():
                ticks = due_ticks(job, marks.get(job.name), now)
                messages = [self._message(job, t) for t in ticks]
                new = set(broker.enqueue_many(messages, conn=conn)) if messages else set()
                enqueued += [(job.name, m.kwargs["tick"]) for m in messages if m.message_id in new]
                with raw.cursor() as cur:
                    cur.execute(SQL["watermark_advance"], {"job": job.name, "at": now})
        for name, tick in enqueued:
            logger.info("enqueued tick %s of %s", tick, name)
        return enqueued

    def _message(self, job: ScheduledJob, tick: datetime):
        text = tick_text(tick)
        period = period_key(tick.astimezone(job.zone), job.spec.period)
        return job.spec.actor.message_with_options(
            kwargs={"tick": text, "args": {}},
            job=job.name,
            trigger="cron",
            tick=text,
            period=period,
        ).copy(message_id=tick_id(job.name, text))

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
                logger.error("scheduler cannot reach the database (%s); retrying in %.1fs", _first_line(exc), backoff)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except Exception as exc:
                if _is_connection_error(exc):
                    logger.error(
                        "scheduler cannot reach the database (%s); retrying in %.1fs", _first_line(exc), backoff
                    )
                    self.stop_event.wait(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                raise
            now = self.runtime.clock.now()
            wait = (self.next_wakeup(now) - now).total_seconds()
            # Wake at least every 5 s so a changed clock or a restart of the
            # database is noticed; ticks are computed from the watermark anyway.
            self.stop_event.wait(max(0.05, min(real_seconds(self.runtime.clock, wait), 5.0)))
        logger.info("scheduler stopped")

    def stop(self) -> None:
        self.stop_event.set()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_connection_error(exc: BaseException) -> bool:
    from sqlalchemy import exc as sa_exc

    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError))
