"""CLI verbs of the web dyno and the job API: ``web``, ``show``, ``cancel``, ``retry``, ``keys``.

``dramaturg/cli.py`` registers them (:func:`add_parsers`, :data:`COMMANDS`);
each takes the parsed arguments and the platform built by the CLI. The CLI
acts as an admin: who acted is recorded as ``cli:<user>@<host>``. Every verb (``--help`` too)
builds these parsers, so the database modules are imported by the verbs that use them, never here.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import signal
import socket
import sys
from typing import TYPE_CHECKING, Any

from dramaturg import cli_args
from dramaturg.cli_args import Parser
from shared.errors import RunNotFound

if TYPE_CHECKING:
    from shared.app import App

logger = logging.getLogger("dramaturg.web")


def acted_by() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return f"cli:{user}@{socket.gethostname()}"


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    """Add the verbs to the CLI's subparsers."""
    w = sub.add_parser("web", help="serve the job API, /health, /metrics and the dashboard (default 127.0.0.1:8000)")
    w.add_argument("--host", help="address to bind (DRAMATURG_WEB_HOST; other than loopback needs an API key)")
    w.add_argument("--port", type=cli_args.port, help="port (DRAMATURG_WEB_PORT, default 8000)")
    w.add_argument("--access-log", action="store_true", help="log every request (paths only, never keys)")
    s = sub.add_parser("show", help="one run: status, attempts, result, error, children")
    s.add_argument("id", type=cli_args.run_id)
    s.add_argument("--json", action="store_true")
    c = sub.add_parser("cancel", help="cancel a queued or delayed run")
    c.add_argument("id", type=cli_args.run_id)
    c.add_argument("--json", action="store_true")
    r = sub.add_parser("retry", help="run a failed or cancelled run again (a new run linked to it)")
    r.add_argument("id", type=cli_args.run_id)
    r.add_argument("--json", action="store_true")
    k = sub.add_parser("keys", help="API keys of the web dyno: create, revoke, list")
    ks = k.add_subparsers(dest="keys_command", required=True)
    kc = ks.add_parser("create", help="create a key; prints the token once")
    scope = kc.add_mutually_exclusive_group(required=True)
    scope.add_argument("--org", help="a key for this organization's jobs only")
    scope.add_argument("--admin", action="store_true", help="an admin key: every organization, cron triggers")
    kc.add_argument("--name", help="a note on what the key is for")
    kc.add_argument("--json", action="store_true")
    kr = ks.add_parser("revoke", help="revoke a key by its prefix (dk_ab12cd34) or id")
    kr.add_argument("key")
    kl = ks.add_parser("list", help="keys with their prefix, scope and state (never the token)")
    kl.add_argument("--json", action="store_true")


def cmd_web(args: argparse.Namespace, app: App) -> int:
    import uvicorn

    from dramaturg.web import create_app
    from dramaturg.web.config import load_web_settings
    from dramaturg.web.server import bind_socket, check_bind, start_line
    from shared.db import retry_until_available
    from shared.heartbeats import ProcessHeartbeat

    settings = load_web_settings()
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    keys = retry_until_available(lambda: check_bind(app, host), what="checking the API keys")
    web = create_app(app, settings=settings)
    sock = bind_socket(host, port)
    beat = ProcessHeartbeat(app.engine, kind="web", interval=app.settings.heartbeat_seconds).start()
    logger.info(start_line(host, sock.getsockname()[1], keys))
    server = uvicorn.Server(
        uvicorn.Config(web, log_level="info" if args.access_log else "warning", access_log=args.access_log)
    )
    # uvicorn handles SIGINT/SIGTERM (in-flight requests finish), then restores the handlers it found
    # and re-raises the signal; with these no-op handlers in place the command then exits 0, as the
    # worker and the scheduler do after a clean stop.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    try:
        server.run(sockets=[sock])
    finally:
        beat.stop()
        sock.close()
    return 0


def cmd_show(args: argparse.Namespace, app: App) -> int:
    from dramaturg.web.views import run_detail
    from shared import runs

    with app.connection() as conn:
        run = runs.get_run(conn, args.id)
    if run is None:
        raise RunNotFound(f"no run {args.id}")
    detail = run_detail(run, app.settings.secrets)
    if args.json:
        print(json.dumps(detail, default=str, indent=2))
        return 0
    print(_show_text(detail))
    return 0


def _show_text(d: dict[str, Any]) -> str:
    lines = [
        f"run {d['id']}  {d['type']}  {d['status']}  (actor {d['actor']}, trigger {d['trigger']}"
        + (f", org {d['org_id']}" if d["org_id"] else "")
        + ")",
        f"  created {d['created_at']}  started {d['started_at']}  finished {d['finished_at']}"
        f"  duration_ms={d['duration_ms']}  items_processed={d['items_processed']}",
    ]
    if d["payload"]:
        lines.append(f"  payload {json.dumps(d['payload'], default=str)}")
    if d["result"] is not None:
        lines.append(f"  result  {json.dumps(d['result'], default=str)}")
    for a in d["attempts"]:
        lines.append(f"  attempt {a['attempt']}: {a['status']}" + (f" — {a['error']}" if a["error"] else ""))
    if d["parent"]:
        lines.append(f"  parent  run {d['parent']['id']} ({d['parent']['type']}, {d['parent']['status']})")
    if d["retry_of"]:
        lines.append(f"  retry of run {d['retry_of']}")
    if d["retries"]:
        lines.append("  retried as " + ", ".join(f"run {r['id']} ({r['status']})" for r in d["retries"]))
    if d["children"]:
        c = d["children"]
        lines.append(f"  children {c['total']}: " + ", ".join(f"{k} {v}" for k, v in c["by_status"].items()))
        if c["totals"]:
            lines.append("  children's results: " + ", ".join(f"{k}={v}" for k, v in c["totals"].items()))
        for f in c["failing"]:
            lines.append(f"    failed run {f['id']}: {f['error']}")
    if d["acted_by"]:
        lines.append(f"  acted by {d['acted_by']}")
    if d["traceback"]:
        lines.append("  traceback:\n" + "\n".join("    " + t for t in d["traceback"].rstrip().splitlines()))
    return "\n".join(lines)


def cmd_cancel(args: argparse.Namespace, app: App) -> int:
    from shared.run_actions import cancel

    cancel(app, args.id, org=None, acted_by=acted_by())
    _print(args, {"id": args.id, "status": "CANCELLED"}, f"run {args.id} cancelled")
    return 0


def cmd_retry(args: argparse.Namespace, app: App) -> int:
    from dramaturg.web.config import load_web_settings
    from shared.run_actions import Limits, retry

    s = load_web_settings()
    new_id = retry(
        app,
        args.id,
        org=None,
        acted_by=acted_by(),
        limits=Limits(s.org_max_active_jobs, s.org_retry_after),
        trigger="manual",
    )
    _print(args, {"id": new_id, "retry_of": args.id, "status": "PENDING"}, str(new_id))
    return 0


def cmd_keys(args: argparse.Namespace, app: App) -> int:
    from shared import api_keys

    now = app.clock.now()
    with app.connection() as raw:
        if args.keys_command == "create":
            scope = "admin" if args.admin else "org"
            token, key = api_keys.create(raw, scope=scope, org_id=args.org, name=args.name, now=now)
            data = {"id": key.id, "prefix": f"dk_{key.prefix}", "scope": scope, "org_id": key.org_id, "token": token}
            text = f"{token}\n(a {scope} key{' for ' + key.org_id if key.org_id else ''}; shown once — store it now)"
            _print(args, data, text)
            return 0
        if args.keys_command == "revoke":
            row = api_keys.revoke(raw, args.key, now=now)
            if row is None:
                print(f"error: no active key {args.key!r}", file=sys.stderr)
                return 1
            print(f"revoked key dk_{row['prefix']} ({row['scope']}{', ' + row['org_id'] if row['org_id'] else ''})")
            return 0
        rows = api_keys.list_keys(raw)
    if args.json:
        print(json.dumps(rows, default=str, indent=2))
        return 0
    for r in rows:
        state = f"revoked {r['revoked_at']:%Y-%m-%d}" if r["revoked_at"] else "active"
        print(f"dk_{r['prefix']}  {r['scope']:<5}  {r['org_id'] or '-':<20}  {state:<18}  {r['name'] or ''}")
    return 0


def _print(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, default=str) if getattr(args, "json", False) else text)


#: verb → function(args, app); the CLI builds the app.
COMMANDS = {"web": cmd_web, "show": cmd_show, "cancel": cmd_cancel, "retry": cmd_retry, "keys": cmd_keys}
