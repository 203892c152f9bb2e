"""The chat game's jobs: score decay, delayed message delivery, cleanup, daily recaps, conversation post-processing."""

from actors.game import (  # noqa: F401
    cleanup,
    decay,
    deliver,
    process_conversations,
    summary,
    tables,
)
