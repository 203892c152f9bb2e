"""The Python API an application uses: one import path, the same in a checkout and installed.

Installed from the wheel, the platform lives at ``dramaturg.shared`` and the
scheduler at ``dramaturg.scheduler`` (setup.py says why); in a checkout they
are the top-level ``shared`` and ``scheduler``. An app imports from here and
never needs to know which::

    from dramaturg.api import ItemContext, JobContext, build_app, cron_job, item_actor

Importing it loads the platform (Dramatiq, SQLAlchemy), not the seed domains.
"""

from __future__ import annotations

from scheduler.trigger import trigger_job, wait_for_run
from shared.actors import ItemContext, JobContext, cron_job, item_actor
from shared.app import App
from shared.runtime import build_app

__all__ = [
    "App",
    "ItemContext",
    "JobContext",
    "build_app",
    "cron_job",
    "item_actor",
    "trigger_job",
    "wait_for_run",
]
