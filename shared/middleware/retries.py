"""ExactBackoffRetries: Dramatiq's Retries with an exact 2^n backoff and typed non-retryable errors.

Stock Retries adds jitter and starts at 15 s. Jobs here promise "retry after
1, 2, 4 minutes, then failed": the delay before retry n+1 is
``retry_base * 2**n`` where n is the retries so far, with no jitter. A
``Retry(delay=…)`` raised by an actor, or a channel's ``retry_after`` (HTTP
429), sets a floor under that delay.

Payload and validation errors, permanent channel rejections and unknown
deliveries fail at once: retrying cannot fix them. Values resolve message →
actor → middleware default, as in Dramatiq.
"""

from __future__ import annotations

import logging

from dramatiq.errors import Retry
from dramatiq.middleware import Retries
from pydantic import ValidationError

from shared.db import retry_through_outage
from shared.errors import NOT_RETRIED, ChannelTransient

logger = logging.getLogger(__name__)


def backoff_ms(retries_so_far: int, base_ms: int) -> int:
    """Delay before the next attempt: base, 2×base, 4×base, …"""
    return base_ms * (2**retries_so_far)


class ExactBackoffRetries(Retries):
    def __init__(self, *, max_retries: int | None = None, base_ms: int | None = None) -> None:
        # None: take DRAMATURG_MAX_RETRIES / DRAMATURG_RETRY_BASE_SECONDS from the bound settings.
        super().__init__(max_retries=max_retries if max_retries is not None else 3)
        self._max_retries, self._base_ms = max_retries, base_ms

    def _defaults(self, broker) -> tuple[int, int]:
        settings = broker.settings
        max_retries = self._max_retries if self._max_retries is not None else settings.max_retries
        base = self._base_ms if self._base_ms is not None else int(settings.retry_base_seconds * 1000)
        return max_retries, base

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is None:
            return
        actor = broker.get_actor(message.actor_name)
        throws = message.options.get("throws") or actor.options.get("throws")
        if isinstance(exception, (*NOT_RETRIED, ValidationError)) or (throws and isinstance(exception, throws)):
            logger.warning("not retrying %s: %s", message.message_id, type(exception).__name__)
            message.fail()
            return

        default_max, default_base = self._defaults(broker)
        retries = message.options.setdefault("retries", 0)
        max_retries = message.options.get("max_retries", actor.options.get("max_retries", default_max))
        if retries >= max_retries:
            logger.warning("retries exhausted for %s after %d attempt(s)", message.message_id, retries + 1)
            message.fail()
            return

        base = message.options.get("min_backoff", actor.options.get("min_backoff", default_base))
        delay = backoff_ms(retries, base)
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
