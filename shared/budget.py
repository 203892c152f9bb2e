"""The database connections one process may open: its budget against the server's ``max_connections``.

A process of dramaturg opens, at most::

    connections = pool + (1 + queues if it consumes queues else 0)

- ``pool``: the SQLAlchemy pool shared by worker threads, the heartbeat, enqueues,
  history and the CLI — ``DRAMATURG_DB_POOL_SIZE`` when set (a hard cap: no
  overflow), else ``2 × (DRAMATURG_WORKER_THREADS + 4)`` (``threads + 4`` kept
  open and as many again on demand, closed when returned: the historical default);
- ``1``: the one LISTEN connection the broker's listener shares among the
  process's consumers (``shared/listener.py``);
- ``queues``: one connection per consumed queue, each consumer's own, for its
  claims and outcomes (``shared/postgres_consumer.py``).

So a worker with the defaults (8 threads) consuming 7 queues may open
24 + 1 + 7 = 32; with ``DRAMATURG_DB_POOL_SIZE=6``, 6 + 1 + 7 = 14. A scheduler,
the web dyno or a CLI command consumes no queue: ``pool`` only. A deployment
needs the sum over its processes (each of ``DRAMATURG_WORKER_PROCESSES``
counts) to fit ``max_connections`` minus the server's reserved slots.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.errors import ConfigError
from shared.settings import Settings
from shared.sql import sa_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def pool_limits(settings: Settings) -> tuple[int, int]:
    """``(pool_size, max_overflow)`` for the process's engine."""
    if settings.db_pool_size is not None:
        return settings.db_pool_size, 0
    kept = settings.worker_threads + 4
    return kept, kept


def pool_max(settings: Settings) -> int:
    """The most connections the pool opens at once."""
    size, overflow = pool_limits(settings)
    return size + overflow


def process_connections(settings: Settings, consumed_queues: int = 0) -> int:
    """The most connections one process opens, consuming ``consumed_queues`` queues."""
    return pool_max(settings) + (1 + consumed_queues if consumed_queues else 0)


def kept_connections(settings: Settings, consumed_queues: int = 0) -> int:
    """The connections one process keeps open when busy (the pool's kept part, LISTEN, consumers).

    Start-up checks count these, not the on-demand overflow: a deployment whose
    kept connections do not fit cannot work at all, while overflow waits for a
    free slot within the pool timeout.
    """
    size, _ = pool_limits(settings)
    return size + (1 + consumed_queues if consumed_queues else 0)


def check_fits(engine: Engine, needed: int, what: str) -> None:
    """Fail fast when ``needed`` more connections do not fit the server's free slots.

    Free slots are ``max_connections`` minus the reserved ones
    (``superuser_reserved_connections``, and ``reserved_connections`` where the
    server has it) minus the connections already open.

    Raises:
        ConfigError: with the figures and the settings that change them.
    """
    with engine.connect() as conn:
        row = conn.execute(sa_text("budget", "budget_server_slots")).one()
    free = row.max_connections - row.reserved - row.in_use
    if needed > free:
        raise ConfigError(
            f"{what} needs up to {needed} database connections but the server has {free} free "
            f"(max_connections={row.max_connections}, {row.reserved} reserved, {row.in_use} in use); "
            "lower DRAMATURG_DB_POOL_SIZE, DRAMATURG_WORKER_THREADS or DRAMATURG_WORKER_PROCESSES, "
            "or raise the server's max_connections"
        )


def group_connections(settings: Settings, consumed_queues: int) -> int:
    """The connections ``dramaturg up``'s group keeps open: each worker process, the scheduler, the web dyno."""
    workers = settings.worker_processes * kept_connections(settings, consumed_queues)
    return workers + 2 * kept_connections(settings)
