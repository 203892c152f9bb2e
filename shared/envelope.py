"""The message envelope, validated once at claim: a row is runnable, or rejected with a reason.

Rows in ``dramatiq.queue`` may be written by anything — an older version, another
language, a hand-written INSERT — so the body is input like any other. A value
of the wrong type in it used to raise inside a Dramatiq worker thread and kill
it (a ``throws`` option that is a string, a body naming another queue than the
row), or leave the row claimed forever (an ``eta`` that is not a number). Here
every body is parsed with one pydantic model before Dramatiq sees it:

- ids: the body's ``message_id`` is a UUID equal to the row's id, its
  ``queue_name`` a valid queue name equal to the row's queue;
- ``actor_name`` names a declared actor, and ``args``/``kwargs`` (a JSON array and
  object) bind to its function's signature;
- ``options`` the middleware read have the types they expect (``retries`` a
  non-negative integer, ``time_limit`` a positive one, ``throws`` never set in
  a message — it must be exception classes, which JSON cannot carry …);
  options this module does not know pass through unchanged;
- ``message_timestamp`` is milliseconds since the epoch that a datetime can hold.

Dramatiq's own in-memory ``eta`` option is dropped: the row's ``eta`` column
already decided that the message is due (a kept one would send the message
through Dramatiq's delay queue, which re-enqueues a copy — a no-op here — and
acks the row without running it).
"""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import dramatiq
from dramatiq.message import Message
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, with_config
from typing_extensions import TypedDict

#: Dramatiq's queue-name rule (``dramatiq.broker._queue_name_re``), plus its delay-queue suffix.
QUEUE_NAME = r"^[a-zA-Z_][a-zA-Z0-9._-]*$"
#: 9999-12-31T23:59:59.999Z in ms: the last instant a ``datetime`` holds.
MAX_TIMESTAMP_MS = 253_402_300_799_999

NonNegative = Annotated[int, Field(ge=0)]
Positive = Annotated[int, Field(gt=0)]


@with_config(ConfigDict(extra="allow", strict=True))
class Options(TypedDict, total=False):
    """The message options dramaturg's and Dramatiq's middleware read, with the types they expect."""

    retries: NonNegative
    max_retries: NonNegative
    min_backoff: NonNegative
    max_backoff: NonNegative
    time_limit: Positive
    max_age: Positive
    eta: int
    throws: None  # exception classes cannot travel in JSON: the actor's own option applies
    retry_when: None
    job: str
    trigger: Literal["cron", "manual", "fanout", "api"]
    parent_run_id: int | None
    period: str | None
    tick: str | None
    reject_reason: str
    skip_reason: str
    pipe_target: dict[str, Any] | None
    pipe_ignore: bool
    on_success: str
    on_failure: str


class Envelope(BaseModel):
    """A Dramatiq message as stored in ``dramatiq.queue.message``."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    queue_name: Annotated[str, StringConstraints(pattern=QUEUE_NAME)]
    actor_name: Annotated[str, StringConstraints(min_length=1)]
    args: list[Any]
    kwargs: dict[str, Any]
    options: Options
    message_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{32,36}$")]
    message_timestamp: Annotated[int, Field(ge=0, le=MAX_TIMESTAMP_MS)]


class InvalidEnvelope(ValueError):
    """A claimed row that cannot run; its message is the reason written to the row."""


def _summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts[:5]) + (f" (+{len(parts) - 5} more)" if len(parts) > 5 else "")


class EnvelopeReader:
    """Turns a claimed row into a runnable :class:`Message`, or raises :class:`InvalidEnvelope`.

    Parameters:
        actors: the broker's declared actors (name → actor), read at each call
            so actors declared later are known.
    """

    def __init__(self, actors: dict[str, Any]) -> None:
        self.actors = actors
        self._signatures: dict[str, inspect.Signature | None] = {}

    def read(self, row_id: str, row_queue: str, body: str) -> Message[Any]:
        """Validate ``body`` (the row's JSON) against the row it came from.

        Raises:
            InvalidEnvelope: with the reason to record.
        """
        try:
            env = Envelope.model_validate_json(body)
        except ValidationError as exc:
            raise InvalidEnvelope(f"undecodable message: {_summary(exc)}") from None
        if env.message_id.replace("-", "").lower() != row_id.replace("-", "").lower():
            raise InvalidEnvelope(f"the body's message_id {env.message_id!r} is not the row's id {row_id}")
        if env.queue_name != row_queue:
            raise InvalidEnvelope(f"the body's queue_name {env.queue_name!r} is not the row's queue {row_queue!r}")
        actor = self.actors.get(env.actor_name)
        if actor is None:
            raise InvalidEnvelope(f"unknown actor {env.actor_name!r}")
        self._check_arguments(actor, env)
        options = dict(env.options)
        options.pop("eta", None)
        return Message(
            queue_name=env.queue_name,
            actor_name=env.actor_name,
            args=tuple(env.args),
            kwargs=env.kwargs,
            options=options,
            message_id=row_id,
            message_timestamp=env.message_timestamp,
        )

    def _check_arguments(self, actor: dramatiq.Actor[..., Any], env: Envelope) -> None:
        name = actor.actor_name
        if name not in self._signatures:
            try:
                self._signatures[name] = inspect.signature(actor.fn)
            except (TypeError, ValueError):  # a builtin or C function: let the call decide
                self._signatures[name] = None
        signature = self._signatures[name]
        if signature is None:
            return
        try:
            signature.bind(*env.args, **env.kwargs)
        except TypeError as exc:
            raise InvalidEnvelope(f"arguments do not fit {name}{signature}: {exc}") from None


TRIGGERS = ("cron", "manual", "fanout", "api")


def rejected_run(row_id: str, body: str, reason: str, actors: dict[str, Any]) -> dict[str, Any]:
    """The job_history fields of a row rejected at claim, taken from its body as far as it is readable."""
    try:
        data: Any = json.loads(body)  # JSON of any shape, checked field by field below
    except ValueError:
        data = None
    data = data if isinstance(data, dict) else {}
    options = data.get("options") if isinstance(data.get("options"), dict) else {}
    actor_name = data.get("actor_name") if isinstance(data.get("actor_name"), str) and data["actor_name"] else None
    actor = actors.get(actor_name) if actor_name else None
    job = options.get("job") if isinstance(options.get("job"), str) else None
    job = job or (actor.options.get("job_name") if actor else None) or actor_name or "unknown"
    retries = options.get("retries")
    attempt = retries + 1 if type(retries) is int and 0 <= retries < 2**31 - 1 else 1
    args = {k: data[k] for k in ("args", "kwargs") if k in data}
    stamp = data.get("message_timestamp")
    enqueued = None
    if type(stamp) is int and 0 <= stamp <= MAX_TIMESTAMP_MS:
        enqueued = datetime.fromtimestamp(stamp / 1000, UTC)
    return {
        "job": job,
        "actor": actor_name or "unknown",
        "message_id": row_id,
        "trigger": options.get("trigger") if options.get("trigger") in TRIGGERS else "api",
        "attempt": attempt,
        "args": json.dumps(args),
        "enqueued_at": enqueued,
        "error": reason,
    }
