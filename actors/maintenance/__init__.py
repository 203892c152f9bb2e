"""Built-in housekeeping jobs: history and queue retention."""

from actors.maintenance import prune_history, prune_queue  # noqa: F401
