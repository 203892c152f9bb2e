"""Built-in housekeeping jobs: history and queue retention."""

from dramaturg.actors.maintenance import prune_history, prune_queue  # noqa: F401
