"""Calls to the configured platform APIs (metrics, OAuth token endpoint) with the platform's error mapping.

Not the guarded fetcher: these hosts come from the operator's settings, not
from user data. Unreachable, timed out or 5xx → ``ChannelTransient``; 429 →
``RetryAfter`` (its Retry-After, no retry spent); every other answer is returned
for the caller to read (a 401 or 400 says something about the account).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from actors.content.fetch import retry_after_seconds
from shared.errors import ChannelRejected, ChannelTransient, RetryAfter
from shared.redact import redact

if TYPE_CHECKING:
    import requests

TIMEOUT = (3.05, 15.0)


def base(url: object, setting: str) -> str:
    """A configured base URL without its trailing slash.

    Raises:
        ChannelRejected: the setting is not configured.
    """
    if not url:
        raise ChannelRejected(f"{setting} is not configured")
    return str(url).rstrip("/")


def call(
    session: requests.Session,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    data: Mapping[str, Any] | None = None,
    secrets: Iterable[str] = (),
) -> requests.Response:
    import requests

    secrets = tuple(secrets)
    where = redact(f"{method} {url}", secrets)
    try:
        response = session.request(
            method, url, headers=dict(headers or {}), data=data, timeout=TIMEOUT, allow_redirects=False
        )
    except requests.RequestException as exc:
        raise ChannelTransient((redact(f"{where}: {type(exc).__name__}: {exc}", secrets) or "")[:400]) from None
    if response.status_code == 429:
        raise RetryAfter(retry_after_seconds(response.headers.get("Retry-After")), f"{where}: HTTP 429")
    if response.status_code >= 500:
        raise ChannelTransient(f"{where}: HTTP {response.status_code}")
    return response


def error_code(response: requests.Response) -> str:
    """The OAuth-style error of a refusal: the JSON ``error`` field, else the WWW-Authenticate one."""
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            return str(body["error"])
    except ValueError:
        pass
    header = response.headers.get("WWW-Authenticate", "")
    if 'error="' in header:
        return header.split('error="', 1)[1].split('"', 1)[0]
    return ""


def json_object(response: requests.Response, where: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ChannelTransient(f"{where}: the answer is not JSON") from None
    if not isinstance(body, dict):
        raise ChannelTransient(f"{where}: the answer is not a JSON object")
    return body
