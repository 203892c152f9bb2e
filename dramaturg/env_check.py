"""Warn about ``DRAMATURG_*`` variables no setting reads: a typo (``DRAMATURG_WORKER_THREAD=4``) is not silently ignored."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from pydantic import BaseModel

from shared.settings import JOB_PREFIX, Settings

logger = logging.getLogger("dramaturg")
PREFIX = "DRAMATURG_"


def known_variables(models: Iterable[type[BaseModel]]) -> set[str]:
    """Every environment variable the settings classes read (by alias)."""
    return {f.alias for m in models for f in m.model_fields.values() if f.alias}


def unknown_variables(environ: Mapping[str, str], known: set[str]) -> list[tuple[str, str | None]]:
    """``(variable, closest known name or None)`` for each ``DRAMATURG_*`` variable no setting reads.

    ``DRAMATURG_JOB_*`` are per-job overrides, checked against the job table by the scheduler.
    """
    candidates = sorted(k for k in known if k.startswith(PREFIX))
    found = []
    for name in sorted(environ):
        if not name.startswith(PREFIX) or name in known or name.startswith(JOB_PREFIX):
            continue
        import difflib  # only an unknown variable needs it

        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
        found.append((name, close[0] if close else None))
    return found


def warn_unknown_variables(environ: Mapping[str, str], domain_models: Iterable[type[BaseModel]] = ()) -> None:
    from dramaturg.web.config import WebSettings

    for name, close in unknown_variables(environ, known_variables([Settings, WebSettings, *domain_models])):
        hint = f"; did you mean {close}?" if close else ""
        logger.warning("%s is set but no setting of dramaturg reads it%s", name, hint)
