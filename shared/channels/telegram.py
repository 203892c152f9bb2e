"""Telegram Bot API client: sends one text message and returns its message_id.

The bot token is part of every Telegram URL, so it is passed to the HTTP helper
as a secret to scrub from error messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.channels.http import post_json
from shared.errors import ChannelRejected, DeliveryUnknown

if TYPE_CHECKING:
    import requests


class TelegramClient:
    """A thin client for ``POST {base_url}/bot{token}/sendMessage``.

    Parameters:
        base_url: the Bot API root, e.g. ``https://api.telegram.org``.
        token: the bot token (a secret; never shown in errors).
        timeout: ``(connect_s, read_s)`` for each request.
        session: a requests session to reuse; a new one is made if omitted.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: tuple[float, float] = (3.05, 10),
        session: requests.Session | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        if session is None:
            import requests  # on the first client, not at import (shared/channels/http.py says why)

            session = requests.Session()
        self._session = session

    def send_message(self, chat_id: str | int, text: str) -> int:
        """Send ``text`` to ``chat_id`` and return Telegram's ``message_id``.

        Raises:
            ChannelTransient: not sent, 5xx, or 429 (``retry_after`` from Telegram).
            ChannelRejected: 4xx such as "chat not found" / "bot was blocked",
                or a 200 answer with ``ok: false``.
            DeliveryUnknown: the request was sent but no usable answer came back.
        """
        url = f"{self._base_url}/bot{self._token}/sendMessage"
        response = post_json(
            self._session,
            url,
            {"chat_id": chat_id, "text": text},
            timeout=self._timeout,
            redact=(self._token,),
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("ok") is False:
            # Telegram reports some refusals inside a 200; they are as final as a 4xx.
            code, description = body.get("error_code"), body.get("description")
            raise ChannelRejected(f"Telegram sendMessage: error {code}: {description}")
        try:
            return int(body["result"]["message_id"])
        except (TypeError, KeyError, ValueError):
            # A 2xx means Telegram probably sent the message; re-sending could duplicate it.
            raise DeliveryUnknown(f"Telegram sendMessage: HTTP {response.status_code} without a message_id") from None

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()
