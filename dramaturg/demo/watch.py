"""The demo's narrator: prints what the game's jobs changed in the database, as it happens.

When: ``dramaturg up --demo`` runs it in a daemon thread of its own process,
polling about once a real second until stopped. It only reads: decay rows,
events that ended without a delivery (stale, cancelled, failed), processed
conversations, registrations removed, and daily recaps. Deliveries themselves
are shown by the sink (dramaturg/demo/telegram_sink.py).

Idempotency key: each row's id, remembered in memory, so nothing is printed twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import Connection, Engine

from actors.game.tables import conversations, daily_summaries, registrations, scheduled_events, score_history
from dramaturg.demo.seed import CAST, player_id

logger = logging.getLogger(__name__)
NAMES = {player_id(p.key): p.name for p in CAST}


class Narrator:
    def __init__(
        self, engine: Engine, now: Callable[[], datetime], console: Console | None = None, interval: float = 1.0
    ) -> None:
        self.engine, self.now = engine, now
        self.console = console or Console(highlight=False)
        self.interval = interval
        self.seen: set[tuple[str, object]] = set()
        self._registrations: set[Any] | None = None
        self._stop = threading.Event()

    def start(self) -> Narrator:
        # The baseline, taken before any worker starts: rows of a demo day already played are not told again.
        with self.engine.connect() as conn:
            self.poll(conn)
        threading.Thread(target=self._run, name="demo-narrator", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.connect() as conn:
                    lines = self.poll(conn)
                for line in lines:
                    self.console.print(line)
            except sa.exc.SQLAlchemyError as exc:  # the database restarting must not end the demo
                logger.debug("narrator: %s", exc)

    def _new(self, kind: str, rows: Iterable[sa.Row[Any]]) -> list[Any]:
        fresh = [r for r in rows if (kind, r.id) not in self.seen]
        self.seen.update((kind, r.id) for r in fresh)
        return fresh

    def poll(self, conn: Connection) -> list[str]:
        """Lines for everything new since the last call."""
        lines = []
        decays = conn.execute(
            sa.select(score_history)
            .where(score_history.c.event_type == "decay")
            .where(score_history.c.user_id.in_(NAMES))
            .order_by(score_history.c.id)
        ).all()
        for r in self._new("decay", decays):
            over = " [bold red]GAME OVER[/]" if r.score_after == 0 else ""
            lines.append(
                f"[dim]{r.created_at:%Y-%m-%d %H:%M}[/] ⏳ [yellow]decay[/] {NAMES[r.user_id]}: "
                f"{r.score_before} → {r.score_after} ({r.details.get('hours')} overdue h){over}"
            )
        ended = conn.execute(
            sa.select(scheduled_events)
            .where(scheduled_events.c.user_id.in_(NAMES))
            .where(scheduled_events.c.status.in_(("failed", "cancelled", "unknown")))
        ).all()
        for r in self._new("event", ended):
            why = (r.error_message or "").removeprefix(f"{r.status}: ")
            lines.append(
                f"[dim]{r.updated_at:%Y-%m-%d %H:%M}[/] 🧹 event to {NAMES[r.user_id]} [bold]{r.status}"
                f"[/] ({escape(why)}): “{escape(r.content.get('text', ''))}”"
            )
        done = conn.execute(
            sa.select(conversations)
            .where(conversations.c.status == "processed")
            .where(conversations.c.user_id.in_(NAMES))
        ).all()
        for r in self._new("conversation", done):
            facts = "; ".join((r.facts or {}).get("statements", [])) or "none"
            lines.append(
                f"[dim]{self.now():%Y-%m-%d %H:%M}[/] 💬 conversation of {NAMES[r.user_id]} post-processed: "
                f"summary “{escape(r.summary or '')}”"
                f", facts: {escape(facts)}; follow-up scheduled"
            )
        lines += self._registration_lines(conn)
        recaps = conn.execute(
            sa.select(daily_summaries)
            .where(daily_summaries.c.text.is_not(None))
            .where(daily_summaries.c.user_id.in_(NAMES))
        ).all()
        for r in self._new("recap", recaps):
            lines.append(
                f"[dim]{r.created_at:%Y-%m-%d %H:%M}[/] 📓 recap for {NAMES[r.user_id]} "
                f"({r.generated_by}): {escape(r.text)}"
            )
        return lines

    def _registration_lines(self, conn: Connection) -> list[str]:
        rows = conn.execute(
            sa.select(registrations.c.id, registrations.c.telegram_chat_id).where(
                registrations.c.telegram_chat_id.like("@signup_%_demo")
            )
        ).all()
        now = {r.id: r.telegram_chat_id for r in rows}
        before, self._registrations = self._registrations, set(now)
        gone = [] if before is None else sorted(before - set(now), key=str)
        if not gone:
            return []
        return [f"[dim]{self.now():%Y-%m-%d %H:%M}[/] 🧹 expired registration deleted by cleanup ({len(gone)})"]
