"""The two actor shapes every job uses: a cron actor and its per-entity child.

``@cron_job(...)`` declares a Dramatiq actor on the ``cron`` queue and
registers the job. Its function gets a :class:`JobContext`: a session in one
transaction that already holds the (job, period) advisory lock, the instant
it runs for (the tick's own time on a catch-up), and :meth:`JobContext.fan_out`
to enqueue children in that same transaction.

``@item_actor(...)`` declares a child: the payload is validated with pydantic
first (a bad payload fails at once, never retried), then the function runs
as ``fn(ctx, payload)`` in one transaction; ``ctx.session``, ``ctx.now``.

``fan_out(..., chunk=N)`` sends one message per N entities instead of one per
entity: the child's function still runs once per entity, all N in the
message's one transaction (see :meth:`JobContext.fan_out` for the trade-off).

Both return the number of items they processed (or a dict with
``items_processed``); it lands in job_history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import dramatiq
from dramatiq.errors import Retry
from dramatiq.middleware import CurrentMessage, SkipMessage
from pydantic import BaseModel, ValidationError

from shared import locks
from shared.app import App
from shared.broker import broker
from shared.context import current_run
from shared.errors import PayloadError
from shared.jobs import CHUNK_KEY, JobSpec, child_id, chunk_payloads, validate_spec
from shared.middleware.app_context import AppContext
from shared.postgres_broker import raw_connection_of
from shared.queues import CRON

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from sqlalchemy.sql import Executable

FANOUT_BATCH = 5000
#: How many entity ids a run's log lines name at most.
LOGGED_ENTITIES = 10
CRON_PRIORITY = -10
#: The payload model of an item actor.
P = TypeVar("P", bound=BaseModel)


@dataclass
class JobContext:
    """What a cron job's function sees."""

    session: Session
    now: datetime  # the instant the run is for (tick time, or the clock at a manual trigger)
    period: str
    job: str
    args: dict[str, Any]
    app: App
    #: The domain's own validated settings (``config=`` on the decorator), else None.
    config: Any
    run_id: int | None
    trigger: str
    children: int = 0  # new children enqueued by fan_out; job_history.result records it
    #: The first entity keys fanned out, for the run's outcome log line (``entities=…``).
    entity_keys: list[str] = field(default_factory=list)

    def pages(self, query: Executable, params: dict[str, Any], *, page_size: int) -> Iterator[Any]:
        """The first column of a keyset-paged ``query``, page by page, so a large table
        never sits in memory at once. The query takes ``%(after)s`` (the last key of the
        previous page, as text; NULL at first) and ``%(page)s`` (the page size)."""
        after = None
        while True:
            page = self.session.execute(query, {**params, "after": after, "page": page_size}).scalars().all()
            yield from page
            if len(page) < page_size:
                return
            after = str(page[-1])

    def child_message(
        self, child: dramatiq.Actor[..., Any], entity: str, payload: dict[str, Any], *, key_period: str | None = None
    ) -> dramatiq.Message[Any]:
        """The message of one child: linked to this run, with the id (job, entity, period) as its idempotency key.

        ``key_period`` replaces the period in the key when an entity must be handled
        once ever rather than once per period (e.g. a scheduled event's delivery).
        """
        # Built directly (what ``message_with_options(...).copy(message_id=...)`` builds, without a
        # random id made and thrown away per child): the parent of a large fan-out builds 100,000.
        return dramatiq.Message(
            queue_name=child.queue_name,
            actor_name=child.actor_name,
            args=(),
            kwargs=payload,
            options={"job": self.job, "trigger": "fanout", "parent_run_id": self.run_id, "period": self.period},
            message_id=child_id(self.job, entity, key_period or self.period),
        )

    def fan_out(
        self,
        child: dramatiq.Actor[..., Any],
        items: Iterable[tuple[str, dict[str, Any]]],
        *,
        batch: int = FANOUT_BATCH,
        key_period: str | None = None,
        chunk: int = 1,
    ) -> int:
        """Enqueue one ``child`` message per ``(entity_key, payload)`` in this transaction.

        Each child's id is derived from (job, entity, period), so a re-run for the
        same period enqueues nothing twice. Returns how many messages were new.

        ``chunk=N`` (N > 1) puts N consecutive entities in one message (its id derived
        from all N keys): the child runs its function once per entity, in order, all in
        the message's one transaction, and its history row counts the entities. Every
        per-message cost (claim, history row, commit) is paid once per N entities. The
        price: one entity's error rolls back and retries the whole chunk (and fails it
        for good after the last retry, calling ``on_exhausted`` for each of its
        entities), the transaction holds all N entities' row locks at once, and the
        history row names the chunk, not each entity. Per-entity exactly-once still
        rests on the child's own marker: a chunk rerun after a crash, or a chunk
        regrouped differently by a re-run of the period, finds each entity's marker.
        """
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1, got {chunk}")
        new = 0
        messages = self._messages(child, items, key_period, chunk)
        pending: list[Any] = []
        conn = raw_connection_of(self.session)  # this run's transaction, taken once
        # While one batch is COPYed (the driver lets go of the GIL), the next is built and
        # encoded: a 100,000-child parent takes about the longer of the two, not their sum.
        # One batch in flight at a time, on the same connection, so the batches land in order.
        broker = self.app.broker
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dramaturg-fan-out") as sender:
            in_flight: Future[list[str]] | None = None
            for message in messages:
                pending.append(message)
                if len(pending) >= batch:
                    # encoded here, so the sender only sends: encoding took a third of its time
                    prepared = broker.prepare_many(pending)
                    if in_flight is not None:
                        new += len(in_flight.result())
                    in_flight = sender.submit(broker.send_prepared, prepared, conn=conn)
                    pending = []
            if in_flight is not None:
                new += len(in_flight.result())
        if pending:
            new += len(broker.enqueue_many(pending, conn=conn))
        self.children += new
        return new

    def _messages(
        self,
        child: dramatiq.Actor[..., Any],
        items: Iterable[tuple[str, dict[str, Any]]],
        key_period: str | None,
        chunk: int,
    ) -> Iterator[dramatiq.Message[Any]]:
        keys: list[str] = []
        payloads: list[dict[str, Any]] = []
        for entity, payload in items:
            key = str(entity)
            if len(self.entity_keys) < LOGGED_ENTITIES:
                self.entity_keys.append(key)
            if chunk == 1:
                yield self.child_message(child, key, payload, key_period=key_period)
                continue
            keys.append(key)
            payloads.append(payload)
            if len(keys) == chunk:
                yield self._chunk_message(child, keys, payloads, key_period)
                keys, payloads = [], []
        if keys:
            yield self._chunk_message(child, keys, payloads, key_period)

    def _chunk_message(
        self, child: dramatiq.Actor[..., Any], keys: list[str], payloads: list[dict[str, Any]], key_period: str | None
    ) -> dramatiq.Message[Any]:
        # The id names every key of the chunk: a re-run grouping the same entities alike
        # enqueues nothing twice; any other grouping is a new message whose entities the
        # child's own markers guard.
        digest = hashlib.sha1("\x1f".join(keys).encode("utf-8"), usedforsecurity=False).hexdigest()
        return self.child_message(child, f"chunk:{len(keys)}:{digest}", {CHUNK_KEY: payloads}, key_period=key_period)


@dataclass
class ItemContext:
    """What a child actor's function sees."""

    session: Session
    now: datetime
    period: str  # the fan-out's period, or the minute it runs in when sent directly
    app: App
    #: The domain's own validated settings (``config=`` on the decorator), else None.
    config: Any
    run_id: int | None


def _record(out: object, children: int = 0) -> None:
    info = current_run()
    if info is None:
        return
    if isinstance(out, dict):
        info.items_processed = out.get("items_processed")
        info.result = dict(out)
    elif isinstance(out, int):
        info.items_processed = out
    if children:
        # Lets a waiter (``trigger --wait``) know how many children to wait for,
        # including those no worker has started yet.
        info.result = {**(info.result or {}), "children_enqueued": children}


def _chunk_outcome(outs: list[Any]) -> dict[str, Any]:
    """A chunk's result: how many of its entities the function counted as processed."""
    processed = 0
    for out in outs:
        if isinstance(out, dict):
            processed += int(out.get("items_processed") or 0)
        elif isinstance(out, int):
            processed += out
    return {"items_processed": processed, "entities": len(outs)}


def _refuse_future_tick(job: str, tick: datetime, rt: App) -> None:
    # A tick for a period that has not happened (a hand-made message, a producer with a
    # clock far ahead) would apply that period early and move the job's own watermarks
    # past it; the scheduler never sends one, and a deliberate replay says so.
    limit = rt.clock.now() + timedelta(seconds=rt.settings.max_clock_skew)
    if tick > limit:
        raise PayloadError(
            f"tick {tick.isoformat()} of {job} is in the future (this worker's clock reads "
            f"{rt.clock.now().isoformat()}); refusing to run a period that has not happened "
            "(trigger it with --replay to do so deliberately)"
        )


def _message_id() -> str | None:
    message = CurrentMessage.get_current_message()
    return message.message_id if message is not None else None


def _message_options() -> dict[str, Any]:
    message = CurrentMessage.get_current_message()
    return message.options if message is not None else {}


def cron_job(
    name: str,
    *,
    schedule: Any,
    actor_name: str,
    description: str = "",
    queue: str = CRON,
    catch_up: str = "all",
    max_lateness: float = 90.0,
    period: str = "minute",
    lock: Literal["skip", "wait", "none"] = "skip",
    timezone: str | None = None,
    enabled: bool = True,
    args_model: type[BaseModel] | None = None,
    config: type[BaseModel] | None = None,
    replay_horizon: float = 7 * 24 * 3600.0,
    **options: Any,
) -> Callable[[Callable[[JobContext], Any]], dramatiq.Actor[..., Any]]:
    """Declare a cron job. ``schedule`` is a cron string or periodiq's ``cron(...)``.

    ``config`` names the domain's settings class: the App validates it once at
    start and the function sees the instance as ``ctx.config``.

    Raises:
        ValueError: a name that is not kebab-case, an unknown catch-up policy or
            an option no middleware declares.
    ``replay_horizon``: seconds back a trigger's ``at`` may reach without an explicit replay.
    """

    def decorate(fn: Callable[[JobContext], Any]) -> dramatiq.Actor[..., Any]:
        def run(tick: str | None = None, args: dict[str, Any] | None = None) -> None:
            app = AppContext.current()
            spec_tz = ZoneInfo(timezone or app.settings.timezone)
            now = datetime.fromisoformat(tick) if tick else app.clock.now()
            if tick and not _message_options().get("replay"):
                _refuse_future_tick(name, now, app)
            try:
                parsed = args_model.model_validate(args or {}).model_dump() if args_model else dict(args or {})
            except ValidationError as exc:
                raise PayloadError(f"invalid arguments for job {name!r}: {exc}") from None
            key = locks.period_key(now.astimezone(spec_tz), period)
            info = current_run()
            with app.sessions.begin() as session:
                if lock != "none":
                    verdict = locks.acquire_for_run(session, name, key, lock, message_id=_message_id())
                    if verdict.action == "skip":
                        _message_options()["skip_reason"] = (
                            f"another run of {name} for period {key} holds the lock ({verdict.why})"
                        )
                        raise SkipMessage()
                    if verdict.action == "retry":
                        # Skipping would ack the only copy of this period's run: try again later.
                        raise Retry(f"the lock of {name} for period {key} is held: {verdict.why}")
                ctx = JobContext(
                    session,
                    now,
                    key,
                    name,
                    parsed,
                    app,
                    app.config(config) if config else None,
                    info.run_id if info else None,
                    _message_options().get("trigger", "cron"),
                )
                out = fn(ctx)
            if info is not None and ctx.entity_keys:
                info.entity_ids = list(ctx.entity_keys)  # the outcome line names what the run fanned out to
            _record(out, children=ctx.children)

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        # Ticks run before domain work already pulled into a busy worker (lower
        # number = sooner), so a backlog never makes a cron job late.
        options.setdefault("priority", CRON_PRIORITY)
        actor = dramatiq.actor(
            run,
            actor_name=actor_name,
            queue_name=queue,
            broker=broker,
            job_name=name,
            periodic=schedule,
            catch_up=catch_up,
            max_lateness=max_lateness,
            period=period,
            lock=lock,
            kind="cron",
            args_model=args_model,  # the job API validates a trigger's arguments with it before enqueueing
            **options,
        )
        spec = JobSpec(
            name=name,
            actor=actor,
            schedule=str(schedule),
            description=description or (fn.__doc__ or "").strip().split("\n")[0],
            enabled=enabled,
            timezone=timezone,
            catch_up=catch_up,
            max_lateness=max_lateness,
            period=period,
            lock=lock,
            replay_horizon=replay_horizon,
        )
        validate_spec(spec)
        # The App's registry and settings are collected from these attributes.
        actor.job_spec = spec  # type: ignore[attr-defined]
        actor.config_model = config  # type: ignore[attr-defined]
        actor.fn_impl = fn  # type: ignore[attr-defined]
        return actor

    return decorate


def item_actor(
    actor_name: str,
    *,
    queue: str,
    payload: type[P],
    on_exhausted: Callable[[Session, dict[str, Any], str, datetime], None] | None = None,
    config: type[BaseModel] | None = None,
    **options: Any,
) -> Callable[[Callable[[ItemContext, P], Any]], dramatiq.Actor[..., Any]]:
    """Declare a child actor taking a pydantic ``payload`` (ids and plain JSON).

    ``config`` names the domain's settings class (``ctx.config``), as for :func:`cron_job`.
    """

    def decorate(fn: Callable[[ItemContext, P], Any]) -> dramatiq.Actor[..., Any]:
        def run(**kwargs: Any) -> None:
            app = AppContext.current()
            chunked = CHUNK_KEY in kwargs
            given = chunk_payloads(kwargs, actor_name)
            try:
                payloads = [payload.model_validate(one) for one in given]
            except ValidationError as exc:
                raise PayloadError(f"invalid payload for {actor_name}: {exc}") from None
            info = current_run()
            if info is not None:  # log lines of this run name the entities it touches
                info.entity_ids = [
                    f"{k}={v}"
                    for one in given[:LOGGED_ENTITIES]
                    for k, v in one.items()
                    if k == "id" or k.endswith("_id")
                ]
            with app.sessions.begin() as session:
                now = app.clock.now()
                # Sent directly (not fanned out): the period is the minute it runs in.
                period = _message_options().get("period") or locks.period_key(now, "minute")
                ctx = ItemContext(
                    session, now, period, app, app.config(config) if config else None, info.run_id if info else None
                )
                outs = [fn(ctx, data) for data in payloads]
            _record(_chunk_outcome(outs) if chunked else outs[0])

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        if on_exhausted is not None:
            options["on_exhausted"] = on_exhausted
        actor = dramatiq.actor(
            run, actor_name=actor_name, queue_name=queue, broker=broker, payload_model=payload, kind="item", **options
        )
        actor.config_model = config  # type: ignore[attr-defined]
        actor.fn_impl = fn  # type: ignore[attr-defined]
        return actor

    return decorate
