"""One POST-JSON helper that turns every HTTP failure into dramaturg's channel errors.

The three outcomes differ in what a retry may do: ``ChannelTransient`` (never
reached the remote, or it said "try later"), ``ChannelRejected`` (it said "no"),
``DeliveryUnknown`` (it may have acted; re-sending could duplicate). Secrets such
as a bot token embedded in the URL are scrubbed from every message, and errors
are raised ``from None`` because requests' own exception text contains the URL.

requests is imported by the first POST: every process that declares the actors
imports this module (the failure alerts' webhook), and most of them never post.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from shared.errors import ChannelRejected, ChannelTransient, DeliveryUnknown
from shared.redact import redact as redact_text

if TYPE_CHECKING:
    import requests

EXCERPT_CHARS = 200


@cache
def _early_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """requests' errors raised before the remote could act: (invalid request, not connected)."""
    from requests import exceptions as e

    # These fail while building the request, before any byte leaves: a config bug.
    invalid_request = (
        e.URLRequired,
        e.MissingSchema,
        e.InvalidSchema,
        e.InvalidURL,
        e.InvalidHeader,
        e.InvalidJSONError,
    )
    # Raised before the request is written: the TCP/TLS/proxy connection never came up.
    not_connected = (e.ConnectTimeout, e.SSLError, e.ProxyError)
    return invalid_request, not_connected


def post_json(
    session: requests.Session,
    url: str,
    payload: Any,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: tuple[float, float] = (3.05, 10.0),
    redact: Iterable[str] = (),
    target: str | None = None,
) -> requests.Response:
    """POST ``payload`` as JSON and return the 2xx response.

    Parameters:
        session: the requests session to send with (connection pooling).
        url: the full endpoint URL; may contain secrets listed in ``redact``.
        payload: a JSON-serialisable body.
        headers: extra request headers.
        timeout: ``(connect_s, read_s)``; the read timeout decides DeliveryUnknown.
        redact: secret strings replaced by ``***`` in every error message.
        target: how the endpoint is named in messages (default: the redacted URL).

    Raises:
        ChannelTransient: never sent (refused, DNS, connect timeout, TLS), 5xx, or 429
            (``retry_after`` from ``Retry-After`` or a JSON ``parameters.retry_after``).
        ChannelRejected: any other non-2xx status, or an invalid request.
        DeliveryUnknown: sent, but the answer was lost (read timeout, reset, cut body).
    """
    import requests

    secrets = _secret_forms(redact)
    where = _scrub(target or url, secrets)
    invalid_request = _early_errors()[0]
    try:
        # Redirects are refused: requests would turn a 301/302 POST into a GET.
        response = session.post(url, json=payload, headers=dict(headers or {}), timeout=timeout, allow_redirects=False)
    except invalid_request as exc:
        raise ChannelRejected(f"POST {where}: invalid request: {_describe(exc, secrets)}") from None
    except requests.RequestException as exc:
        if _never_sent(exc):
            raise ChannelTransient(f"POST {where}: not sent: {_describe(exc, secrets)}") from None
        raise DeliveryUnknown(f"POST {where}: no answer: {_describe(exc, secrets)}") from None

    status = response.status_code
    if 200 <= status < 300:
        return response
    message = f"POST {where}: HTTP {status}: {_excerpt(response, secrets)}"
    if status == 429:
        raise ChannelTransient(message, retry_after=_retry_after(response))
    if status >= 500:
        raise ChannelTransient(message)
    raise ChannelRejected(message)  # 3xx (redirects refused) and all other 4xx


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the failure happened before the request could reach the remote."""
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(exc, _early_errors()[1]):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False  # ReadTimeout, ChunkedEncodingError, ...: the request went out
    # requests wraps urllib3's MaxRetryError, whose .reason tells refused/DNS from a reset.
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))  # incl. NameResolutionError


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait: Telegram's JSON ``parameters.retry_after``, else ``Retry-After``."""
    try:
        return max(0.0, float(response.json()["parameters"]["retry_after"]))
    except (ValueError, KeyError, TypeError):
        pass
    header = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:  # the HTTP-date form; an empty or garbled header means "no hint"
        return max(0.0, email.utils.parsedate_to_datetime(header).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _secret_forms(redact: Iterable[str]) -> list[str]:
    return [secret for secret in redact if secret]


def _scrub(text: str, secrets: list[str]) -> str:
    """The one redaction (shared/redact.py): the secrets in every printed form, and URL credentials."""
    return redact_text(text, secrets) or ""


def _describe(exc: BaseException, secrets: list[str]) -> str:
    return _scrub(f"{type(exc).__name__}: {exc}", secrets)[: EXCERPT_CHARS * 2]


def _excerpt(response: requests.Response, secrets: list[str]) -> str:
    # Scrub before cutting, so a secret split by the cut cannot survive half-visible.
    text = " ".join(_scrub(response.text, secrets).split())
    return text[:EXCERPT_CHARS] + ("..." if len(text) > EXCERPT_CHARS else "")
