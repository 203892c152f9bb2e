"""Guarded HTTP GET for websites, feeds and documents: SSRF guard, redirects, timeouts, size cap, content type.

The SSRF guard is on by default: a URL whose host resolves to a private,
loopback, link-local, reserved or multicast address is refused, and so is every
redirect hop to one (redirects are followed here, hop by hop, never by
requests). ``DRAMATURG_SCRAPE_ALLOW_PRIVATE=true`` turns it off for tests and the
demo; ``CONTENT_FETCH_ALLOW_HOSTS`` trusts the hosts it names only (an intranet
wiki), every other hop still checked. The check resolves the name before the request; a name that changes its
answer between the check and the connection (DNS rebinding) is not caught here.

Outcomes map onto the platform's errors: unreachable, timed out or 5xx →
``ChannelTransient`` (retried); 429 → ``RetryAfter`` (re-scheduled without
spending a retry); any other 4xx, a refused address, a wrong content type or a
body over the cap → ``ChannelRejected`` (fails at once). 304 is returned.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from actors.content.config import ContentConfig
from shared.errors import ChannelRejected, ChannelTransient, RetryAfter
from shared.redact import redact

if TYPE_CHECKING:
    import requests

CHUNK = 64 * 1024
#: Without a usable Retry-After, a 429 waits this long.
DEFAULT_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str  # the media type alone, lower-case ("text/html")
    body: bytes
    headers: Mapping[str, str]


def refusal(url: str, *, allow_private: bool, allow_hosts: Iterable[str] = ()) -> str | None:
    """Why ``url`` may not be fetched, or None. Only http(s); with the guard on, public addresses only,
    save the hosts listed in ``allow_hosts`` (``host`` or ``host:port``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"only http(s) URLs with a host are fetched, not {url!r}"
    host = parts.hostname.lower()
    trusted = set(allow_hosts)
    if allow_private or host in trusted or (parts.port is not None and f"{host}:{parts.port}" in trusted):
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        return f"{parts.hostname} does not resolve: {exc}"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if _private(address):
            return (
                f"{parts.hostname} resolves to {address}, a private, loopback or link-local address "
                "(DRAMATURG_SCRAPE_ALLOW_PRIVATE=true allows it)"
            )
    return None


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def get(
    session: requests.Session,
    url: str,
    config: ContentConfig,
    *,
    accept: Iterable[str] | None,
    headers: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
) -> Fetched:
    """GET ``url`` through the guard; ``accept`` lists the media types taken (None: any).

    Raises:
        ChannelTransient, RetryAfter, ChannelRejected: as the module docstring says.
    """
    secrets = tuple(secrets)
    current = url
    for _hop in range(config.max_redirects + 1):
        why = refusal(current, allow_private=config.scrape_allow_private, allow_hosts=config.fetch_allow_hosts)
        if why:
            raise ChannelRejected(redact(f"GET {current}: refused: {why}", secrets))
        response = _send(session, current, config, headers, secrets)
        with response:
            if response.is_redirect:
                location = response.headers.get("Location", "")
                current = urljoin(current, location)
                continue
            return _read(response, current, config, accept, secrets)
    raise ChannelRejected(redact(f"GET {url}: more than {config.max_redirects} redirects", secrets))


def _send(
    session: requests.Session,
    url: str,
    config: ContentConfig,
    headers: Mapping[str, str] | None,
    secrets: tuple[str, ...],
) -> requests.Response:
    import requests

    try:
        return session.get(
            url,
            headers={"User-Agent": config.user_agent, **(headers or {})},
            timeout=(min(5.0, config.fetch_timeout), config.fetch_timeout),
            allow_redirects=False,
            stream=True,
        )
    except requests.RequestException as exc:
        # requests' text names the URL; the one redaction scrubs what it may carry.
        raise ChannelTransient((redact(f"GET {url}: {type(exc).__name__}: {exc}", secrets) or "")[:400]) from None


def _read(
    response: requests.Response,
    url: str,
    config: ContentConfig,
    accept: Iterable[str] | None,
    secrets: tuple[str, ...],
) -> Fetched:
    import requests

    status = response.status_code
    where = redact(f"GET {url}", secrets)
    if status == 429:
        raise RetryAfter(retry_after_seconds(response.headers.get("Retry-After")), f"{where}: HTTP 429")
    if status >= 500:
        raise ChannelTransient(f"{where}: HTTP {status}")
    if status == 304:
        return Fetched(url, status, "", b"", response.headers)
    if status >= 400 or status < 200:
        raise ChannelRejected(f"{where}: HTTP {status}")
    media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    accepted = tuple(accept) if accept is not None else None
    if accepted is not None and media not in accepted:
        raise ChannelRejected(f"{where}: content type {media or 'missing'!r} is not one of {', '.join(accepted)}")
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > config.max_bytes:
        raise ChannelRejected(f"{where}: {declared} bytes is over the {config.max_bytes}-byte cap")
    body = bytearray()
    try:
        for chunk in response.iter_content(CHUNK):
            body += chunk
            if len(body) > config.max_bytes:
                raise ChannelRejected(f"{where}: the body is over the {config.max_bytes}-byte cap")
    except requests.RequestException as exc:
        raise ChannelTransient(f"{where}: the body was cut off: {type(exc).__name__}") from None
    return Fetched(url, status, media, bytes(body), response.headers)


def retry_after_seconds(header: str | None) -> float:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); a default without one."""
    text = (header or "").strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(text).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return DEFAULT_RETRY_AFTER
