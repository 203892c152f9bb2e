"""Whether a database is already at the heads ``dramaturg migrate`` would upgrade it to, without alembic.

``migrate`` is the release step: it runs at every deploy and nearly always
finds nothing to do. Importing alembic (and SQLAlchemy with it) and running
each branch's environment costs most of a second; reading the scripts'
revision ids and one version table does not. The heads are read from the
script files at every call (nothing is cached, so nothing can go stale), and
whenever the answer is not a plain yes — a new script, an app not migrated
yet, no version table, a script whose ids are not literals — alembic runs as
before and decides.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from psycopg2.extensions import connection as PgConnection

from shared.domains import DOMAINS, ROOT
from shared.sql import queries

#: The platform branch's scripts (the domains' are ``Domain.migrations``).
PLATFORM_VERSIONS = ROOT / "migrations" / "versions"
SQL = queries("migrations")


class UnreadableScript(Exception):
    """A script's ``revision``/``down_revision`` are not literals this module can read: ask alembic."""


def script_ids(path: Path) -> tuple[str, tuple[str, ...]]:
    """(revision, down revisions) of one alembic script, read from its module-level assignments.

    Raises:
        UnreadableScript: either is missing or not a literal (a string, None, or a tuple of strings).
    """
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except SyntaxError as exc:  # alembic's own import then reports it
        raise UnreadableScript(f"{path}: {exc}") from None
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and node.value:
                    try:
                        values[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        raise UnreadableScript(f"{path}: {target.id} is not a literal") from None
    revision, down = values.get("revision", ...), values.get("down_revision", ...)
    if not isinstance(revision, str) or down is ...:
        raise UnreadableScript(f"{path}: no literal revision / down_revision")
    downs = () if down is None else (down,) if isinstance(down, str) else down
    if not (isinstance(downs, tuple | list) and all(isinstance(d, str) for d in downs)):
        raise UnreadableScript(f"{path}: down_revision is not a string, None or strings")
    return revision, tuple(downs)


def branch_heads(folder: Path) -> set[str]:
    """The revisions of the scripts in ``folder`` that no other script there builds on."""
    revisions: set[str] = set()
    built_on: set[str] = set()
    for path in folder.glob("*.py"):
        if path.name.startswith("__init__"):  # what alembic skips too
            continue
        revision, downs = script_ids(path)
        revisions.add(revision)
        built_on.update(downs)
    return revisions - built_on


def expected_heads(apps: Iterable[str]) -> set[str]:
    """The heads ``migrate`` upgrades to: the platform's and each enabled app's.

    Raises:
        UnreadableScript: see :func:`script_ids`.
    """
    folders = [PLATFORM_VERSIONS, *(DOMAINS[app].migrations for app in apps)]
    return set().union(*(branch_heads(folder) for folder in folders))


def at_heads(conn: PgConnection, apps: Iterable[str]) -> bool:
    """True when the version table holds every head ``migrate`` would upgrade to (then it has nothing to do).

    Heads of apps not enabled may be there too (a disabled app stays migrated).
    """
    try:
        wanted = expected_heads(apps)
    except UnreadableScript:
        return False
    with conn.cursor() as cur:
        cur.execute(SQL["version_table"])
        if cur.fetchone() == (None,):
            return False
        cur.execute(SQL["stored_heads"])
        stored = {row[0] for row in cur.fetchall()}
    return bool(wanted) and wanted <= stored
