"""A small wrapper around the Anthropic Messages API with a deterministic offline fallback.

``complete(settings, system=..., prompt=...)`` returns the model's text, or
``None`` when no ``ANTHROPIC_API_KEY`` is configured or the SDK is not
installed (it is the ``dramaturg[llm]`` extra, imported only when a call is
made) — callers then use their own deterministic template (and record that
they did). Errors are mapped onto
dramaturg's channel errors so jobs retry them like any other channel:
connection problems, timeouts, 429 and 5xx → ``ChannelTransient`` (429 keeps
the server's ``retry-after``); any other 4xx → ``ChannelRejected``. The SDK's
own retries are off: the platform's 1/2/4-minute retries are the one policy.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING

from shared.errors import ChannelRejected, ChannelTransient
from shared.redact import redact

if TYPE_CHECKING:
    from shared.settings import Settings

if TYPE_CHECKING:
    import anthropic

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30.0


@cache
def sdk_installed() -> bool:
    """Whether the ``[llm]`` extra (the ``anthropic`` package) imports; without it, said once."""
    try:
        import anthropic  # noqa: F401  (imported only once a key is set: it takes a second)
    except ImportError:
        logger.warning("ANTHROPIC_API_KEY is set but the anthropic SDK is not installed: using templates")
        return False
    return True


def available(settings: Settings) -> bool:
    return bool(settings.anthropic_api_key) and sdk_installed()


def complete(settings: Settings, *, system: str, prompt: str, max_tokens: int = 400) -> str | None:
    """The model's answer to ``prompt``, or None without an API key or without the SDK.

    Raises:
        ChannelTransient: unreachable, timed out, rate limited or a server error.
        ChannelRejected: the API refused the request (bad key, bad model, ...).
    """
    if not available(settings):
        return None
    import anthropic  # the [llm] extra, installed: available() checked

    base_url = str(settings.anthropic_base_url).rstrip("/") if settings.anthropic_base_url else None
    client = anthropic.Anthropic(
        api_key=settings.anthropic_api_key, base_url=base_url, max_retries=0, timeout=TIMEOUT_SECONDS
    )
    secrets = (settings.anthropic_api_key,)
    try:
        reply = client.messages.create(
            model=settings.anthropic_model,
            max_tokens=max_tokens,
            system=system,
            messages=[{"role": "user", "content": prompt}],
        )
    except anthropic.APIConnectionError as exc:  # includes timeouts
        raise ChannelTransient(redact(f"Anthropic API unreachable: {exc}", secrets)) from None
    except anthropic.APIStatusError as exc:
        message = redact(f"Anthropic API: HTTP {exc.status_code}: {exc.message}", secrets)
        if exc.status_code == 429 or exc.status_code >= 500:
            raise ChannelTransient(message, retry_after=_retry_after(exc)) from None
        raise ChannelRejected(message) from None
    finally:
        client.close()
    text = "".join(block.text for block in reply.content if isinstance(block, anthropic.types.TextBlock)).strip()
    if not text:
        raise ChannelTransient("Anthropic API: empty answer")
    return text


def _retry_after(exc: anthropic.APIStatusError) -> float | None:
    try:
        return max(0.0, float(exc.response.headers.get("retry-after", "")))
    except (TypeError, ValueError):
        return None
