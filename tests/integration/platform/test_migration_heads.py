"""``dramaturg migrate``'s check before alembic: the heads read off the scripts are alembic's own, and a
database counts as current only when its version table holds every head that would be upgraded to."""

from __future__ import annotations

import psycopg2
import pytest
from alembic.script import ScriptDirectory

from shared.domains import DOMAINS, PLATFORM_BRANCH
from shared.migrate import alembic_config, downgrade, upgrade
from shared.migration_heads import (
    PLATFORM_VERSIONS,
    UnreadableScript,
    at_heads,
    branch_heads,
    expected_heads,
    script_ids,
)


def _current(url: str, apps: tuple[str, ...]) -> bool:
    with psycopg2.connect(url) as conn:
        return at_heads(conn, apps)


def test_the_heads_read_off_the_scripts_are_alembics_for_every_branch():
    # Given alembic's own reading of every branch (it imports the scripts)
    scripts = ScriptDirectory.from_config(alembic_config("postgresql://unused/none"))
    for branch, apps in [(PLATFORM_BRANCH, ()), *((name, (name,)) for name in DOMAINS)]:
        alembics = {s.revision for s in scripts.get_revisions(f"{branch}@head")}
        # When the check reads the same branch from the files alone, Then it finds the same head
        ours = expected_heads(apps) - (expected_heads(()) if apps else set())
        assert ours == alembics, branch
    # and all branches together are alembic's heads
    assert expected_heads(tuple(DOMAINS)) == set(scripts.get_heads())


def test_a_database_is_current_only_once_each_enabled_branch_is_at_its_head(empty_db_url):
    # Given an empty database, Then nothing is current (no version table yet)
    assert not _current(empty_db_url, ())
    # When the platform alone is migrated, Then the platform is current and the game is not
    upgrade(empty_db_url)
    assert _current(empty_db_url, ())
    assert not _current(empty_db_url, ("game",))
    # When the game is migrated too, Then both are, and the platform alone still is (a migrated app may be off)
    upgrade(empty_db_url, ("game",))
    assert _current(empty_db_url, ("game",))
    assert _current(empty_db_url, ())
    # When the platform steps one revision back, Then nothing that includes it is current
    (head,) = branch_heads(PLATFORM_VERSIONS)
    previous = next(downs for rev, downs in map(script_ids, PLATFORM_VERSIONS.glob("*.py")) if rev == head)[0]
    downgrade(empty_db_url, previous)
    assert not _current(empty_db_url, ())
    assert not _current(empty_db_url, ("game",))


def test_scripts_whose_ids_are_not_literals_are_left_to_alembic(tmp_path):
    # Given a script that computes its revision, When its ids are read, Then the check gives up (alembic decides)
    computed = tmp_path / "0001_x.py"
    computed.write_text('revision = "00" + "01"\ndown_revision = None\n')
    with pytest.raises(UnreadableScript):
        script_ids(computed)
    broken = tmp_path / "0003_z.py"
    broken.write_text("revision = (\n")
    with pytest.raises(UnreadableScript):
        script_ids(broken)
    missing = tmp_path / "0002_y.py"
    missing.write_text('revision = "0002"\n')
    with pytest.raises(UnreadableScript):
        script_ids(missing)


def test_a_branch_head_is_the_script_nothing_builds_on(tmp_path):
    # Given a chain and a merge of two scripts, When its heads are read, Then only the last one is a head
    for name, rev, down in [("a", "a1", None), ("b", "b1", "a1"), ("c", "c1", "a1"), ("m", "m1", ("b1", "c1"))]:
        (tmp_path / f"{name}.py").write_text(f"revision: str = {rev!r}\ndown_revision = {down!r}\n")
    (tmp_path / "__init__.py").write_text("")
    assert branch_heads(tmp_path) == {"m1"}
