"""The pool's half of lost-connection handling: ping on checkout only when a connection may be stale.

See shared/lost_connections.py for the whole rule; this half is SQLAlchemy's
pool events, imported by the engine (shared/db.py) when it is built.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg2
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from shared.lost_connections import is_lost

#: connection_record.info key: when the connection was last checked in (time.monotonic()).
CHECKED_IN_AT = "dramaturg_checked_in_at"


class CheckoutChecks:
    """One engine's checkout rule: ping only a connection idle over ``idle_seconds``, or one
    checked in before a lost connection was seen (the server may have restarted under it);
    replace one marked lost, or whose ping fails."""

    def __init__(self, engine: Engine, *, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self.dialect = engine.dialect
        #: When a connection of this pool was last found lost (time.monotonic()).
        self.lost_at = float("-inf")
        sa.event.listen(engine, "checkin", self.checked_in)
        sa.event.listen(engine, "checkout", self.checked_out)
        sa.event.listen(engine, "invalidate", self.invalidated)

    def checked_in(self, dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        now = time.monotonic()
        if dbapi_connection is None:  # invalidated on the way back
            self.lost_at = now
            return
        if is_lost(dbapi_connection):
            self.lost_at = now  # replaced at its next checkout, and the others pinged
        record.info[CHECKED_IN_AT] = now

    def invalidated(self, dbapi_connection: Any, record: ConnectionPoolEntry, exc: BaseException | None) -> None:
        self.lost_at = time.monotonic()

    def checked_out(self, dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection) -> None:
        if is_lost(dbapi_connection):
            # The pool closes it and connects anew (a failure to connect reaches the caller).
            raise sa_exc.DisconnectionError("the connection was lost")
        checked_in = record.info.get(CHECKED_IN_AT)
        if checked_in is None:
            return  # fresh
        if time.monotonic() - checked_in <= self.idle_seconds and checked_in > self.lost_at:
            return  # used a moment ago, with nothing lost since: its next statement says if it is gone
        try:
            self.dialect.do_ping(dbapi_connection)
        except psycopg2.Error as exc:
            raise sa_exc.DisconnectionError(f"ping failed: {str(exc).strip()}") from exc
