"""The one redaction function: every text dramaturg writes anywhere goes through :func:`redact`.

Logs, job_history (error, traceback, skip reason, args, result), queue
reasons, outbox errors, alerts, CLI output and ``--json``: a secret must
reach none of them. Two kinds of secret are scrubbed:

- **known values** — the bot token, API keys, the database password — given
  by the caller (``settings.secrets``), also in their URL-encoded forms, and
  the password's fragments as a URL parser that met unencoded special
  characters would print them;
- **shapes** that are secret whoever wrote them: the userinfo of any URL
  (``https://user:pass@host``), query parameters named like secrets
  (``?password=…``, ``&api_key=…``, ``token``, ``sig`` …), path tokens
  (Telegram's ``/bot<token>/``), ``Bearer`` credentials and ``password=…``
  pairs in a libpq connection string.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any, overload
from urllib.parse import quote, quote_plus, unquote

MASK = "***"
#: Values shorter than this are not replaced by value (they would mask ordinary words).
MIN_SECRET = 4
#: Pieces of a password cut at reserved characters are replaced from this length on.
MIN_FRAGMENT = 6

#: A parameter or key whose name says it holds a secret.
_SECRET_NAME = (
    r"[\w.\-]*(?:pass(?:word|wd)?|pwd|secret|token|api[_\-]?key|apikey|key|auth\w*|signature|sig|credentials?|session)"
)

# scheme://userinfo@ — the userinfo may hold unencoded reserved characters (a
# password with "@", "/", "#", ":"), so it runs to the last "@" before the next
# blank or quote. (A later "@" in the same URL, e.g. in its query, takes the
# host with it: masking too much beats leaking.)
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^\s'\"<>]*)@")
_QUERY = re.compile(r"(?P<name>[?&;]" + _SECRET_NAME + r"=)(?P<value>[^&#\s'\"<>]*)", re.IGNORECASE)
_KV = re.compile(
    r"(?P<name>\b(?:password|passwd|pwd|sslpassword|secret|token|api[_\-]?key)\s*[=:]\s*)(?P<quote>['\"]?)(?P<value>[^\s'\"&,;]+)",
    re.IGNORECASE,
)
#: Telegram's /bot<id>:<token>/ (and /file/bot…/); other path tokens are caught by value.
_PATH_TOKEN = re.compile(r"(?P<prefix>/bot)(?P<value>\d+:[^/\s?#'\"]+)")
#: pydantic's "input_value=…" echoes the payload, cut in the middle when long: a cut
#: secret matches neither its value nor its URL shape, so the echo goes whole.
_INPUT_VALUE = re.compile(r"(?P<name>\binput_value=)(?P<value>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^,\]\s]+)")
_BEARER = re.compile(r"(?P<prefix>\b(?:bearer|basic)\s+)(?P<value>[A-Za-z0-9._~+/=\-]{8,})", re.IGNORECASE)


@overload
def redact(text: str, secrets: Iterable[str | None] = ()) -> str: ...
@overload
def redact(text: None, secrets: Iterable[str | None] = ()) -> None: ...
@overload
def redact(text: str | None, secrets: Iterable[str | None] = ()) -> str | None: ...
def redact(text: str | None, secrets: Iterable[str | None] = ()) -> str | None:
    """``text`` with every known secret value and every secret-shaped part replaced by ``***``.

    Parameters:
        secrets: values to remove wherever they appear (``settings.secrets``).
    """
    if not text:
        return text
    for secret in _variants(secrets):
        text = text.replace(secret, MASK)
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    text = _QUERY.sub(lambda m: m["name"] + (MASK if m["value"] else ""), text)
    text = _KV.sub(lambda m: m["name"] + m["quote"] + MASK, text)
    text = _PATH_TOKEN.sub(lambda m: m["prefix"] + MASK, text)
    text = _BEARER.sub(lambda m: m["prefix"] + MASK, text)
    text = _INPUT_VALUE.sub(lambda m: m["name"] + MASK, text)
    return text


def redact_data(value: Any, secrets: Iterable[str | None] = ()) -> Any:
    """A JSON-like value with :func:`redact` applied to every string in it (keys too)."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {redact_data(k, secrets): redact_data(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_data(v, secrets) for v in value)
    return value


def secrets_in_url(url: str | None) -> tuple[str, ...]:
    """The secret parts of a URL, parsed forgivingly: its password (also with unencoded
    ``@``, ``/``, ``#``, ``?``), the pieces a strict parser would cut that password into,
    and the values of query parameters named like secrets."""
    if not url:
        return ()
    found: list[str] = []
    rest = url.split("://", 1)[1] if "://" in url else url
    if "@" in rest:
        userinfo = rest.rsplit("@", 1)[0]
        _user, sep, password = userinfo.partition(":")
        if sep and password:
            found += [password, unquote(password)]
            found += [p for p in re.split(r"[@/#?:]", password) if len(p) >= MIN_FRAGMENT]
    for match in _QUERY.finditer(url):
        if match["value"]:
            found += [match["value"], unquote(match["value"])]
    for match in _KV.finditer(url):
        found.append(match["value"])
    return tuple(dict.fromkeys(s for s in found if s))


def _variants(secrets: Iterable[str | None]) -> list[str]:
    out: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET:
            # As printed raw, in a URL, in a traceback's repr and in a JSON body.
            out |= {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}
            out |= {repr(secret)[1:-1], json.dumps(secret)[1:-1]}
    # Longest first, so a secret containing another is replaced whole.
    return sorted(out, key=len, reverse=True)


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs every record's final message and traceback."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)), self.secrets)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True
