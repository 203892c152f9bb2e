"""One claim of one message: the token every outcome, retry, release and renewal is fenced on.

A row's ``claims`` column counts its claims; ``(message_id, claims)`` as the
claim returned it names that claim alone. Fencing on the worker id only is not
enough: the same process may claim a message again (its retry was due at once)
while the outcome of its earlier claim is still on its way, and that stale
outcome must then change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from dramatiq.broker import MessageProxy
from dramatiq.message import Message

from shared.run_record import StartedRun


class Claim(NamedTuple):
    """``(message_id, claims)`` of one claim of a row."""

    message_id: str
    number: int


class ClaimedMessage(MessageProxy):
    """The message Dramatiq runs, carrying the claim it came from.

    Dramatiq hands this proxy to every middleware hook and back to the
    consumer's ``ack``/``nack``/``requeue``, so the claim travels with the
    attempt it belongs to, never looked up by message id.
    """

    def __init__(self, message: Message[Any], claim: Claim) -> None:
        MessageProxy.__init__(self, message)  # named: mypy then knows the untyped call is dramatiq's
        self.claim = claim
        #: Its job_history row, when the consumer wrote it running in the claim's transaction.
        self.started_run: StartedRun | None = None


def claim_of(message: object) -> Claim | None:
    """The claim a message came from, or None for a message this worker did not claim."""
    claim = getattr(message, "claim", None)
    return claim if isinstance(claim, Claim) else None


def split(claims: Iterable[Claim]) -> dict[str, list[Any]]:
    """``ids`` and ``claims`` arrays for the fenced statements of ``shared/sql/queue.sql``."""
    claims = list(claims)
    return {"ids": [c.message_id for c in claims], "claims": [c.number for c in claims]}
