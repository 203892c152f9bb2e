"""Per-queue limits: how many messages of a queue run at once cluster-wide, and the lease a claim gets.

Any app sets them, for any queue, in the environment::

    DRAMATURG_QUEUE_CONTENT_GENERATION_CONCURRENCY=10     (a positive whole number)
    DRAMATURG_QUEUE_CONTENT_GENERATION_LEASE_SECONDS=300  (positive seconds)

``<NAME>`` is the queue name upper-cased with ``-`` and ``.`` as ``_``
(:func:`queue_env_name`). An app may declare defaults in code beside its actors
with ``broker.limit_queue("content-generation", concurrency=10, lease_seconds=300)``;
the environment wins field by field. Without a concurrency a queue is uncapped;
without a lease its claims get ``DRAMATURG_LEASE_SECONDS``.

The broker enforces the concurrency at claim time (``queue_claim_capped`` in
``shared/sql/queue.sql``) and renews each claim with its queue's lease.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from shared.errors import ConfigError

QUEUE_PREFIX = "DRAMATURG_QUEUE_"
CONCURRENCY = "CONCURRENCY"
LEASE_SECONDS = "LEASE_SECONDS"
QUEUE_FIELDS = (CONCURRENCY, LEASE_SECONDS)


class QueueLimit(NamedTuple):
    """One queue's limits; None means not set here (uncapped, or the global lease)."""

    concurrency: int | None = None
    lease_seconds: float | None = None

    def over(self, default: QueueLimit) -> QueueLimit:
        """These limits, with ``default``'s where these are not set."""
        return QueueLimit(
            self.concurrency if self.concurrency is not None else default.concurrency,
            self.lease_seconds if self.lease_seconds is not None else default.lease_seconds,
        )


def queue_env_name(queue: str) -> str:
    """The ``<NAME>`` of a queue's variables: ``content-generation`` → ``CONTENT_GENERATION``."""
    return queue.upper().replace("-", "_").replace(".", "_")


def checked_limit(concurrency: object, lease_seconds: object, what: str) -> QueueLimit:
    """A :class:`QueueLimit` from values given in code.

    Raises:
        ConfigError: a concurrency that is not a positive whole number, or a lease that is not positive.
    """
    return QueueLimit(
        None if concurrency is None else parse_concurrency(concurrency, f"{what} concurrency"),
        None if lease_seconds is None else parse_lease(lease_seconds, f"{what} lease_seconds"),
    )


def parse_concurrency(value: object, what: str) -> int:
    """A positive whole number (an int, or its decimal text).

    Raises:
        ConfigError: naming ``what`` and the value.
    """
    text = str(value).strip()
    if isinstance(value, bool) or not (isinstance(value, int) or text.isdigit()) or int(text) < 1:
        raise ConfigError(f"{what}: must be a positive whole number of messages, got {value!r}")
    return int(text)


def parse_lease(value: object, what: str) -> float:
    """Positive, finite seconds (a number, or its text).

    Raises:
        ConfigError: naming ``what`` and the value.
    """
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{what}: must be a positive number of seconds, got {value!r}")
    return seconds


def collect_queue_env(environ: Mapping[str, str], known: frozenset[str] = frozenset()) -> dict[str, QueueLimit]:
    """Validate every ``DRAMATURG_QUEUE_<NAME>_<FIELD>`` variable, grouped by ``<NAME>``.

    Parameters:
        known: variables under the prefix that are settings of their own
            (``DRAMATURG_QUEUE_RETENTION_DAYS``), left alone.

    Raises:
        ConfigError: a value that is not valid, or a variable under the prefix with no known field
            (a typo must not silently leave a queue uncapped). Every problem is named at once.
    """
    fields: dict[str, dict[str, object]] = {}
    problems: list[str] = []
    for key, value in sorted(environ.items()):
        if not key.startswith(QUEUE_PREFIX) or key in known:
            continue
        rest = key[len(QUEUE_PREFIX) :]
        field = next((f for f in QUEUE_FIELDS if rest.endswith("_" + f)), None)
        if field is None or rest == field:
            problems.append(f"{key}: expected {QUEUE_PREFIX}<NAME>_<FIELD> with FIELD one of {', '.join(QUEUE_FIELDS)}")
            continue
        try:
            parsed = parse_concurrency(value, key) if field == CONCURRENCY else parse_lease(value, key)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        fields.setdefault(rest[: -len(field) - 1], {})[field] = parsed
    if problems:
        raise ConfigError("invalid queue limits: " + "; ".join(problems))
    return {
        name: QueueLimit(values.get(CONCURRENCY), values.get(LEASE_SECONDS))  # type: ignore[arg-type]
        for name, values in fields.items()
    }
