"""The CLI's argument types and its parser: every usage error is exit 2 with one line, never a traceback.

Each ``type=`` function turns the text of one argument into its value or raises
``argparse.ArgumentTypeError`` with what is wrong; the parser prints that as
one line (``dramaturg history: --since: …``), as JSON under ``--json``.
Standard library only: ``dramaturg --help`` must stay fast.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_AGE = re.compile(r"^(\d+)([smhdw])$")


class UsageError(Exception):
    """A command line that cannot be run as given (found after parsing, e.g. ``--arg`` for a job that takes none)."""


class Since:
    """``--since``: an age (``2h``) resolved against the App's clock, or an absolute instant."""

    # A plain class, not a dataclass: importing dataclasses (and inspect) costs the CLI's start.
    def __init__(self, age: timedelta | None = None, instant: datetime | None = None) -> None:
        self.age, self.instant = age, instant

    def resolve(self, now: datetime) -> datetime:
        return self.instant if self.instant is not None else now - (self.age or timedelta(0))


def since(text: str) -> Since:
    """``30m``, ``2h``, ``3d``, ``1w`` or an ISO instant (UTC unless it names its offset)."""
    match = _AGE.match(text.strip())
    if match:
        return Since(age=timedelta(**{_UNITS[match[2]]: int(match[1])}))
    try:
        return Since(instant=instant(text))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected an age like 30m, 2h, 3d, 1w or an ISO instant like 2026-03-05T10:00Z, got {text!r}"
        ) from None


def instant(text: str) -> datetime:
    """An ISO 8601 instant; one without an offset is UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO instant like 2026-03-05T10:00Z, got {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _integer(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def positive_int(text: str) -> int:
    """A whole number ≥ 1 (``--limit``, ``--threads``)."""
    value = _integer(text, "a whole number ≥ 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return value


def run_id(text: str) -> int:
    """A job_history id: a whole number ≥ 1, as ``dramaturg history`` prints them."""
    value = _integer(text, "a run id (a whole number from `dramaturg history`)")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a run id (a whole number from `dramaturg history`), got {text!r}")
    return value


def port(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535."""
    value = _integer(text, "a port number 0–65535")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0–65535, got {text!r}")
    return value


def seconds(text: str) -> float:
    """A duration in seconds, > 0."""
    try:
        value = float(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def key_value(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` of ``--arg``; the value is JSON when it parses as JSON, else the text."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def verb(argv: list[str]) -> str | None:
    """The command's verb (``up``, ``history``…): the first word that is no option nor an option's value."""
    words = iter(argv)
    for word in words:
        if word == "--log-format":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def wants_json(argv: list[str]) -> bool:
    """Whether the command line asks for ``--json`` output (also for its errors)."""
    return "--json" in argv


def print_usage_error(prog: str, message: str, *, as_json: bool) -> None:
    """One line on stderr: ``prog: message``, or ``{"error": "usage", "detail": …}`` under ``--json``."""
    if as_json:
        print(json.dumps({"error": "usage", "detail": f"{prog}: {message}"}), file=sys.stderr)
    else:
        print(f"{prog}: {message} (see `{prog} --help`)", file=sys.stderr)


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (JSON under ``--json``) and exit 2."""

    def error(self, message: str) -> NoReturn:
        # argparse says "argument --since: <our text>"; the flag's name alone reads better.
        message = re.sub(r"^argument ([^:]+): ", r"\1: ", message)
        wrong = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        if wrong:
            import difflib  # only a mistyped choice needs it

            choices = re.findall(r"'([^']*)'", wrong[2])
            close = difflib.get_close_matches(wrong[1], choices, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"unknown {message.split(':')[0].lower()} {wrong[1]!r}{hint} (one of: {', '.join(choices)})"
        print_usage_error(self.prog, message, as_json=wants_json(sys.argv[1:]))
        sys.exit(2)
