"""Lost connections: every one surfaces as an outage error, and the pool replaces it.

Together these replace the pool's ping on every checkout (a ``SELECT 1`` round trip
per checkout, a third of a short child job's time and half of a single send):

- :class:`GuardedConnection` (the engine's psycopg2 ``connection_factory``). psycopg2
  reports a connection the server dropped (an immediate shutdown, seen over a Unix
  socket) on its first use as a bare ``DatabaseError`` without SQLSTATE — the base class
  of every SQL error, so no caller can tell it from a bad query. On these connections it
  is an ``OperationalError`` (the class psycopg2 itself raises for the same loss on the
  next use), one of the outage errors every caller catches, whether it used a raw cursor
  or SQLAlchemy; the connection is marked :attr:`~GuardedConnection.lost`.
- :class:`~shared.pool_checks.CheckoutChecks` (the pool's half, in its own module so
  that this one imports no SQLAlchemy: the broker and the CLI's reading verbs use only
  this half): a connection is pinged on checkout only when it sat idle
  longer than ``idle_seconds`` (long enough for the server to have restarted meanwhile)
  or was checked in before a lost one was seen (after a restart the connections beside
  it are dead too); one marked lost, or whose ping fails, is replaced. A connection used
  more recently than that, and dropped since, fails its next statement with an outage
  error: the caller handles it as one (a send is tried once more, a job retried,
  /health answers 503), and the pool replaces it at its next checkout.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras


def retyped(exc: psycopg2.Error) -> psycopg2.Error | None:
    """The ``OperationalError`` to raise instead of ``exc`` when it means the connection is gone, else None.

    psycopg2 raises a bare ``DatabaseError`` with no SQLSTATE only when libpq itself failed
    (no answer from the server): every error the server sends has a code and a subclass.
    """
    if type(exc) is psycopg2.DatabaseError and exc.pgcode is None:
        return psycopg2.OperationalError(str(exc))
    return None


def _guard(method: Callable[..., Any], on_error: Callable[[Any, psycopg2.Error], psycopg2.Error | None]) -> Any:
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except psycopg2.DatabaseError as exc:
            replacement = on_error(self, exc)
            if replacement is None:
                raise
            raise replacement from exc

    guarded.__name__ = method.__name__
    guarded.__doc__ = method.__doc__
    return guarded


def _mark_lost(conn: GuardedConnection, exc: psycopg2.Error) -> psycopg2.Error | None:
    replacement = retyped(exc)
    if replacement is not None or conn.closed:
        conn.lost = True
    return replacement


#: The cursor methods that talk to the server (client-side cursors fetch from memory).
_CURSOR_IO = ("execute", "executemany", "callproc", "copy_expert", "copy_from", "copy_to")


def _guarded_class(base: type[psycopg2.extensions.cursor]) -> type[psycopg2.extensions.cursor]:
    namespace = {
        name: _guard(getattr(base, name), lambda cur, exc: _mark_lost(cur.connection, exc)) for name in _CURSOR_IO
    }
    return type(f"Guarded{base.__name__}", (base,), namespace)


#: psycopg2's cursor classes, guarded once at import.
_GUARDED = MappingProxyType(
    {
        base: _guarded_class(base)
        for base in (
            psycopg2.extensions.cursor,
            psycopg2.extras.RealDictCursor,
            psycopg2.extras.DictCursor,
            psycopg2.extras.NamedTupleCursor,
        )
    }
)


def guarded_cursor(base: type[psycopg2.extensions.cursor]) -> type[psycopg2.extensions.cursor]:
    """``base`` (psycopg2's cursor, RealDictCursor, …) whose statements raise lost connections as OperationalError."""
    guarded = _GUARDED.get(base)
    if guarded is not None:
        return guarded
    if base in _GUARDED.values():
        return base
    return _guarded_class(base)  # another factory: made per cursor (dramaturg itself uses none)


class GuardedConnection(psycopg2.extensions.connection):
    """A psycopg2 connection whose lost-connection errors are ``OperationalError``, in every cursor it makes."""

    #: Set once a statement found the connection gone; the pool then replaces it.
    lost = False

    def cursor(  # type: ignore[override]  # one signature for psycopg2's overloads
        self,
        name: str | bytes | None = None,
        cursor_factory: type[psycopg2.extensions.cursor] | None = None,
        withhold: bool = False,
        scrollable: bool | None = None,
    ) -> psycopg2.extensions.cursor:
        # The connection's own default factory (typed as a method by the stubs) when none is given.
        factory = cursor_factory or getattr(self, "cursor_factory", None) or psycopg2.extensions.cursor
        return super().cursor(name, cursor_factory=guarded_cursor(factory), withhold=withhold, scrollable=scrollable)

    commit = _guard(psycopg2.extensions.connection.commit, _mark_lost)
    rollback = _guard(psycopg2.extensions.connection.rollback, _mark_lost)


def is_lost(conn: Any) -> bool:
    """Whether this psycopg2 connection is known to be gone (closed, or marked by a failed statement)."""
    return bool(conn.closed) or bool(getattr(conn, "lost", False))
