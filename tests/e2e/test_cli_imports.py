"""What a CLI verb imports before it answers: the packages that make a cold start slow stay out of the verbs
that do not use them. The start's speed itself is measured by ``python -m bench.cli_start``, never here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg2
import pytest

#: Runs the command as the ``dramaturg`` script does (dramaturg/entry.py); at exit, the last line of stderr
#: lists the top-level packages it imported (and the ORM, whose package SQLAlchemy's core shares).
_PROBE = """
import atexit, json, sys

def report():
    loaded = {name.split(".")[0] for name in sys.modules} | ({"sqlalchemy.orm"} & set(sys.modules))
    print(json.dumps(sorted(loaded)), file=sys.stderr)

atexit.register(report)
sys.argv = ["dramaturg", *sys.argv[1:]]
from dramaturg.entry import main
sys.exit(main())
"""

SLOW_TO_IMPORT = {"sqlalchemy.orm", "pydantic_settings", "requests", "rich", "bs4", "feedparser", "anthropic"}


def imported_by(db_url: str, *args: str) -> set[str]:
    """The packages ``dramaturg *args`` imports, every app enabled, its stdout a pipe (as for a script)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRAMATURG_", "DATABASE_URL"))}
    env.update(DATABASE_URL=db_url, DRAMATURG_APPS="all")
    result = subprocess.run([sys.executable, "-c", _PROBE, *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


def test_help_imports_neither_the_database_nor_pydantic_nor_dramatiq(db_url):
    # Given the CLI, When a person asks for its help (or a verb's), Then nothing but the CLI's own small modules load
    for args in (("--help",), ("trigger", "--help"), ("web", "--help")):
        assert not imported_by(db_url, *args) & {"sqlalchemy", "psycopg2", "pydantic", "dramatiq", *SLOW_TO_IMPORT}


@pytest.mark.parametrize(
    "args",
    [("schedule",), ("status",), ("history", "--limit", "5"), ("history", "--json"), ("keys", "list")],
    ids=" ".join,
)
def test_reading_verbs_import_no_sqlalchemy_settings_library_sdk_or_rich(db_url, args):
    # Given every app enabled, When a verb that only reads runs with its output piped,
    # Then it imports neither SQLAlchemy (it asks on a connection of its own), pydantic-settings,
    # the HTTP and parsing libraries, nor rich
    assert not imported_by(db_url, *args) & {"sqlalchemy", *SLOW_TO_IMPORT}


def test_a_trigger_that_does_not_wait_enqueues_without_sqlalchemy(db_url):
    # Given every app enabled, When a job is triggered without --wait,
    # Then its row and message are written on a connection of its own: no pool, no SQLAlchemy
    assert "sqlalchemy" not in imported_by(db_url, "trigger", "prune-queue")
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from dramaturg.job_history where job_name = 'prune-queue' and status = 'queued'")
        assert cur.fetchone() == (1,)
        cur.execute("select count(*) from dramatiq.queue where state = 'queued'")
        assert cur.fetchone() == (1,)


def test_migrate_on_a_current_database_imports_neither_alembic_nor_sqlalchemy(db_url):
    # Given a database at every head (the test template has every app migrated), When the release step runs,
    # Then it reads the heads off the scripts and the version table and answers without alembic
    assert not imported_by(db_url, "migrate") & {"alembic", "sqlalchemy", *SLOW_TO_IMPORT}
