"""The App: everything a process needs, built once and passed down.

One :class:`App` per process holds the settings, the clock, the database
engine and session factory, the broker, the registry of jobs and each
domain's own validated configuration. :func:`shared.runtime.build_app`
builds it (the composition root); entry points pass it to the scheduler,
the CLI's verbs and admin helpers; actors see it as ``ctx.app`` (and their
domain's settings as ``ctx.config``) through the :class:`AppContext`
middleware, which holds the App and sets it for each message it runs.

The engine and the session factory are made on first use (``app.engine``,
``app.sessions``): they import SQLAlchemy and its ORM, which the CLI's
reading verbs never need: a one-shot App (``pooled=False``) answers
:meth:`App.connection` on a psycopg2 connection of its own.
This module imports its field types for type checking only, so importing it
is cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from shared.errors import ConfigError

if TYPE_CHECKING:
    from psycopg2.extensions import connection as PgConnection
    from pydantic import BaseModel
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from shared.clock import Clock
    from shared.db import EngineOnDemand
    from shared.jobs import Registry
    from shared.postgres_broker import PostgresBroker
    from shared.settings import Settings

C = TypeVar("C", bound="BaseModel")


@dataclass(frozen=True, eq=False)
class App:
    """One process's platform: built by ``build_app``, never a global."""

    settings: Settings
    clock: Clock
    #: The pool: built by the first use of :attr:`engine` (or of the broker), not by building the App.
    engine_on_demand: EngineOnDemand
    broker: PostgresBroker
    registry: Registry
    url: str
    #: Each domain's settings class → its instance, validated when the App was built.
    configs: Mapping[type[BaseModel], BaseModel] = field(default_factory=dict)
    #: False for a process that asks a few things and exits (a CLI verb): :meth:`connection` then
    #: connects directly instead of building the pool, and SQLAlchemy is never imported.
    pooled: bool = True

    @property
    def engine(self) -> Engine:
        """The process's SQLAlchemy engine (its pool also serves the broker), built now if this is its first use."""
        return self.engine_on_demand.get()

    @contextmanager
    def connection(self) -> Iterator[PgConnection]:
        """A psycopg2 connection in a transaction, committed on success (rolled back on an error).

        From the pool; in a one-shot App (``pooled=False``), a connection of its own, closed after.
        """
        from shared.db import direct_connection, pg_connection

        if not self.pooled:
            with direct_connection(self.url, connect_timeout=self.settings.db_connect_timeout) as conn:
                yield conn
            return
        with self.engine.begin() as pooled:
            yield pg_connection(pooled)

    def check_database(self) -> None:
        """One round trip on this App's kind of connection (a one-shot App builds no pool for it).

        Raises:
            DatabaseUnavailable: with a readable reason (which, when the server refused the URL).
        """
        if not self.pooled:
            with self.connection() as conn, conn.cursor() as cur:
                cur.execute("select 1")
            return
        from shared.db import check_connection

        check_connection(self.engine)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory on :attr:`engine` (``expire_on_commit=False``), made on first use."""
        from shared.db import make_session_factory

        return make_session_factory(self.engine)

    def config(self, model: type[C]) -> C:
        """The validated settings of a domain (``GameConfig`` …).

        Raises:
            ConfigError: no actor loaded into this App declared ``model``.
        """
        try:
            value = self.configs[model]
        except KeyError:
            raise ConfigError(f"{model.__name__} is not loaded in this App (no actor declares it)") from None
        assert isinstance(value, model)
        return value

    def close(self) -> None:
        """Stop the broker's threads and close the pool (tests build many Apps per process)."""
        self.broker.close()
        self.engine_on_demand.dispose()
