"""ExactBackoffRetries: Dramatiq's Retries with an exact 2^n backoff and typed non-retryable errors.

Stock Retries adds jitter and starts at 15 s. Jobs here promise "retry after
1, 2, 4 minutes, then failed": the delay before retry n+1 is
``retry_base * 2**n`` where n is the retries so far, with no jitter. A
``Retry(delay=…)`` raised by an actor, or a channel's ``retry_after`` (HTTP
429), sets a floor under that delay.

Payload and validation errors, database errors about a value the arguments
brought (``invalid input syntax``, out of range: ``PAYLOAD_DB_ERRORS``),
permanent channel rejections and unknown deliveries fail at once: retrying
cannot fix them. Values resolve message →
actor → middleware default, as in Dramatiq.
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

from shared.db import PAYLOAD_DB_ERRORS, retry_through_outage
from shared.errors import NOT_RETRIED, ChannelTransient

if TYPE_CHECKING:
    from shared.postgres_broker import PostgresBroker

logger = logging.getLogger(__name__)


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
    limit = message_options.get("max_retries", actor_options.get("max_retries", max_retries))
    base = message_options.get("min_backoff", actor_options.get("min_backoff", base_ms))
    return RetryPlan(retries=retries, max_retries=limit, delay_ms=backoff_ms(retries, base))


class ExactBackoffRetries(Retries):
    def __init__(self, *, max_retries: int | None = None, base_ms: int | None = None) -> None:
        # None: take DRAMATURG_MAX_RETRIES / DRAMATURG_RETRY_BASE_SECONDS from the bound settings.
        # named, not super(): mypy then knows the untyped call is dramatiq's
        Retries.__init__(self, max_retries=max_retries if max_retries is not None else 3)
        self._max_retries, self._base_ms = max_retries, base_ms

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
        if isinstance(exception, (*NOT_RETRIED, *PAYLOAD_DB_ERRORS, ValidationError)) or (
            throws and isinstance(exception, throws)
        ):
            logger.warning("not retrying %s: %s", message.message_id, type(exception).__name__)
            message.fail()
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
        message.options["retries"] = retries + 1
        logger.info("retrying %s in %d ms (retry %d of %d)", message.message_id, delay, retries + 1, max_retries)
        # If saving the retry failed, Dramatiq would ack the message and it would be gone for good
        # (e.g. its error was the database restarting): wait the outage out instead.
        retry_through_outage(
            lambda: broker.enqueue(message, delay=delay), what=f"saving the retry of {message.message_id}"
        )


def retry_plan_of(broker: PostgresBroker, message: Message[Any] | MessageProxy) -> RetryPlan:
    """The plan the broker's Retries middleware will apply to ``message`` if this attempt fails.

    Raises:
        LookupError: the broker has no ExactBackoffRetries middleware.
    """
    for middleware in broker.middleware:
        if isinstance(middleware, ExactBackoffRetries):
            return middleware.plan(broker, message)
    raise LookupError("the broker has no ExactBackoffRetries middleware")
