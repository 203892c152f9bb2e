"""Hand-written SQL, one file per concern, loaded once.

Each file holds blocks headed ``-- name: noun_verb`` (optionally followed by
``-- description`` lines). ``queries("queue")`` returns the blocks of the
platform's ``shared/sql/queue.sql`` by name; a domain keeps its SQL beside
its jobs and names the file with :class:`SqlFile` (``SqlFile(__package__,
"decay")`` is ``actors/game/decay.sql``). Parameters use psycopg2's
``%(name)s`` style, and every instant is a parameter (the injectable clock),
never ``now()``, except where a comment says why.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import sqlalchemy as sa

_HEADER = re.compile(r"^--\s*name:\s*([a-z0-9_]+)\s*$", re.MULTILINE)
_PARAM = re.compile(r"%\((\w+)\)s")


class SqlFile(NamedTuple):
    """A ``<name>.sql`` file inside a package other than the platform's (a domain's, a test's)."""

    package: str | None  # a module's own ``__package__``
    name: str


def parse(text: str, source: str) -> dict[str, str]:
    """The named blocks of one file's text.

    Raises:
        ValueError: a name defined twice.
    """
    parts = _HEADER.split(text)
    named: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2]):
        if name in named:
            raise ValueError(f"{source}: query {name!r} defined twice")
        named[name] = body.strip()
    return named


@cache
def queries(concern: str | SqlFile) -> dict[str, str]:
    """The named queries of ``shared/sql/<concern>.sql``, or of the :class:`SqlFile` given."""
    package, name = (concern.package, concern.name) if isinstance(concern, SqlFile) else (__package__, concern)
    if not package:
        raise ValueError(f"{name}.sql: SqlFile needs the package that holds it")
    text = resources.files(package).joinpath(f"{name}.sql").read_text()
    return parse(text, f"{package}/{name}.sql")


@cache
def sa_text(concern: str | SqlFile, name: str) -> sa.TextClause:
    """The query as a SQLAlchemy ``text()`` (``%(x)s`` → ``:x``), for use on a Session.

    SQLAlchemy is imported here, by a job's first query: declaring the job needs none of it.
    """
    import sqlalchemy as sa

    return sa.text(_PARAM.sub(r":\1", queries(concern)[name]))
