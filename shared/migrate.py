"""Run the alembic branches against a database URL: the platform's, then each enabled app's.

The branches (``migrations/alembic.ini`` lists their folders): ``platform``
(``migrations/versions/``) and one per seed domain, labelled with its name
(``actors/<domain>/migrations/``, shared/domains.py). Alembic keeps their
heads in ``dramaturg.alembic_version``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config

from shared.domains import DOMAINS, PLATFORM_BRANCH

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    # '%' is alembic's interpolation character; URLs may contain it (encoded passwords).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, apps: Iterable[str] = (), *, revision: str | None = None) -> None:
    """Migrate the platform and the apps named in ``apps`` to their heads; idempotent.

    Parameters:
        apps: seed domains to migrate too (``settings.apps``); others are left as they are.
        revision: migrate to this one revision instead (``"game@head"``, ``"0003"``).

    Raises:
        LegacyDatabase: the database was migrated before the platform had its own schema.
    """
    config = alembic_config(url)
    targets = [revision] if revision else [f"{PLATFORM_BRANCH}@head", *(f"{DOMAINS[a].name}@head" for a in apps)]
    for target in targets:
        command.upgrade(config, target)


def downgrade(url: str, revision: str = "base") -> None:
    """Downgrade to ``revision``: ``"base"`` removes everything, ``"game@base"`` one app alone."""
    command.downgrade(alembic_config(url), revision)
