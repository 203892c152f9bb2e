"""How the CLI shows things to a person; ``--json`` bypasses this module.

On a terminal: rich tables whose columns are chosen by the terminal's width
(the least useful ones are left out until the rest fit; a word is never broken
across lines, a long free text is cut with an ellipsis). When stdout is not a
terminal (a pipe, a file): one header line and one line per row, the fields
separated by tabs, for ``cut``, ``awk`` and spreadsheets. rich is imported only
for a terminal: a script reading the lines does not wait for it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from shared.redact import redact

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

STATUS_STYLE = {
    "succeeded": "green",
    "failed": "bold red",
    "retrying": "yellow",
    "running": "cyan",
    "queued": "blue",
    "skipped": "dim",
}
#: Border and padding a rich table spends per column (and once more for the table).
_PER_COLUMN = 3
#: The narrowest a free-text column is worth showing.
_MIN_FREE_TEXT = 12


class Column:
    """A table column: its header, how much it matters (0 = always shown, higher = left out first), and whether
    it is free text that may be cut to fit."""

    def __init__(self, header: str, priority: int = 0, free_text: bool = False) -> None:
        self.header, self.priority, self.free_text = header, priority, free_text


class Styled(NamedTuple):
    """A cell shown as it is, in ``style`` on a terminal: never parsed as rich markup (a plain ``str`` cell is)."""

    text: str
    style: str = ""


Cell = str | Styled


def _status(status: str | None) -> Styled:
    # Styled, not markup: a status or an error message must never be parsed as markup.
    return Styled(status or "—", STATUS_STYLE.get(status or "", ""))


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def _plain(cell: Cell) -> str:
    return cell.text if isinstance(cell, Styled) else cell


def _rich(cell: Cell) -> str | Text:
    from rich.text import Text

    return Text(cell.text, style=cell.style) if isinstance(cell, Styled) else cell


def is_terminal(file: TextIO) -> bool:
    """Whether rich would treat ``file`` as a terminal (its ``Console.is_terminal``: ``TTY_COMPATIBLE=0/1``,
    then ``FORCE_COLOR``, then ``isatty()``), decided without importing rich."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force_color = os.environ.get("FORCE_COLOR")
    if force_color is not None:
        return force_color != ""
    try:
        return file.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


class Output:
    """Where a view prints: stdout, through a rich console made only when stdout is a terminal."""

    def __init__(self, file: TextIO | None = None) -> None:
        self.file = sys.stdout if file is None else file
        self.is_terminal = is_terminal(self.file)
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.file)
        return self._console

    def line(self, text: str, style: str = "") -> None:
        """One line of text, in ``style`` on a terminal (never parsed as markup)."""
        if self.is_terminal:
            self.console.print(_rich(Styled(text, style)))
        else:
            print(text, file=self.file)


def natural_widths(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> list[int]:
    """Each column's width with nothing cut: its longest line, or its header."""
    return [
        max([len(c.header), *(max((len(x) for x in _plain(r[i]).split("\n")), default=0) for r in rows)])
        for i, c in enumerate(columns)
    ]


def fitting_columns(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int) -> list[int]:
    """The indexes of the columns to show in ``width`` characters: the least important left out first."""
    natural = natural_widths(columns, rows)

    def needed(shown: list[int]) -> int:
        text = sum(min(natural[i], _MIN_FREE_TEXT) if columns[i].free_text else natural[i] for i in shown)
        return text + _PER_COLUMN * len(shown) + 1

    shown = list(range(len(columns)))
    for drop in sorted((i for i, c in enumerate(columns) if c.priority), key=lambda i: -columns[i].priority):
        if needed(shown) <= width:
            break
        shown.remove(drop)
    return shown


def render(
    out: Output,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    section: bool = False,
) -> None:
    """A table on a terminal, else tab-separated lines; ``section``: one of several, introduced by ``# title``."""
    if not out.is_terminal:
        if section:
            print(f"# {title}", file=out.file)
        _tsv(out.file, columns, rows)
        return
    from rich.table import Table

    console = out.console
    shown = fitting_columns(columns, rows, console.width)
    natural = natural_widths(columns, rows)
    free = [i for i in shown if columns[i].free_text]
    room = console.width - _PER_COLUMN * len(shown) - 1 - sum(natural[i] for i in shown if i not in free)
    table = Table(title=title)
    for i in shown:
        # Fixed columns keep their whole width (never cut, never wrapped); free text shares what is left
        # and is cut with an ellipsis. Widths are set here: rich's own shrinking can squeeze a column to nothing.
        width = min(natural[i], max(_MIN_FREE_TEXT, room // len(free))) if i in free else natural[i]
        table.add_column(columns[i].header, no_wrap=True, overflow="ellipsis", width=width)
    for row in rows:
        table.add_row(*(_rich(row[i]) for i in shown))
    console.print(table)
    left_out = [columns[i].header for i in range(len(columns)) if i not in shown]
    if left_out:
        out.line(f"(not shown at this width: {', '.join(left_out)}; --json has everything)", "dim")


def _tsv(file: TextIO, columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> None:
    def field(cell: Cell) -> str:
        return " ".join(_plain(cell).split())  # no tab or newline inside a field

    lines = ["\t".join(c.header for c in columns), *("\t".join(field(c) for c in row) for row in rows)]
    # Plain print: no markup, no highlighting, no wrapping at the (absent) terminal's width.
    print("\n".join(lines), file=file)


def _span(seconds: float) -> str:
    """``300`` → ``5 min``, ``86400`` → ``24 h``."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def history_table(rows: list[dict[str, Any]]) -> None:
    columns = [
        Column("id"),
        Column("job"),
        Column("actor", 5),
        Column("trigger", 3),
        Column("status"),
        Column("try", 4),
        Column("started"),
        Column("ms", 2),
        Column("items", 2),
        Column("parent", 6),
        Column("error", 1, free_text=True),
    ]
    cells = [
        [
            str(r["id"]),
            r["job_name"] or "",
            r["actor_name"] or "",
            r["trigger"] or "",
            _status(r["status"]),
            str(r["attempt"]),
            _when(r["started_at"]),
            str(r["duration_ms"] or "—"),
            str(r["items_processed"] if r["items_processed"] is not None else "—"),
            str(r["parent_id"] or ""),
            Styled(redact(r["error"]) or ""),
        ]
        for r in rows
    ]
    render(Output(), "job history (newest first)", columns, cells)


def status_view(
    now: Any,
    depths: list[dict[str, Any]],
    jobs: list[dict[str, Any]],
    clocks: Sequence[dict[str, Any]] = (),
    limits: Sequence[dict[str, Any]] = (),
    *,
    finished_window: float | None = None,
) -> None:
    """Queue depths, queue limits, jobs and clock checks, one section each.

    Parameters:
        finished_window: seconds the done and rejected counts cover (said beside them).
    """
    out = Output()
    finished = f" (last {_span(finished_window)})" if finished_window else ""
    if depths:
        render(
            out,
            f"queues at {_when(now)} UTC",
            [Column("queue"), Column("state"), Column("messages"), Column("of which delayed", 1)],
            [
                [
                    d["queue"],
                    d["state"] + (finished if d["state"] in ("done", "rejected") else ""),
                    str(d["count"]),
                    str(d["delayed"] or ""),
                ]
                for d in depths
            ],
            section=True,
        )
    elif out.is_terminal:
        out.line("queues are empty", "dim")
    if limits:
        limit_cells: list[list[Cell]] = []
        for row in limits:
            cap = row["concurrency"]
            full = cap is not None and row["running"] >= cap
            limit_cells.append(
                [
                    row["queue"],
                    Styled(str(row["running"]), "bold yellow" if full else ""),
                    "—" if cap is None else str(cap),
                    f"{row['lease_seconds']:g}",
                ]
            )
        render(
            out,
            "queue limits (running = claimed rows, started or prefetched, cluster-wide)",
            [Column("queue"), Column("running"), Column("cap"), Column("lease s", 1)],
            limit_cells,
            section=True,
        )
    job_cells = []
    for row in jobs:
        last = row["last_run"] or {}
        job_cells.append(
            [
                row["job"],
                Styled("yes") if row["enabled"] else Styled("no", "dim"),
                row["schedule"],
                _when(last.get("started_at")),
                _status(last.get("status")),
                str(last.get("duration_ms") or "—"),
                str(last.get("items_processed") if last.get("items_processed") is not None else "—"),
                (row["next_run"] or "—")[:19].replace("T", " "),
                Styled(str(row["failures_24h"]), "bold red" if row["failures_24h"] else ""),
            ]
        )
    render(
        out,
        "jobs",
        [
            Column("job"),
            Column("enabled", 2),
            Column("schedule", 3),
            Column("last run", 4),
            Column("last status"),
            Column("ms", 6),
            Column("items", 5),
            Column("next run"),
            Column("failed 24h", 1),
        ],
        job_cells,
        section=True,
    )
    refused = [c for c in clocks if c["state"] == "refused"]
    if clocks:
        render(
            out,
            "process clocks (checked against the database's)",
            [
                Column("process"),
                Column("role", 2),
                Column("state"),
                Column("skew s", 1),
                Column("checked", 3),
                Column("why", 1, free_text=True),
            ],
            [
                [
                    row["process"],
                    row["role"],
                    Styled(row["state"], "bold red" if row["state"] == "refused" else "green"),
                    f"{row['skew_seconds']:+.1f}",
                    _when(row["checked_at"]),
                    Styled(row["detail"] or ""),
                ]
                for row in clocks
            ],
            section=True,
        )
    if refused:
        out.line(f"{len(refused)} process(es) refuse to work: their clock disagrees with the database's", "bold red")


def schedule_table(rows: list[dict[str, Any]]) -> None:
    columns = [
        Column("job"),
        Column("schedule"),
        Column("timezone", 3),
        Column("enabled", 2),
        Column("catch-up", 4),
        Column("next run (UTC)"),
        Column("what it does", 1, free_text=True),
    ]
    cells = [
        [
            r["job"],
            r["schedule"],
            r["timezone"],
            Styled("yes") if r["enabled"] else Styled("no", "dim"),
            r["catch_up"],
            (r["next_run"] or "—")[:19].replace("T", " "),
            Styled(r["description"]),
        ]
        for r in rows
    ]
    render(Output(), "schedule", columns, cells)
