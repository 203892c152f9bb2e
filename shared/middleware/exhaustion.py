"""MarkFailedOnExhaustion: when a message fails for good, let its actor mark the entity failed.

An actor declares ``on_exhausted=fn``; ``fn(session, kwargs, error, now)``
runs in its own transaction after the last retry (or a non-retryable error),
e.g. to set ``scheduled_events.status = 'failed'`` with the error; for a
chunked child (``fan_out(..., chunk=N)``) once per entity of the chunk, all in
that one transaction. Errors in the hook are logged, never raised: the message
is already settled.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dramatiq import Middleware
from dramatiq.broker import MessageProxy

from shared.db import retry_through_outage
from shared.jobs import chunk_payloads
from shared.middleware.app_context import AppContext
from shared.redact import redact

if TYPE_CHECKING:
    from shared.postgres_broker import PostgresBroker

logger = logging.getLogger(__name__)


class MarkFailedOnExhaustion(Middleware):
    @property
    def actor_options(self) -> set[str]:
        return {"on_exhausted"}

    def after_process_message(
        self,
        broker: PostgresBroker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is None or not message.failed:
            return
        actor = broker.get_actor(message.actor_name)
        hook = actor.options.get("on_exhausted")
        if hook is None:
            return
        error = redact(f"{type(exception).__name__}: {exception}", broker.settings.secrets)

        def settle() -> None:
            with AppContext.current().sessions.begin() as session:
                now = broker.clock.now()
                for payload in chunk_payloads(dict(message.kwargs), message.actor_name):
                    hook(session, dict(payload), error, now)

        try:
            # A database restart must not leave the entity unsettled (e.g. an event stuck in 'sending').
            retry_through_outage(settle, what=f"on_exhausted hook of {message.actor_name}")
        except Exception:
            logger.exception("on_exhausted hook of %s failed for %s", message.actor_name, message.message_id)
