"""The chat game's jobs: score decay, delayed message delivery, cleanup, daily recaps, conversation post-processing."""

from dramaturg.actors.game import tables  # noqa: F401  (before the jobs: their tables join the metadata)
from dramaturg.actors.game import cleanup, decay, deliver, process_conversations, summary  # noqa: F401
