"""``dramaturg embedded status|stop``: the embedded PostgreSQL that CLI commands leave running.

With ``DATABASE_URL`` unset, a command that needs the database starts the
embedded server under ``DRAMATURG_DATA_DIR`` (``.pgdata/``) and leaves it
running so the next command is fast; ``dramaturg up`` stops it when it ends.
These two verbs never start it.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    e = sub.add_parser("embedded", help="the embedded PostgreSQL (DATABASE_URL unset): status, stop")
    es = e.add_subparsers(dest="embedded_command", required=True, metavar="ACTION")
    st = es.add_parser("status", help="is it running, where its data and socket are (never starts it)")
    st.add_argument("--json", action="store_true")
    sp = es.add_parser("stop", help="stop it (a fast shutdown: open sessions are ended)")
    sp.add_argument("--json", action="store_true")


def server_state(data_dir: Path) -> dict[str, Any]:
    """``{"running": bool, "pid": int | None, "data_dir": str, "socket_dir": str | None}`` from postmaster.pid."""
    data_dir = Path(data_dir).absolute()
    state: dict[str, Any] = {"running": False, "pid": None, "data_dir": str(data_dir), "socket_dir": None}
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return state
    # postmaster.pid: pid, data dir, start time, port, socket dir, … (one per line)
    pid = int(lines[0]) if lines and lines[0].strip().isdigit() else None
    state.update(pid=pid, socket_dir=lines[4] if len(lines) > 4 else None, running=pid is not None and _alive(pid))
    return state


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run(args: argparse.Namespace) -> int:
    from shared.embedded import stop_embedded
    from shared.settings import load_settings

    data_dir = load_settings().data_dir
    state = server_state(data_dir)
    if args.embedded_command == "stop":
        if state["running"]:
            stop_embedded(data_dir)
        state = dict(server_state(data_dir), was_running=state["running"])
        text = (
            f"stopped the embedded PostgreSQL under {state['data_dir']}"
            if state["was_running"]
            else (f"the embedded PostgreSQL under {state['data_dir']} is not running")
        )
    else:
        text = (
            f"the embedded PostgreSQL under {state['data_dir']} is running (pid {state['pid']}, "
            f"socket in {state['socket_dir']}); stop it with `dramaturg embedded stop`"
            if state["running"]
            else f"the embedded PostgreSQL under {state['data_dir']} is not running"
        )
    print(json.dumps(state) if args.json else text)
    return 0
