"""Hand-written SQL, one file per concern, loaded once.

Each file holds blocks headed ``-- name: noun_verb`` (optionally followed by
``-- description`` lines). ``queries("queue")`` returns the blocks of
``queue.sql`` by name. Parameters use psycopg2's ``%(name)s`` style, and every
instant is a parameter (the injectable clock), never ``now()``, except where a
comment says why.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_HEADER = re.compile(r"^--\s*name:\s*([a-z0-9_]+)\s*$", re.MULTILINE)


@cache
def queries(concern: str) -> dict[str, str]:
    """The named queries of ``shared/sql/<concern>.sql``."""
    text = resources.files(__package__).joinpath(f"{concern}.sql").read_text()
    parts = _HEADER.split(text)
    named: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2]):
        if name in named:
            raise ValueError(f"{concern}.sql: query {name!r} defined twice")
        named[name] = body.strip()
    return named


_PARAM = re.compile(r"%\((\w+)\)s")


@cache
def sa_text(concern: str, name: str):
    """The query as a SQLAlchemy ``text()`` (``%(x)s`` → ``:x``), for use on a Session."""
    import sqlalchemy as sa

    return sa.text(_PARAM.sub(r":\1", queries(concern)[name]))
