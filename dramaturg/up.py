"""``dramaturg up``: migrate, validate everything, run the group of child processes, stop it in seconds.

Order: wait for the database → migrate → validate what the children would
otherwise find wrong only after "is up" (the cron specs and job settings, the
web dyno's settings, the whole group's connection budget against the server's
``max_connections``) → start the workers, the scheduler and the web dyno →
"dramaturg is up" → watch them.

Stopping: a stop request (Ctrl-C, SIGTERM) only sets ``up``'s flag
(dramaturg/stopping.py). The children are started with SIGINT blocked, so the
terminal's Ctrl-C, which reaches the whole process group, does not reach them:
each gets exactly one SIGTERM, from ``up``. A child that exits on its own with
a failure stops the group and ``up`` exits 1.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from typing import Any

from dramaturg.db_wait import wait_for_database
from dramaturg.stopping import StopFlag, blocking_sigint
from shared.app import App
from shared.errors import LegacyDatabase

logger = logging.getLogger("dramaturg")
#: Seconds the children have to finish in-flight work after up's SIGTERM before they are killed.
STOP_TIMEOUT = 40.0


def run(app: App, stop: StopFlag, *, demo: bool = False) -> int:
    """Returns the exit code: 0 after a requested stop, 1 when a child failed."""
    if not wait_for_database(app, stop):
        return 0
    migrate(app)
    web = validate(app)
    if stop.requested:
        return 0
    prepared = None
    if demo:
        from dramaturg.demo.launch import Demo

        prepared = Demo.prepare(app)
    try:
        return _run_group(app, stop, web, prepared)
    finally:
        if prepared is not None:
            prepared.stop()


def migrate(app: App) -> None:
    """Migrate; an embedded database of the old public-only layout (test and demo data) is reset first."""
    from shared.migrate import upgrade

    try:
        upgrade(app.url, app.settings.apps)
    except LegacyDatabase:
        if app.settings.database_url:
            raise
        from shared.embedded import reset_database

        logger.warning("the embedded database was made by an older dramaturg (every table in public): resetting it")
        app.engine.dispose()
        reset_database(app.settings.data_dir)
        upgrade(app.url, app.settings.apps)


def validate(app: App) -> Any:
    """Everything a child would refuse at its start, checked before any child starts; returns the web settings.

    Raises:
        ConfigError: naming the variable, or with the connection figures.
    """
    from dramaturg.web.config import load_web_settings
    from scheduler.schedule import build_schedule
    from shared.budget import check_fits, group_connections

    build_schedule(app.settings, app.registry.jobs)
    web = load_web_settings()
    queues = len(app.broker.queues)
    s = app.settings
    check_fits(
        app.engine,
        group_connections(s, queues),
        f"dramaturg up ({s.worker_processes} worker process(es) on {queues} queues, a scheduler and the web dyno)",
    )
    return web


def _run_group(app: App, stop: StopFlag, web: Any, demo: Any) -> int:
    from dramaturg.command_line import dramaturg_command
    from shared.db import mask_url
    from shared.domains import describe

    env = dict(os.environ, DATABASE_URL=app.url)
    if demo is not None:
        env.update(demo.env)

    def start(name: str) -> subprocess.Popen[bytes]:
        # The demo sends children's logs to files so the terminal shows deliveries, not tick logs.
        out: dict[str, Any] = {"stdout": demo.child_output(name), "stderr": subprocess.STDOUT} if demo else {}
        with blocking_sigint():
            return subprocess.Popen([sys.executable, "-m", "dramaturg", name], env=env, **out)

    children: dict[subprocess.Popen[bytes], str] = {}
    try:
        for _ in range(app.settings.worker_processes):
            if stop.requested:
                return 0
            children[start("worker")] = "worker"
        if demo is not None and not stop.requested:
            demo.before_scheduler()  # its first cleanup must run before any deliver tick exists
        if stop.requested:
            return 0
        children[start("scheduler")] = "scheduler"
        web_proc = start("web")
        children[web_proc] = "web"
        logger.info(
            "dramaturg is up (database %s; apps: %s); dashboard at http://%s:%d/; "
            "`%s status` in another terminal shows the jobs; press Ctrl-C to stop",
            mask_url(app.url),
            describe(app.settings.apps),
            web.host,
            web.port,
            dramaturg_command(),
        )
        if demo is not None:
            demo.banner()
        return _watch(children, web_proc, stop)
    finally:
        _stop_children(children)


def _watch(children: dict[subprocess.Popen[bytes], str], web_proc: subprocess.Popen[bytes], stop: StopFlag) -> int:
    failed = False
    while not stop.wait(0.5):
        for proc, name in list(children.items()):
            code = proc.poll()
            if code is None:
                continue
            if proc is web_proc:  # jobs keep running without the dashboard (say, its port is taken)
                logger.error("the web dyno exited with %s; worker and scheduler keep running", code)
                del children[proc]
                failed = True
                continue
            logger.error("the %s exited with %s; stopping everything", name, code)
            return 1
    return 1 if failed else 0


def _stop_children(children: dict[subprocess.Popen[bytes], str]) -> None:
    """One SIGTERM to each live child, then wait; a child still running after STOP_TIMEOUT is killed."""
    for proc in children:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for proc, name in children.items():
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.error("the %s did not stop within %gs: killing it", name, STOP_TIMEOUT)
            proc.kill()
            proc.wait()
