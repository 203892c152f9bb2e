"""The one error tree of dramaturg.

Each class's docstring is its default message, so ``raise PayloadError()``
still says something useful. Driver errors (psycopg2, requests) are wrapped
into these at the boundary so callers never depend on a driver's types.
"""

from __future__ import annotations

from typing import Any


class DramaturgError(Exception):
    """dramaturg failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (type(self).__doc__ or "").strip())


class ConfigError(DramaturgError):
    """The configuration is invalid."""


class ClockSkew(ConfigError):
    """This process's clock disagrees with the database's by more than DRAMATURG_MAX_CLOCK_SKEW."""


class TriggerRefused(DramaturgError):
    """The trigger was refused (e.g. ``--at`` outside the job's window); nothing was enqueued."""


class DatabaseUnavailable(DramaturgError):
    """The database cannot be reached."""


class DatabaseRefused(DatabaseUnavailable):
    """The server answered but refuses this URL: its database or role does not exist, or the password is wrong.

    Waiting does not fix it (unless someone creates the database meanwhile): ``migrate`` fails at once.
    """


class LegacyDatabase(DramaturgError):
    """The database was migrated by dramaturg before the platform had its own schema (every table in public, revisions 0001…0008).

    Such databases hold only test or demo data and are not upgraded in place:
    drop and recreate it, then migrate again. ``dramaturg up`` does that for
    the embedded database.
    """


class UnknownJob(DramaturgError):
    """No job has that name."""


class PayloadError(DramaturgError):
    """The message payload is invalid; retrying cannot fix it."""


class ChannelTransient(DramaturgError):
    """The channel failed in a way that may succeed on retry."""

    def __init__(self, message: str | None = None, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        #: Seconds the remote asked us to wait before the next attempt (HTTP 429).
        self.retry_after = retry_after


class RetryAfter(DramaturgError):
    """The remote asked to be called again later (HTTP 429 Retry-After); the attempt is not counted.

    The Retries middleware re-schedules the message after ``seconds`` without
    spending one of its retries, at most ``DRAMATURG_MAX_DEFERRALS`` times per
    message (then the next one counts as an ordinary failed attempt), and never
    further out than ``MAX_DEFER_SECONDS`` (shared/middleware/retries.py).
    """

    def __init__(self, seconds: float, message: str | None = None) -> None:
        super().__init__(message or f"the remote asked to retry after {seconds:g} s")
        self.seconds = max(0.0, float(seconds))
        #: Set by the Retries middleware: ``(n, bound)`` when this attempt was deferred.
        self.deferral: tuple[int, int] | None = None

    def __str__(self) -> str:
        text = super().__str__()
        if self.deferral is not None:
            n, bound = self.deferral
            text += f" (deferred {self.seconds:g} s, not counted as a retry; deferral {n} of {bound})"
        return text


class ChannelRejected(DramaturgError):
    """The channel refused the request permanently; retrying cannot fix it."""


class DeliveryUnknown(DramaturgError):
    """The request may have reached the remote but no answer came back; it is not re-sent blindly."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (a driver's error under SQLAlchemy's wrapper), or its type's name.

    Driver errors carry a multi-line context (the statement, a hint); logs and
    reasons want the one line that says what happened.
    """
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip()
    return text.splitlines()[0] if text else type(inner).__name__


class PayloadRejected(PayloadError):
    """The payload does not match the job's model; nothing was enqueued."""

    def __init__(self, message: str | None = None, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        #: One ``{"field": "a.b", "message": "..."}`` per problem.
        self.errors = errors or []


class RunNotFound(DramaturgError):
    """No run has that id (or it belongs to another organization)."""


class RunConflict(DramaturgError):
    """The run's state does not allow this action."""


class TooManyJobs(DramaturgError):
    """The organization already has its maximum of jobs queued or running."""

    def __init__(self, message: str | None = None, *, retry_after: float = 10.0) -> None:
        super().__init__(message)
        #: Seconds a client should wait before trying again.
        self.retry_after = retry_after


#: Errors that fail a message at once instead of retrying it.
NOT_RETRIED = (PayloadError, ChannelRejected, DeliveryUnknown)
