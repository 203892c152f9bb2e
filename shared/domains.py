"""The seed domains dramaturg ships, each an opt-in app: ``DRAMATURG_APPS=game,tasks``.

A domain is a package under ``actors/`` that brings, all under one name:

- its actors and cron jobs (``actors/<name>/``), imported by ``build_app``
  only when the domain is enabled, so a disabled domain's jobs are neither
  scheduled nor triggerable;
- its own alembic branch (branch label ``<name>``, revisions in
  ``actors/<name>/migrations/``), upgraded by ``dramaturg migrate`` only when
  enabled and downgradable alone (``alembic downgrade <name>@base``);
- its own Postgres schema ``<name>``, where every one of its tables lives
  (``game.users``), so no domain table meets an app's tables in ``public`` or
  another domain's.

The platform (the queue, job_history, the scheduler's state, the built-in
maintenance jobs) is always on. By default no domain is enabled: installing
dramaturg into an app's database creates the platform alone.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: The platform's alembic branch: dramatiq-pg's queue and schema ``dramaturg``.
PLATFORM_BRANCH = "platform"
#: The schemas the platform owns.
PLATFORM_SCHEMAS = ("dramatiq", "dramaturg")
#: Where ``actors`` is importable from: top level in a checkout, ``dramaturg.actors`` once
#: installed from the wheel (setup.py), so module names are derived, never spelled out.
ACTORS_PACKAGE = __name__.removesuffix("shared.domains") + "actors"
#: Actor modules every App loads, whatever domains are enabled.
PLATFORM_ACTOR_MODULES = (f"{ACTORS_PACKAGE}.maintenance",)

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Domain:
    """One seed domain; its name is also its alembic branch label and its Postgres schema."""

    name: str

    @property
    def module(self) -> str:
        """The package that declares its actors."""
        return f"{ACTORS_PACKAGE}.{self.name}"

    @property
    def tables_module(self) -> str:
        """The module that puts its tables on ``shared.tables.metadata``."""
        return f"{ACTORS_PACKAGE}.{self.name}.tables"

    @property
    def schema(self) -> str:
        return self.name

    @property
    def migrations(self) -> Path:
        """Its alembic version location (listed in ``migrations/alembic.ini`` too)."""
        return ROOT / "actors" / self.name / "migrations"


#: challenges (auto-complete, stats, streak reminders), content (the content platform: generation,
#: scraping, RSS, analytics, tokens, documents, publishing, images), example (the example job), game
#: (the chat game: decay, delivery, recaps…), tasks (recurring instances, reminders, overdue scan).
DOMAINS: dict[str, Domain] = {d.name: d for d in map(Domain, ("challenges", "content", "example", "game", "tasks"))}


def parse_apps(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"game, tasks"`` → ``("game", "tasks")``; ``all`` is every domain, ``""`` or ``none`` none.

    The result follows the order of :data:`DOMAINS` without duplicates.

    Raises:
        ValueError: a name that is no domain, with the closest one.
    """
    if value is None:
        return ()
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else [str(n).strip() for n in value]
    names = [n for n in names if n and n != "none"]
    if "all" in names:
        return tuple(DOMAINS)
    for name in names:
        if name not in DOMAINS:
            close = difflib.get_close_matches(name, DOMAINS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown app {name!r}{hint}; apps: {', '.join(DOMAINS)}, or all, or none")
    return tuple(n for n in DOMAINS if n in names)


def domain_of(actor: object) -> str | None:
    """The domain whose package declares ``actor``, or None (the platform's, or an app's own)."""
    fn = getattr(actor, "fn_impl", None) or getattr(actor, "fn", None)
    module = getattr(fn, "__module__", "") or ""
    for domain in DOMAINS.values():
        if module == domain.module or module.startswith(domain.module + "."):
            return domain.name
    return None


def describe(apps: Iterable[str]) -> str:
    """How a start-up line names the enabled apps."""
    apps = tuple(apps)
    return ", ".join(apps) if apps else "none (the platform alone; DRAMATURG_APPS enables them)"
