"""Generic JSON webhook client (chatbot alerts, Slack-compatible ``{"text": ...}``).

Webhook URLs usually *are* the credential (Slack's ``/services/T../B../secret``),
so error messages name only ``scheme://host`` and the path is scrubbed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from shared.channels.http import post_json

if TYPE_CHECKING:
    import requests


class WebhookClient:
    """A thin client that POSTs JSON to one webhook URL.

    Parameters:
        url: the full webhook URL (treated as a secret beyond its host).
        timeout: ``(connect_s, read_s)`` for each request.
        session: a requests session to reuse; a new one is made if omitted.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: tuple[float, float] = (3.05, 10),
        session: requests.Session | None = None,
    ) -> None:
        self._url = url
        parts = urlsplit(url)
        self._target = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        # Scrub the whole URL, its user:password, its path and query (a bare "/" is no secret).
        path_query = parts.path + (f"?{parts.query}" if parts.query else "")
        candidates = (url, parts.netloc.rpartition("@")[0], path_query, parts.path, parts.query)
        self._redact = tuple(s for s in candidates if s and s != "/")
        self._timeout = timeout
        if session is None:
            import requests  # on the first client, not at import (shared/channels/http.py says why)

            session = requests.Session()
        self._session = session

    def post(self, payload: dict[str, Any], *, idempotency_key: str | None = None) -> None:
        """POST ``payload`` as JSON; any 2xx answer is success.

        Parameters:
            payload: the JSON body, e.g. ``{"text": "job X failed"}``.
            idempotency_key: sent as ``Idempotency-Key`` when the receiver deduplicates.

        Raises:
            ChannelTransient: not sent, 5xx, or 429 (with ``retry_after`` if given).
            ChannelRejected: any other non-2xx status.
            DeliveryUnknown: sent but no answer came back.
        """
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        post_json(
            self._session,
            self._url,
            payload,
            headers=headers,
            timeout=self._timeout,
            redact=self._redact,
            target=self._target,
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()
