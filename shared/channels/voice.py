"""Voice-call API client: asks the provider to phone a number and read a text.

A call is costly and intrusive, so every request carries an ``Idempotency-Key``:
if delivery is unknown, a retry with the same key cannot ring the phone twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.channels.http import post_json
from shared.errors import DeliveryUnknown

if TYPE_CHECKING:
    import requests


class VoiceClient:
    """A thin client for ``POST {base_url}/v1/calls``.

    Parameters:
        base_url: the voice API root, e.g. ``https://voice.example.com``.
        api_key: the bearer key (a secret; never shown in errors).
        timeout: ``(connect_s, read_s)`` for each request.
        session: a requests session to reuse; a new one is made if omitted.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: tuple[float, float] = (3.05, 10),
        session: requests.Session | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        if session is None:
            import requests  # on the first client, not at import (shared/channels/http.py says why)

            session = requests.Session()
        self._session = session

    def start_call(self, phone: str, text: str, *, idempotency_key: str) -> str:
        """Start a call to ``phone`` that reads ``text``; return the provider's call id.

        Parameters:
            phone: the number to call (E.164, e.g. ``+15551234567``).
            text: what the call says.
            idempotency_key: stable per logical call, so retries are deduplicated.

        Raises:
            ChannelTransient: not sent, 5xx, or 429 (with ``retry_after`` if given).
            ChannelRejected: any other 4xx (bad number, bad key, ...).
            DeliveryUnknown: sent but no usable answer (the call may be ringing).
        """
        response = post_json(
            self._session,
            f"{self._base_url}/v1/calls",
            {"to": phone, "text": text},
            headers={"Authorization": f"Bearer {self._api_key}", "Idempotency-Key": idempotency_key},
            timeout=self._timeout,
            redact=(self._api_key,),
        )
        try:
            call_id = response.json()["call_id"]
        except (ValueError, KeyError, TypeError):
            call_id = None
        if not isinstance(call_id, str) or not call_id:
            # A 2xx means the call was probably placed; do not place another blindly.
            raise DeliveryUnknown(f"voice API: HTTP {response.status_code} without a call_id")
        return call_id

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()
