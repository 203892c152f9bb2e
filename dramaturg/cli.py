"""The ``dramaturg`` command: up, worker, scheduler, web, migrate, trigger, history, status, schedule,
show, cancel, retry, keys (the web dyno's verbs live in ``dramaturg/web/commands.py``).

Exit codes: 0 success (for ``trigger``: the run succeeded, or was enqueued
without ``--wait``), 1 the run or command failed, 2 usage or configuration
errors. ``--json`` prints machine-readable output for scripts.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from shared.errors import ConfigError, DatabaseUnavailable, DramaturgError, LegacyDatabase, UnknownJob
from shared.redact import redact

if TYPE_CHECKING:
    from shared.app import App

logger = logging.getLogger("dramaturg")


def _app(args, *, load_actors: bool = True):
    from shared.logging_setup import configure_logging
    from shared.runtime import build_app
    from shared.settings import load_settings

    settings = load_settings()
    configure_logging(settings, logging.DEBUG if getattr(args, "verbose", False) else logging.INFO)
    return build_app(settings, load_actors=load_actors)


def _schedule(app):
    from scheduler.schedule import build_schedule

    return build_schedule(app.settings, app.registry.jobs)


def _wait_for_db(app) -> None:
    from shared.db import check_connection, retry_until_available

    retry_until_available(lambda: check_connection(app.engine), what="waiting for the database")


# --- commands --------------------------------------------------------------------------
def cmd_migrate(args) -> int:
    from shared.domains import describe
    from shared.migrate import upgrade

    app = _app(args, load_actors=False)
    _wait_for_db(app)
    upgrade(app.url, app.settings.apps)
    print(f"database is at the latest migration (apps: {describe(app.settings.apps)})")
    return 0


def cmd_worker(args) -> int:
    import dramatiq

    app = _app(args)
    _schedule(app)  # validate job settings before taking work
    _wait_for_db(app)
    from shared.clock_guard import check_at_start

    check_at_start(app, "worker")  # a worker on a wrong clock would run business at the wrong time
    queues = set(args.queues.split(",")) if args.queues else None
    from shared.budget import check_fits, kept_connections

    # Fail fast, with the figures, rather than fill the server's slots and lock out psql and the CLI.
    consumed = len(queues or app.broker.queues)
    check_fits(app.engine, kept_connections(app.settings, consumed), f"this worker ({consumed} queues)")
    worker = dramatiq.Worker(
        app.broker,
        queues=queues,
        worker_threads=args.threads or app.settings.worker_threads,
        worker_timeout=int(app.settings.poll_seconds * 1000),
    )
    if app.settings.claim_window:  # else Dramatiq's prefetch, 2 × threads
        worker.queue_prefetch = app.settings.claim_window
    stop = _stop_on_signals()
    worker.start()
    from dramaturg.process_health import attach_worker

    health = attach_worker(app, worker, health_port=args.health_port, health_host=args.health_host)
    logger.info(
        "worker %s consuming %s with %d thread(s)",
        app.broker.worker_id,
        ", ".join(sorted(queues or app.broker.queues)),
        worker.worker_threads,
    )
    stop.wait()
    logger.info("stopping worker: finishing in-flight messages (timeout %ds)", args.shutdown_timeout)
    worker.stop(timeout=args.shutdown_timeout * 1000)
    health.stop()
    app.broker.close()
    return 0


def cmd_scheduler(args) -> int:
    from scheduler.runner import Scheduler

    app = _app(args)
    table = _schedule(app)
    _wait_for_db(app)
    scheduler = Scheduler(app, table)
    stop = _stop_on_signals()
    import threading

    threading.Thread(target=lambda: (stop.wait(), scheduler.stop()), daemon=True).start()
    from dramaturg.process_health import attach_scheduler

    beat = attach_scheduler(app, scheduler)
    scheduler.run()
    beat.stop()
    return 0


def cmd_up(args) -> int:
    """Migrate, then run workers, the scheduler and the web dyno as child processes until Ctrl-C.

    The quick start and the demo show everything: on the embedded default (no
    ``DATABASE_URL``, no ``DRAMATURG_APPS``) and with ``--demo`` every app is on.
    Against a ``DATABASE_URL``, exactly the configured apps.
    """
    if getattr(args, "demo", False) or not (os.environ.get("DATABASE_URL") or "DRAMATURG_APPS" in os.environ):
        os.environ["DRAMATURG_APPS"] = "all"  # the children inherit it
    app = _app(args, load_actors=False)
    from shared.domains import describe

    _wait_for_db(app)
    _migrate_for_up(app)
    env = dict(os.environ, DATABASE_URL=app.url)
    demo = None
    if getattr(args, "demo", False):
        from dramaturg.demo.launch import Demo

        demo = Demo.prepare(app)
        env.update(demo.env)
    # The demo sends children's logs to files so the terminal shows deliveries, not tick logs.
    out = (lambda name: {"stdout": demo.child_output(name), "stderr": subprocess.STDOUT}) if demo else (lambda name: {})
    exe = [sys.executable, "-m", "dramaturg"]
    procs = [subprocess.Popen(exe + ["worker"], env=env, **out("worker")) for _ in range(app.settings.worker_processes)]
    if demo:
        demo.before_scheduler()  # its first cleanup must run before any deliver tick exists
    procs.append(subprocess.Popen(exe + ["scheduler"], env=env, **out("scheduler")))
    from dramaturg.web.config import load_web_settings

    web = load_web_settings()
    web_proc = subprocess.Popen(exe + ["web"], env=env, **out("web"))
    procs.append(web_proc)
    logger.info(
        "dramaturg is up (database %s; apps: %s); dashboard at http://%s:%d/; press Ctrl-C to stop",
        _masked(app.url),
        describe(app.settings.apps),
        web.host,
        web.port,
    )
    if demo:
        demo.banner()
    stop = _stop_on_signals()
    while not stop.wait(0.5):
        dead = [p for p in procs if p.poll() is not None]
        if web_proc in dead:  # jobs keep running without the dashboard (say, its port is taken)
            logger.error("the web dyno exited with %s; worker and scheduler keep running", web_proc.returncode)
            procs.remove(web_proc)
            dead.remove(web_proc)
        if dead:
            logger.error("a child process exited with %s; stopping everything", dead[0].returncode)
            break
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=40)
        except subprocess.TimeoutExpired:
            p.kill()
    if demo:
        demo.stop()
    if not app.settings.database_url:
        from shared.embedded import stop_embedded

        stop_embedded(app.settings.data_dir)
    logger.info("dramaturg stopped")
    return 0


def _migrate_for_up(app: App) -> None:
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


def cmd_trigger(args) -> int:
    from scheduler.trigger import trigger_job, wait_for_run
    from shared.errors import TriggerRefused

    try:
        job_args = _parse_kv(args.arg)
        at = datetime.fromisoformat(args.at) if args.at else None
    except ValueError as exc:
        _error(exc)
        return 2
    app = _app(args)
    try:
        run_id = trigger_job(app, args.job, args=job_args, at=at, replay=args.replay)
    except TriggerRefused as exc:
        _error(exc)
        return 2
    if not args.wait:
        _out(args, {"run_id": run_id, "job": args.job, "status": "queued", "items_processed": None}, str(run_id))
        return 0
    if args.json or not sys.stderr.isatty():
        row = wait_for_run(app, run_id, timeout=args.timeout)
    else:
        from rich.console import Console

        with Console(stderr=True).status(f"run {run_id} of {args.job}: waiting for it (and its children) to finish…"):
            row = wait_for_run(app, run_id, timeout=args.timeout)
    data = {
        "run_id": run_id,
        "job": args.job,
        "status": row["status"],
        "items_processed": row["items_processed"],
        "duration_ms": row["duration_ms"],
        "error": row["error"],
        "children": row.get("children", {}),
    }
    text = f"{run_id} {row['status']} items_processed={row['items_processed']} duration_ms={row['duration_ms']}"
    if row.get("children"):
        text += " children=" + ",".join(f"{k}:{v}" for k, v in sorted(row["children"].items()))
    if row["error"]:
        text += f"\nerror: {row['error']}"
    _out(args, data, text)
    failed = row["status"] == "failed" or row.get("children", {}).get("failed")
    return 1 if failed else 0


def cmd_history(args) -> int:
    from shared import history

    app = _app(args)
    since = _parse_since(args.since, app.clock.now()) if args.since else None
    with app.engine.connect() as conn:
        rows = history.list_runs(
            conn.connection.dbapi_connection, job=args.job, status=args.status, since=since, limit=args.limit
        )
    if args.json:
        _print_json(rows, indent=2)
        return 0
    from dramaturg.cli_views import history_table

    history_table(rows)
    return 0


def cmd_status(args) -> int:
    from dramaturg.cli_views import status_view
    from shared import clock_guard, history
    from shared.clock import is_simulated
    from shared.sql import queries

    app = _app(args)
    table = _schedule(app)
    # Next runs and the 24 h window by the database's clock: this host's may be wrong.
    now = clock_guard.reference_now(app).reference_at
    with app.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur:
            cur.execute(queries("queue")["queue_depths"], {"now": now if is_simulated(app.clock) else None})
            depths = [dict(zip(("queue", "state", "count", "delayed"), r)) for r in cur.fetchall()]
        last = history.last_runs(raw)
        clocks = clock_guard.recent(raw)
        failures = history.failures_since(raw, now - timedelta(hours=24))
    jobs = [
        {
            "job": j.name,
            "enabled": j.enabled,
            "schedule": str(j.cron),
            "timezone": str(j.zone),
            "next_run": j.cron.next_fire(now, j.zone).isoformat() if j.enabled else None,
            "last_run": last.get(j.name),
            "failures_24h": failures.get(j.name, 0),
        }
        for j in table.values()
    ]
    if args.json:
        _print_json(
            {"now": now.isoformat(), "queues": depths, "jobs": jobs, "failures_24h": failures, "clocks": clocks},
            indent=2,
        )
        return 0
    status_view(now, depths, jobs, clocks)
    return 0


def cmd_schedule(args) -> int:
    app = _app(args)
    now = app.clock.now()
    rows = [
        {
            "job": j.name,
            "schedule": str(j.cron),
            "enabled": j.enabled,
            "timezone": str(j.zone),
            "catch_up": j.catch_up,
            "next_run": j.cron.next_fire(now, j.zone).isoformat() if j.enabled else None,
            "description": j.spec.description,
        }
        for j in _schedule(app).values()
    ]
    if args.json:
        _print_json(rows, indent=2)
        return 0
    from dramaturg.cli_views import schedule_table

    schedule_table(rows)
    return 0


# --- helpers ---------------------------------------------------------------------------
def _stop_on_signals():
    import threading

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _parse_kv(pairs: list[str] | None) -> dict:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--arg expects KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def _parse_since(text: str, now: datetime) -> datetime:
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if text[-1:] in units and text[:-1].isdigit():
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _secrets() -> tuple[str, ...]:
    """What the CLI must never print: the configured secrets, or at least DATABASE_URL's."""
    from shared.redact import secrets_in_url
    from shared.settings import load_settings

    try:
        return load_settings().secrets
    except Exception:  # the settings themselves are broken: still mask the database password
        return secrets_in_url(os.environ.get("DATABASE_URL"))


def _error(exc: BaseException) -> None:
    print(redact(f"error: {exc}", _secrets()), file=sys.stderr)


def _print_json(data, **kwargs) -> None:
    """--json output: every string in it through the one redaction."""
    from shared.redact import redact_data

    print(json.dumps(redact_data(json.loads(json.dumps(data, default=str)), _secrets()), **kwargs))


def _masked(url: str) -> str:
    from shared.db import mask_url

    return mask_url(url)


def _out(args, data: dict, text: str) -> None:
    if args.json:
        _print_json(data)
    else:
        print(redact(text, _secrets()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dramaturg", description="Background jobs and cron on PostgreSQL.")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    u = sub.add_parser("up", help="migrate, then run workers, the scheduler and the web dyno until Ctrl-C")
    u.add_argument(
        "--demo",
        action="store_true",
        help="seed the chat game's demo data, run on a 60x clock, show deliveries in a local sink",
    )
    w = sub.add_parser("worker", help="run a worker process")
    w.add_argument("--threads", type=int)
    w.add_argument("--queues", help="comma-separated queues (default: all)")
    w.add_argument("--shutdown-timeout", type=int, default=30, help="seconds to finish in-flight messages")
    w.add_argument("--health-port", type=int, help="also serve GET /health from this process on this port")
    w.add_argument("--health-host", default="0.0.0.0", help="address of the --health-port server")
    sub.add_parser("scheduler", help="run the cron scheduler")
    sub.add_parser("migrate", help="migrate the database to the latest revision (idempotent)")
    t = sub.add_parser("trigger", help="run a job now; prints its job_history id")
    t.add_argument("job")
    t.add_argument("--arg", action="append", metavar="KEY=VALUE", help="job argument (JSON values allowed)")
    t.add_argument("--at", help="run for the period containing this ISO instant (not in the future, not too old)")
    t.add_argument("--replay", action="store_true", help="allow --at in the future or past the job's replay horizon")
    t.add_argument("--wait", action="store_true", help="wait and print the outcome")
    t.add_argument("--timeout", type=float, default=300.0)
    t.add_argument("--json", action="store_true")
    h = sub.add_parser("history", help="recent runs")
    h.add_argument("--job")
    h.add_argument("--status", choices=["queued", "running", "succeeded", "failed", "retrying", "skipped", "cancelled"])
    h.add_argument("--since", help="e.g. 2h, 3d, or an ISO instant")
    h.add_argument("--limit", type=int, default=50)
    h.add_argument("--json", action="store_true")
    s = sub.add_parser("status", help="queue depths, last and next runs, failures in 24 h")
    s.add_argument("--json", action="store_true")
    sc = sub.add_parser("schedule", help="the schedule table with next run times")
    sc.add_argument("--json", action="store_true")
    from dramaturg.web import commands as web_commands

    web_commands.add_parsers(sub)
    return parser


COMMANDS = {
    "up": cmd_up,
    "worker": cmd_worker,
    "scheduler": cmd_scheduler,
    "migrate": cmd_migrate,
    "trigger": cmd_trigger,
    "history": cmd_history,
    "status": cmd_status,
    "schedule": cmd_schedule,
}


def _web_command(name: str):
    def run(args) -> int:
        from dramaturg.web.commands import COMMANDS as WEB_COMMANDS

        return WEB_COMMANDS[name](args, _app(args))

    return run


# The web dyno's verbs (dramaturg/web/commands.py) on the app the CLI builds.
COMMANDS.update({name: _web_command(name) for name in ("web", "show", "cancel", "retry", "keys")})


def main(argv: list[str] | None = None) -> int:
    from shared.db import translate_errors

    args = build_parser().parse_args(argv)
    try:
        with translate_errors(os.environ.get("DATABASE_URL") or "the embedded server"):
            return COMMANDS[args.command](args)
    except (ConfigError, UnknownJob) as exc:
        _error(exc)
        return 2
    except DatabaseUnavailable as exc:
        _error(exc)
        return 1
    except DramaturgError as exc:
        _error(exc)
        return 1
    except TimeoutError as exc:
        _error(exc)
        return 1
    except Exception as exc:
        if _is_undefined_table(exc):
            print("error: the database has no dramaturg tables yet: run `dramaturg migrate` first", file=sys.stderr)
            return 1
        # An unexpected error's traceback may quote a URL or a secret: print it redacted.
        import traceback

        print(redact(traceback.format_exc(), _secrets()), file=sys.stderr, end="")
        return 1


def _is_undefined_table(exc: BaseException) -> bool:
    from psycopg2.errors import UndefinedTable

    return isinstance(exc, UndefinedTable) or isinstance(getattr(exc, "orig", None), UndefinedTable)


if __name__ == "__main__":
    sys.exit(main())
