"""The text of one platform variation: the model's (Anthropic Messages API), or the offline generator's.

Platform limits are respected: a text over its platform's limit is cut at a
word boundary with an ellipsis (X's 280 characters, …). The offline generator
is deterministic — the same brand, topic and platform always give the same
text — so the demo and tests run without a key; its items say
``generator = 'offline'``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared import llm

#: Characters per post; platforms not listed get DEFAULT_LIMIT.
PLATFORM_LIMITS = {
    "x": 280,
    "twitter": 280,
    "threads": 500,
    "bluesky": 300,
    "mastodon": 500,
    "instagram": 2200,
    "linkedin": 3000,
    "facebook": 5000,
}
DEFAULT_LIMIT = 2000


@dataclass(frozen=True)
class Written:
    text: str
    generator: str  # "anthropic" | "offline"


def limit_of(platform: str) -> int:
    return PLATFORM_LIMITS.get(platform.lower(), DEFAULT_LIMIT)


def fit(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut at the last word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def offline(brand: Any, topic: str, platform: str) -> str:
    tag = "".join(word.capitalize() for word in topic.split()[:3] if word.isalnum())
    tone = f"{brand.tone} " if brand.tone else ""
    voice = f" in {brand.voice}'s voice" if brand.voice else ""
    return f"{brand.name} on {topic}: a {tone}take{voice}, written for {platform}. #{tag or 'News'}"


def write(settings: Any, brand: Any, topic: str, platform: str) -> Written:
    """One variation for ``platform``.

    Raises:
        ChannelTransient: the model is unreachable, overloaded or failed (5xx, 429).
        ChannelRejected: the model refused the request (4xx).
    """
    limit = limit_of(platform)
    system = (
        f"You write social media posts for the brand {brand.name}. Voice: {brand.voice or 'neutral'}. "
        f"Tone: {brand.tone or 'friendly'}. Answer with the post text only, at most {limit} characters."
    )
    prompt = f"Write one {platform} post about: {topic}"
    text = llm.complete(settings, system=system, prompt=prompt, max_tokens=min(1024, limit // 2 + 100))
    if text is None:
        return Written(fit(offline(brand, topic, platform), limit), "offline")
    return Written(fit(text, limit), "anthropic")
