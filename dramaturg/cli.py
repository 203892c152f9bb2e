"""The ``dramaturg`` command: up, worker, scheduler, web, migrate, trigger, history, status, schedule,
show, cancel, retry, keys, embedded (the web dyno's verbs live in ``dramaturg/web/commands.py``).

Exit codes: 0 success (for ``trigger``: the run succeeded, or was enqueued
without ``--wait``), 1 the run or command failed, 2 usage or configuration
errors (one line on stderr, never a traceback; JSON under ``--json``).
``--json`` prints machine-readable output for scripts.

Only the standard library and dramaturg's own small modules are imported
before a verb runs, so every verb starts fast; each verb imports what it needs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from dramaturg import cli_args
from dramaturg.cli_args import UsageError
from dramaturg.stopping import StopFlag

if TYPE_CHECKING:
    from collections.abc import Callable

    from scheduler.schedule import ScheduledJob
    from shared.app import App

logger = logging.getLogger("dramaturg")
#: Verbs that run until stopped, and migrate (never cut off halfway): SIGINT/SIGTERM only set
#: their stop flag (dramaturg/stopping.py), which they check where stopping is safe.
LONG_RUNNING = ("up", "worker", "scheduler", "migrate")
#: A URL for verbs that compute without the database (``schedule``): no embedded server is started
#: for them, and nothing connects to it (a connection attempt would fail on the reserved name).
NO_DATABASE_URL = "postgresql://no-database.invalid/dramaturg"


def _app(args: argparse.Namespace, *, load_actors: bool = True, database: bool = True, pooled: bool = False) -> App:
    """The App of a verb; ``pooled`` for the long-running ones (a one-shot verb connects directly, without SQLAlchemy)."""
    from dramaturg.env_check import warn_unknown_variables
    from shared.logging_setup import configure_logging
    from shared.runtime import build_app
    from shared.settings import load_settings

    settings = load_settings()
    level = logging.DEBUG if getattr(args, "verbose", False) else logging.INFO
    configure_logging(settings, level, fmt=getattr(args, "log_format", "text"))
    url = None if database or settings.database_url else NO_DATABASE_URL
    app = build_app(settings, load_actors=load_actors, url=url, pooled=pooled)
    warn_unknown_variables(os.environ, app.configs)
    return app


def _schedule(app: App) -> dict[str, ScheduledJob]:
    from scheduler.schedule import build_schedule

    return build_schedule(app.settings, app.registry.jobs)


def _wait_for_db(app: App, stop: StopFlag | None = None) -> bool:
    from dramaturg.db_wait import wait_for_database

    return wait_for_database(app, stop)


# --- commands --------------------------------------------------------------------------
def cmd_migrate(args: argparse.Namespace, stop: StopFlag) -> int:
    from dramaturg.db_wait import wait_for_database
    from shared.domains import describe
    from shared.errors import DatabaseRefused, DatabaseUnavailable
    from shared.migration_heads import at_heads

    app = _app(args, load_actors=False)
    try:
        if not wait_for_database(app, stop, seconds=args.wait):
            return 1
    except DatabaseRefused as exc:
        raise DatabaseRefused(f"cannot migrate: {exc}") from None
    except DatabaseUnavailable as exc:
        raise DatabaseUnavailable(f"cannot migrate: gave up after {args.wait:g}s: {exc}") from None
    with app.connection() as conn:
        current = at_heads(conn, app.settings.apps)
    if not current:  # only then import alembic (and SQLAlchemy): most releases have nothing to migrate
        from shared.migrate import upgrade

        upgrade(app.url, app.settings.apps)
    print(f"database is at the latest migration (apps: {describe(app.settings.apps)})")
    return 0


def cmd_worker(args: argparse.Namespace, stop: StopFlag) -> int:
    import dramatiq

    from dramaturg.allocator import fix_malloc_thresholds

    fix_malloc_thresholds()  # else freed fan-out buffers stay resident in the threads' arenas
    app = _app(args, pooled=True)
    _schedule(app)  # validate job settings before taking work
    if not _wait_for_db(app, stop):
        return 0
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
    if app.settings.claim_window:  # else the consumers adapt theirs from Dramatiq's 2 × threads
        worker.queue_prefetch = app.settings.claim_window
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


def cmd_scheduler(args: argparse.Namespace, stop: StopFlag) -> int:
    import threading

    from scheduler.runner import Scheduler

    app = _app(args, pooled=True)
    table = _schedule(app)
    if not _wait_for_db(app, stop):
        return 0
    scheduler = Scheduler(app, table)

    # The loop runs in the main thread; this one turns the stop flag into the loop's own stop.
    def stop_when_flagged() -> None:
        stop.wait()
        scheduler.stop()

    threading.Thread(target=stop_when_flagged, daemon=True).start()
    from dramaturg.process_health import attach_scheduler

    beat = attach_scheduler(app, scheduler)
    scheduler.run()
    beat.stop()
    return 0


def cmd_up(args: argparse.Namespace, stop: StopFlag) -> int:
    """Migrate, validate, then run workers, the scheduler and the web dyno as child processes until stopped.

    The quick start and the demo show everything: on the embedded default (no
    ``DATABASE_URL``, no ``DRAMATURG_APPS``) and with ``--demo`` every app is on.
    Against a ``DATABASE_URL``, exactly the configured apps. The embedded
    server, when ``up`` started it, is stopped however ``up`` ends.
    """
    if getattr(args, "demo", False) or not (os.environ.get("DATABASE_URL") or "DRAMATURG_APPS" in os.environ):
        os.environ["DRAMATURG_APPS"] = "all"  # the children inherit it
    from dramaturg import up

    app = _app(args, pooled=True)
    try:
        return up.run(app, stop, demo=getattr(args, "demo", False))
    finally:
        if not app.settings.database_url:
            from shared.embedded import stop_embedded

            app.engine.dispose()
            stop_embedded(app.settings.data_dir)
            logger.info("the embedded PostgreSQL under %s is stopped", app.settings.data_dir)
        logger.info("dramaturg stopped")


def cmd_trigger(args: argparse.Namespace) -> int:
    from scheduler.trigger import trigger_job, wait_for_run
    from shared.errors import PayloadRejected, TriggerRefused

    app = _app(args, pooled=args.wait)  # a wait polls: one pool, not a connection per poll
    try:
        # trigger_job checks the arguments (run_actions.job_arguments) before anything is written
        run_id = trigger_job(app, args.job, args=dict(args.arg or []), at=args.at, replay=args.replay)
    except PayloadRejected as exc:
        raise UsageError(f"--arg: {exc}") from None
    except TriggerRefused as exc:
        raise UsageError(str(exc)) from None
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


def cmd_history(args: argparse.Namespace) -> int:
    from shared import history

    app = _app(args)
    since = args.since.resolve(app.clock.now()) if args.since else None
    with app.connection() as conn:
        rows = history.list_runs(conn, job=args.job, status=args.status, since=since, limit=args.limit)
    if args.json:
        _print_json(rows, indent=2)
        return 0
    from dramaturg.cli_views import history_table

    history_table(rows)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from dramaturg.cli_views import status_view
    from shared import clock_guard, overview

    app = _app(args)
    table = _schedule(app)
    with app.connection() as conn:
        # Next runs and the 24 h window by the database's clock: this host's may be wrong.
        now = clock_guard.reference_now(app, conn).reference_at
        readings = overview.status_readings(conn, now, sorted(table))
    jobs = [
        {
            "job": j.name,
            "enabled": j.enabled,
            "schedule": str(j.cron),
            "timezone": str(j.zone),
            "next_run": j.cron.next_fire(now, j.zone).isoformat() if j.enabled else None,
            "last_run": readings.last_runs.get(j.name),
            "failures_24h": readings.failures_24h.get(j.name, 0),
        }
        for j in table.values()
    ]
    depths = readings.queues
    consumed = {d["queue"]: d["count"] for d in depths if d["state"] == "consumed"}
    limits = overview.queue_limits(app.broker, consumed)
    window = readings.finished_window.total_seconds()
    if args.json:
        _print_json(
            {
                "now": now.isoformat(),
                "queues": depths,
                "finished_window_seconds": window,
                "queue_limits": limits,
                "jobs": jobs,
                "failures_24h": readings.failures_24h,
                "clocks": readings.clocks,
            },
            indent=2,
        )
        return 0
    status_view(now, depths, jobs, readings.clocks, limits, finished_window=window)
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    app = _app(args, database=False)  # the table and next runs need no database
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
def _secrets() -> tuple[str, ...]:
    """What the CLI must never print: the configured secrets, or at least DATABASE_URL's."""
    from shared.redact import secrets_in_url
    from shared.settings import load_settings

    try:
        return load_settings().secrets
    except Exception:  # the settings themselves are broken: still mask the database password
        return secrets_in_url(os.environ.get("DATABASE_URL"))


def _error(exc: BaseException | str, code: str, *, as_json: bool) -> None:
    """One line on stderr (``error: …``), or ``{"error": code, "detail": …}`` under ``--json``; redacted."""
    import json

    from shared.redact import redact

    detail = redact(str(exc), _secrets())
    if as_json:
        print(json.dumps({"error": code, "detail": detail}), file=sys.stderr)
    else:
        print(f"error: {detail}", file=sys.stderr)


def _print_json(data: Any, **kwargs: Any) -> None:
    """--json output: instants in ISO 8601, every string through the one redaction."""
    import json

    from shared.redact import redact_data

    print(json.dumps(redact_data(json.loads(json.dumps(data, default=_json_value)), _secrets()), **kwargs))


def _json_value(value: object) -> object:
    from datetime import date

    return value.isoformat() if isinstance(value, date) else str(value)


def _out(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    from shared.redact import redact

    if args.json:
        _print_json(data)
    else:
        print(redact(text, _secrets()))


def build_parser() -> argparse.ArgumentParser:
    A = cli_args
    parser = A.Parser(prog="dramaturg", description="Background jobs and cron on PostgreSQL.")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text", help="log lines as text or one JSON object each"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    u = sub.add_parser("up", help="migrate, then run workers, the scheduler and the web dyno until Ctrl-C")
    u.add_argument(
        "--demo",
        action="store_true",
        help="seed the chat game's demo data, run on a 60x clock, show deliveries in a local sink",
    )
    w = sub.add_parser("worker", help="run a worker process")
    w.add_argument("--threads", type=A.positive_int)
    w.add_argument("--queues", help="comma-separated queues (default: all)")
    w.add_argument("--shutdown-timeout", type=A.positive_int, default=30, help="seconds to finish in-flight messages")
    w.add_argument("--health-port", type=A.port, help="also serve GET /health from this process on this port")
    w.add_argument("--health-host", default="0.0.0.0", help="address of the --health-port server")
    sub.add_parser("scheduler", help="run the cron scheduler")
    m = sub.add_parser("migrate", help="migrate the database to the latest revision (idempotent)")
    m.add_argument(
        "--wait", type=A.seconds, default=30.0, help="seconds to wait for an unreachable database (default 30)"
    )
    t = sub.add_parser("trigger", help="run a job now; prints its job_history id")
    t.add_argument("job")
    t.add_argument(
        "--arg", action="append", type=A.key_value, metavar="KEY=VALUE", help="job argument (JSON values allowed)"
    )
    t.add_argument(
        "--at", type=A.instant, help="run for the period containing this ISO instant (not in the future, not too old)"
    )
    t.add_argument("--replay", action="store_true", help="allow --at in the future or past the job's replay horizon")
    t.add_argument("--wait", action="store_true", help="wait and print the outcome")
    t.add_argument("--timeout", type=A.seconds, default=300.0)
    t.add_argument("--json", action="store_true")
    h = sub.add_parser("history", help="recent runs")
    h.add_argument("--job")
    h.add_argument("--status", choices=["queued", "running", "succeeded", "failed", "retrying", "skipped", "cancelled"])
    h.add_argument("--since", type=A.since, help="an age (30m, 2h, 3d, 1w) or an ISO instant")
    h.add_argument("--limit", type=A.positive_int, default=50)
    h.add_argument("--json", action="store_true")
    s = sub.add_parser("status", help="queue depths, last and next runs, failures in 24 h")
    s.add_argument("--json", action="store_true")
    sc = sub.add_parser("schedule", help="the schedule table with next run times (needs no database)")
    sc.add_argument("--json", action="store_true")
    from dramaturg import embedded_cmd
    from dramaturg.web import commands as web_commands

    web_commands.add_parsers(sub)
    embedded_cmd.add_parser(sub)
    return parser


COMMANDS: dict[str, Callable[..., int]] = {
    "up": cmd_up,
    "worker": cmd_worker,
    "scheduler": cmd_scheduler,
    "migrate": cmd_migrate,
    "trigger": cmd_trigger,
    "history": cmd_history,
    "status": cmd_status,
    "schedule": cmd_schedule,
}


def _web_command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from dramaturg.web.commands import COMMANDS as WEB_COMMANDS

        return WEB_COMMANDS[name](args, _app(args, pooled=name == "web"))

    return run


def _embedded_command(args: argparse.Namespace) -> int:
    from dramaturg.embedded_cmd import run

    return run(args)


# The web dyno's verbs (dramaturg/web/commands.py) on the app the CLI builds.
COMMANDS.update({name: _web_command(name) for name in ("web", "show", "cancel", "retry", "keys")})
COMMANDS["embedded"] = _embedded_command


def main(argv: list[str] | None = None, *, stop: StopFlag | None = None) -> int:
    """Run the command; ``stop``: the flag dramaturg/entry.py installed before the CLI was imported."""
    argv = sys.argv[1:] if argv is None else argv
    # Before anything else: a stop of a long-running verb at any moment, even while it imports, is a flag.
    if stop is None and cli_args.verb(argv) in LONG_RUNNING:
        stop = StopFlag().install()
    args = build_parser().parse_args(argv)
    as_json = bool(getattr(args, "json", False))
    try:
        return _dispatch(args, stop, as_json)
    except KeyboardInterrupt:  # Ctrl-C of a short verb: no traceback
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if stop is not None:
            stop.ignore_further()


def _dispatch(args: argparse.Namespace, stop: StopFlag | None, as_json: bool) -> int:
    from shared.errors import ConfigError, DatabaseUnavailable, DramaturgError, RunNotFound, UnknownJob

    try:
        try:
            if args.command in LONG_RUNNING:
                return COMMANDS[args.command](args, stop or StopFlag().install())
            return COMMANDS[args.command](args)
        except Exception as exc:
            raise _as_database_error(exc) from None
    except UsageError as exc:
        _error(exc, "usage", as_json=as_json)
        return 2
    except (ConfigError, UnknownJob) as exc:
        _error(exc, "unknown_job" if isinstance(exc, UnknownJob) else "configuration", as_json=as_json)
        return 2
    except RunNotFound as exc:
        _error(exc, "not_found", as_json=as_json)
        return 1
    except DatabaseUnavailable as exc:
        _error(exc, "database_unavailable", as_json=as_json)
        return 1
    except (DramaturgError, TimeoutError) as exc:
        _error(exc, type(exc).__name__, as_json=as_json)
        return 1
    except KeyboardInterrupt:
        raise
    except BrokenPipeError:
        # The reader stopped reading (``| head``): not our error. Point stdout at /dev/null so the
        # interpreter's flush at exit does not fail again, and end as a process killed by SIGPIPE would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + 13
    except Exception as exc:
        if _is_undefined_table(exc):
            _error(
                "the database has no dramaturg tables yet: run `dramaturg migrate` first",
                "not_migrated",
                as_json=as_json,
            )
            return 1
        # An unexpected error's traceback may quote a URL or a secret: print it redacted.
        import traceback

        from shared.redact import redact

        print(redact(traceback.format_exc(), _secrets()), file=sys.stderr, end="")
        return 1


def _as_database_error(exc: Exception) -> Exception:
    """A driver's connection failure as ``DatabaseUnavailable`` (which part of the URL is wrong, password masked);
    any other error as it is. The database modules are imported only when the error is theirs."""
    if not type(exc).__module__.startswith(("sqlalchemy", "psycopg2")):
        return exc
    from shared.db import connection_error, outage_errors

    if isinstance(exc, outage_errors()):
        return connection_error(exc, os.environ.get("DATABASE_URL") or "the embedded server")
    return exc


def _is_undefined_table(exc: BaseException) -> bool:
    from psycopg2.errors import UndefinedTable

    return isinstance(exc, UndefinedTable) or isinstance(getattr(exc, "orig", None), UndefinedTable)


if __name__ == "__main__":
    sys.exit(main())
