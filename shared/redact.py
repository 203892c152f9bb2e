"""Scrub secrets (bot token, API keys, database password) from text before it is logged or stored."""

from __future__ import annotations

import logging
from collections.abc import Iterable


def redact(text: str | None, secrets: Iterable[str]) -> str | None:
    if not text:
        return text
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs secrets from every record's final message."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = redact(record.getMessage(), self.secrets)
            record.args = ()
            if record.exc_info and record.exc_info[1] is not None:
                import traceback

                record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)), self.secrets)
                record.exc_info = None
        return True
