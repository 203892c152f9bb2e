"""ExactBackoffRetries: Dramatiq's Retries with an exact 2^n backoff and typed non-retryable errors.

Stock Retries adds jitter and starts at 15 s. Jobs here promise "retry after
1, 2, 4 minutes, then failed": the delay before retry n+1 is
``retry_base * 2**n`` where n is the retries so far, with no jitter. A
``Retry(delay=…)`` raised by an actor, or a channel's ``retry_after`` (HTTP
429), sets a floor under that delay.

Payload and validation errors, database errors about a value the arguments
brought (``invalid input syntax``, out of range: ``payload_db_errors()``),
permanent channel rejections and unknown deliveries fail at once: retrying
cannot fix them. Values resolve message →
actor → middleware default, as in Dramatiq.

An actor may declare an explicit delay list instead of the 2^n rule:
``retry_delays=(60, 300, 900)`` means up to 3 retries, at exactly 1, 5 and
15 minutes after each failed attempt (the list's length is the retry limit
unless ``max_retries`` says otherwise; past its end the last delay repeats).

``RetryAfter(seconds)`` (a 429 with Retry-After) re-schedules the message after
that delay *without* spending a retry: the attempt number stays, the message's
``deferrals`` count grows. Bounded twice so it cannot loop forever: at most
``DRAMATURG_MAX_DEFERRALS`` (10) deferrals per message — the next one counts as
an ordinary failed attempt (with the remote's delay as a floor) — and no
deferral further out than ``MAX_DEFER_SECONDS``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from dramatiq.broker import MessageProxy
from dramatiq.errors import Retry
from dramatiq.message import Message
from dramatiq.middleware import Retries
from pydantic import ValidationError

from shared.db import payload_db_errors, retry_through_outage
from shared.errors import NOT_RETRIED, ChannelTransient, RetryAfter

if TYPE_CHECKING:
    from shared.postgres_broker import PostgresBroker

logger = logging.getLogger(__name__)


#: The longest a ``RetryAfter`` may push a message out (a remote asking for a day is not obeyed blindly).
MAX_DEFER_SECONDS = 3600.0


def backoff_ms(retries_so_far: int, base_ms: int) -> int:
    """Delay before the next attempt: base, 2×base, 4×base, …"""
    return cast(int, base_ms * (2**retries_so_far))  # int ** int is typed int | float (a negative power)


@dataclass(frozen=True)
class RetryPlan:
    """What happens if this attempt fails: the one rule, used by Retries and by outboxes."""

    retries: int  # retries so far
    max_retries: int
    delay_ms: int  # before the next attempt, if there is one

    @property
    def last(self) -> bool:
        return self.retries >= self.max_retries


def plan_retry(
    message_options: Mapping[str, Any], actor_options: Mapping[str, Any], *, max_retries: int, base_ms: int
) -> RetryPlan:
    """Resolve retries message → actor → default, as Dramatiq does, and the exact 2^n delay."""
    retries = int(message_options.get("retries", 0))
    delays = message_options.get("retry_delays", actor_options.get("retry_delays"))
    if delays:
        # An explicit list: its length is the limit unless one is set explicitly.
        limit = message_options.get("max_retries", actor_options.get("max_retries", len(delays)))
        seconds = delays[min(retries, len(delays) - 1)]
        return RetryPlan(retries=retries, max_retries=limit, delay_ms=int(float(seconds) * 1000))
    limit = message_options.get("max_retries", actor_options.get("max_retries", max_retries))
    base = message_options.get("min_backoff", actor_options.get("min_backoff", base_ms))
    return RetryPlan(retries=retries, max_retries=limit, delay_ms=backoff_ms(retries, base))


@dataclass(frozen=True)
class Deferral:
    """What a ``RetryAfter`` does to a message: re-scheduled uncounted, or counted as a failure."""

    allowed: bool  # False: the bound is reached; the attempt counts as an ordinary failure
    number: int  # this deferral's number (1-based) when allowed
    bound: int
    delay_ms: int


def plan_deferral(message_options: Mapping[str, Any], seconds: float, *, max_deferrals: int) -> Deferral:
    """The one rule for ``RetryAfter``: the n-th deferral of a message is allowed while n ≤ the bound."""
    done = int(message_options.get("deferrals", 0))
    delay_ms = int(min(max(seconds, 0.0), MAX_DEFER_SECONDS) * 1000)
    return Deferral(allowed=done < max_deferrals, number=done + 1, bound=max_deferrals, delay_ms=delay_ms)


class ExactBackoffRetries(Retries):
    def __init__(self, *, max_retries: int | None = None, base_ms: int | None = None) -> None:
        # None: take DRAMATURG_MAX_RETRIES / DRAMATURG_RETRY_BASE_SECONDS from the bound settings.
        # named, not super(): mypy then knows the untyped call is dramatiq's
        Retries.__init__(self, max_retries=max_retries if max_retries is not None else 3)
        self._max_retries, self._base_ms = max_retries, base_ms

    @property
    def actor_options(self) -> set[str]:
        return {*super().actor_options, "retry_delays"}

    def plan(self, broker: PostgresBroker, message: Message[Any] | MessageProxy) -> RetryPlan:
        """This message's retry plan with this middleware's defaults (else the bound settings')."""
        settings = broker.settings
        max_retries = self._max_retries if self._max_retries is not None else settings.max_retries
        base = self._base_ms if self._base_ms is not None else int(settings.retry_base_seconds * 1000)
        actor = broker.get_actor(message.actor_name)
        return plan_retry(message.options, actor.options, max_retries=max_retries, base_ms=base)

    def after_process_message(
        self,
        broker: PostgresBroker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is None:
            return
        actor = broker.get_actor(message.actor_name)
        throws = message.options.get("throws") or actor.options.get("throws")
        if isinstance(exception, (*NOT_RETRIED, *payload_db_errors(), ValidationError)) or (
            throws and isinstance(exception, throws)
        ):
            logger.warning("not retrying %s: %s", message.message_id, type(exception).__name__)
            message.fail()
            return

        if isinstance(exception, RetryAfter) and self._defer(broker, message, exception):
            return

        plan = self.plan(broker, message)
        retries, max_retries = plan.retries, plan.max_retries
        if plan.last:
            logger.warning("retries exhausted for %s after %d attempt(s)", message.message_id, retries + 1)
            message.fail()
            return

        delay = plan.delay_ms
        if isinstance(exception, Retry) and exception.delay is not None:
            delay = max(delay, exception.delay)
        if isinstance(exception, ChannelTransient) and exception.retry_after:
            delay = max(delay, int(exception.retry_after * 1000))
        if isinstance(exception, RetryAfter):  # past the deferral bound: counted, the remote's delay a floor
            delay = max(delay, int(min(exception.seconds, MAX_DEFER_SECONDS) * 1000))
        message.options["retries"] = retries + 1
        logger.info("retrying %s in %d ms (retry %d of %d)", message.message_id, delay, retries + 1, max_retries)
        # If saving the retry failed, Dramatiq would ack the message and it would be gone for good
        # (e.g. its error was the database restarting): wait the outage out instead.
        retry_through_outage(
            lambda: broker.enqueue(message, delay=delay), what=f"saving the retry of {message.message_id}"
        )

    def _defer(self, broker: PostgresBroker, message: Message[Any] | MessageProxy, exception: RetryAfter) -> bool:
        """Re-schedule ``message`` after the remote's delay without spending a retry; False past the bound."""
        deferral = plan_deferral(message.options, exception.seconds, max_deferrals=broker.settings.max_deferrals)
        if not deferral.allowed:
            logger.warning(
                "%s was deferred %d times already: this attempt counts as a failure", message.message_id, deferral.bound
            )
            return False
        message.options["deferrals"] = deferral.number
        exception.deferral = (deferral.number, deferral.bound)  # job_history's error says so
        logger.info(
            "deferring %s by %d ms at the remote's request (deferral %d of %d, no retry spent)",
            message.message_id,
            deferral.delay_ms,
            deferral.number,
            deferral.bound,
        )
        retry_through_outage(
            lambda: broker.enqueue(message, delay=deferral.delay_ms), what=f"deferring {message.message_id}"
        )
        return True


def retry_plan_of(broker: PostgresBroker, message: Message[Any] | MessageProxy) -> RetryPlan:
    """The plan the broker's Retries middleware will apply to ``message`` if this attempt fails.

    Raises:
        LookupError: the broker has no ExactBackoffRetries middleware.
    """
    for middleware in broker.middleware:
        if isinstance(middleware, ExactBackoffRetries):
            return middleware.plan(broker, message)
    raise LookupError("the broker has no ExactBackoffRetries middleware")
