"""The chat game's jobs: score decay, delayed message delivery, cleanup, daily recaps, conversation post-processing.

Their tables (``tables``) are imported by the migrations, not here: declaring the jobs needs no SQLAlchemy.
"""

from actors.game import (  # noqa: F401
    cleanup,
    decay,
    deliver,
    process_conversations,
    summary,
)
