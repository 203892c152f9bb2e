"""FailureAlerts: a Slack-compatible webhook when a run fails for good.

At most one alert per job per ``DRAMATURG_ALERT_MIN_INTERVAL`` (10 minutes),
across all worker processes (the state is in Postgres); the next alert says
how many failures were suppressed in between. Retries that will run again
never alert.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from dramatiq import Middleware
from dramatiq.broker import MessageProxy

from shared.channels.webhook import WebhookClient
from shared.redact import redact
from shared.sql import queries

if TYPE_CHECKING:
    from shared.postgres_broker import PostgresBroker

logger = logging.getLogger(__name__)
SQL = queries("alerts")


class FailureAlerts(Middleware):
    def after_process_message(
        self,
        broker: PostgresBroker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        url = broker.settings.alert_webhook_url
        if exception is None or not message.failed or url is None:
            return
        job = message.options.get("job") or message.actor_name
        try:
            send, suppressed = self._claim(broker, job)
            if not send:
                return
            error = redact(f"{type(exception).__name__}: {exception}", broker.settings.secrets)
            text = f":rotating_light: dramaturg job `{job}` failed for good (message {message.message_id}): {error}"
            if suppressed:
                text += f" ({suppressed} more failure(s) of this job were not alerted in the last interval)"
            WebhookClient(str(url)).post({"text": text, "job": job, "message_id": message.message_id})
        except Exception as exc:  # an alert failure must not disturb the worker
            logger.warning("failure alert for %s not sent: %s", job, exc)

    @staticmethod
    def _claim(broker: PostgresBroker, job: str) -> tuple[bool, int]:
        """Decide under the job's row lock: send now (and how many were suppressed), or count this one."""
        now = broker.clock.now()
        with broker.pooled() as raw, raw.cursor() as cur:
            cur.execute(SQL["alert_state_ensure"], {"job": job})
            cur.execute(SQL["alert_state_lock"], {"job": job})
            last_sent, suppressed = cast(tuple[datetime | None, int], cur.fetchone())
            send = last_sent is None or (now - last_sent).total_seconds() >= broker.settings.alert_min_interval
            cur.execute(SQL["alert_state_sent" if send else "alert_state_suppress"], {"job": job, "now": now})
            raw.commit()
        return send, suppressed
