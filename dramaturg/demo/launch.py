"""``dramaturg up --demo``: seed the game, start the sink and the narrator, and give the children a fast clock.

When: once, by ``cmd_up`` in dramaturg/cli.py, after migrating. :meth:`Demo.prepare`
picks the demo's timeline (22:50 UTC of the demo day, ``DRAMATURG_CLOCK_RATE``
times faster, 60 by default: a clock minute per real second), seeds it, starts
the Telegram-compatible sink unless ``TELEGRAM_BOT_TOKEN`` is set, and returns
the environment every child must share. :meth:`Demo.before_scheduler` runs
cleanup once by hand, like ``dramaturg trigger cleanup``, before any deliver
tick exists, so the event left over from "while the app was down" is failed as
stale instead of being sent 30 hours late.

Idempotency key: the seed's (see dramaturg/demo/seed.py); the timeline moves to a
later evening when the database already played one.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rich.console import Console

from dramaturg.demo.content import ContentScene
from dramaturg.demo.seed import demo_start, names_by_chat, seed
from dramaturg.demo.telegram_sink import TelegramSink
from dramaturg.demo.watch import Narrator
from shared.clock import OffsetClock
from shared.clock_guard import clear_simulated, mark_simulated
from shared.db import pg_connection

if TYPE_CHECKING:
    from shared.app import App

logger = logging.getLogger("dramaturg.demo")
DEFAULT_RATE = 60.0
DEMO_TOKEN = "123456:demo-token"


class Demo:
    def __init__(
        self,
        app: App,
        start: datetime,
        rate: float,
        env: dict[str, str],
        sink: TelegramSink | None,
        narrator: Narrator,
        console: Console,
        content: ContentScene | None = None,
    ) -> None:
        self.app, self.start, self.rate, self.env = app, start, rate, env
        self.sink, self.narrator, self.console = sink, narrator, console
        self.content = content

    @classmethod
    def prepare(cls, app: App) -> Demo:
        from shared.runtime import build_app

        settings = app.settings
        rate = settings.clock_rate if settings.clock_rate != 1 else DEFAULT_RATE
        with app.sessions.begin() as session:
            start = demo_start(session, datetime.now(UTC))
            counts = seed(session, start, chat_id=os.environ.get("DEMO_TELEGRAM_CHAT_ID") or None)
        anchor = datetime.now(UTC)
        with app.engine.begin() as conn:  # the processes' clock guard then accepts this timeline
            mark_simulated(pg_connection(conn), start=start, anchor=anchor, rate=rate, note="demo")
        # This process enqueues the first cleanup: it must read the children's timeline too.
        demo_app = build_app(settings, clock=OffsetClock(start, rate, anchor), url=app.url)
        console = Console(highlight=False)
        env = {
            "DRAMATURG_NOW": start.isoformat(),
            "DRAMATURG_CLOCK_RATE": f"{rate:g}",
            "DRAMATURG_CLOCK_ANCHOR": anchor.isoformat(),
            "DRAMATURG_CLOCK_FROZEN": "false",
        }
        sink = None
        if not settings.telegram_bot_token:
            sink = TelegramSink(
                DEMO_TOKEN,
                Path(settings.data_dir) / "demo-telegram.log",
                names=names_by_chat(),
                now=demo_app.clock.now,
                console=console,
            ).start()
            env.update(
                TELEGRAM_API_BASE=sink.url,
                TELEGRAM_BOT_TOKEN=DEMO_TOKEN,
                VOICE_API_BASE=sink.url,
                VOICE_API_KEY="demo-voice-key",
            )
        logger.info("demo seeded for %s: %s", start.date(), ", ".join(f"{v} new {k}" for k, v in counts.items()))
        narrator = Narrator(demo_app.engine, demo_app.clock.now, console).start()
        content = None
        if "content" in settings.apps:  # the content app's scene: its remotes, its data, its narrator
            content = ContentScene.prepare(demo_app, start, demo_app.clock.now, console)
            env.update(content.env)
        return cls(demo_app, start, rate, env, sink, narrator, console, content)

    def child_output(self, name: str) -> TextIO:
        """The file a child's log goes to, so the terminal shows deliveries rather than tick logs."""
        path = Path(self.app.settings.data_dir) / f"demo-{name}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "a", encoding="utf-8")

    def before_scheduler(self, timeout: float = 30.0) -> None:
        from scheduler.trigger import trigger_job, wait_for_run

        run_id = trigger_job(self.app, "cleanup", at=self.start)
        try:
            wait_for_run(self.app, run_id, timeout=timeout)
        except TimeoutError:
            logger.warning("the demo's first cleanup (run %s) has not finished; starting the scheduler anyway", run_id)
        if self.content is not None:
            self.content.kick(self.app)

    def banner(self) -> None:
        from dramaturg.command_line import dramaturg_command

        data = self.app.settings.data_dir
        command = dramaturg_command()
        clock = " ".join(f"{k}={v}" for k, v in self.env.items() if k.startswith(("DRAMATURG_CLOCK_", "DRAMATURG_NOW")))
        where = (
            f"printed here and appended to {data}/demo-telegram.log"
            if self.sink
            else "sent to real Telegram (TELEGRAM_BOT_TOKEN is set)"
        )
        self.console.rule("[bold]dramaturg demo")
        self.console.print(
            f"The game's clock starts at [bold]{self.start:%Y-%m-%d %H:%M} UTC[/] and runs {self.rate:g}× faster "
            f"({self.rate / 60:g} clock minute(s) per real second).\n"
            f"Deliveries (Telegram ✉, voice ☎) are {where}; ⏳ 🧹 💬 📓 lines are what the jobs changed.\n"
            "Watch for, within about two real minutes:\n"
            "  • messages and a call delivered by [bold]deliver[/] (every clock minute)\n"
            "  • Dmitri's and Eve's idle conversations post-processed, each followed by a follow-up message\n"
            "  • [bold]decay[/] at 23:00 and 00:00 (Ada loses points, Cleo's game ends and her message is cancelled)\n"
            "  • [bold]cleanup[/]: a stale event failed at start-up, an expired registration deleted at 23:30\n"
            "  • [bold]summary[/] at 23:59: a daily recap per player (a template without ANTHROPIC_API_KEY)\n"
            + (
                "  • content: posts written for X and LinkedIn (✍️ ), the website and feed scraped (📰), the broken\n"
                "    site unhealthy on its 5th failure (🚫), a 429 back-off (⏸ ) then analytics and learnings (📈)\n"
                if self.content
                else ""
            )
            + f"Worker and scheduler logs: {data}/demo-worker.log, {data}/demo-scheduler.log.\n"
            "In another terminal, on the demo's clock:\n"
            f"  [cyan]{clock} {command} status[/]\n"
            f"  [cyan]{clock} {command} history --limit 20[/]\n"
            "Ctrl-C stops everything.",
            soft_wrap=True,
        )
        self.console.rule()

    def stop(self) -> None:
        self.narrator.stop()
        if self.content is not None:
            self.content.stop()
        if self.sink is not None:
            self.sink.stop()
        try:  # the database runs on real time again after the demo
            with self.app.engine.begin() as conn:
                clear_simulated(pg_connection(conn))
        except Exception as exc:
            logger.warning("could not clear the demo's simulated-clock mark: %s", exc)
