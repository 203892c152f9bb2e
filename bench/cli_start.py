"""``python -m bench.cli_start [--runs N] [--as-found]``: wall and CPU time of CLI verbs from a cold process
(no timed test asserts it).

Each verb runs ``--runs`` times (5) as ``.venv/bin/dramaturg …`` against
``DATABASE_URL`` (required, to a migrated database: the embedded server's start
would be measured otherwise), with every app on unless ``DRAMATURG_APPS`` says
otherwise (each app's actor modules are then imported); prints the median and min–max per verb and the
machine's load average, as a Markdown table for bench/NOTES.md.

Each verb first runs once untimed with bytecode writing allowed, so the timed
runs read dramaturg's own modules compiled, as an installed wheel has them
(pip compiles at install). ``--as-found`` skips that and keeps the caller's
environment: with ``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` in the
checkout, every run compiles dramaturg's ~100 modules again.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: The verbs that answer and exit. ``migrate`` on an up-to-date database still imports alembic and the
#: migration scripts; ``keys list`` and ``status`` query; ``schedule`` needs no database; ``trigger`` writes.
VERBS = (
    ("--help",),
    ("trigger", "--help"),
    ("web", "--help"),
    ("schedule",),
    ("schedule", "--json"),
    ("status",),
    ("status", "--json"),
    ("history", "--limit", "5"),
    ("history", "--json", "--limit", "5"),
    ("keys", "list"),
    ("trigger", "prune-queue"),  # enqueues one run (no worker needed: it waits in the queue)
    ("embedded", "status"),
    ("migrate",),
)
ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child): on a shared machine the CPU time says more than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cli_start")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--as-found", action="store_true", help="no untimed first run that writes dramaturg's bytecode (see above)"
    )
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("set DATABASE_URL to a migrated database")
    exe = str(Path(sys.executable).parent / "dramaturg")
    env = dict(os.environ)
    env.setdefault("DRAMATURG_APPS", "all")
    if not args.as_found:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    cached = any(ROOT.glob("shared/__pycache__/*.pyc"))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before: {load}, {os.cpu_count()} cores, apps: {env['DRAMATURG_APPS']}")
    print(
        "bytecode: "
        + (
            f"as found (PYTHONDONTWRITEBYTECODE={env.get('PYTHONDONTWRITEBYTECODE', 'unset')}, "
            f"{'a' if cached else 'no'} __pycache__ in the checkout)"
            if args.as_found
            else "written by an untimed first run of each verb"
        )
    )
    print("| command | wall median s | wall min–max s | CPU median s |\n|---|---|---|---|")
    for verb in VERBS:
        if not args.as_found:
            timed([exe, *verb], env)
        runs = [timed([exe, *verb], env) for _ in range(args.runs)]
        wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
        print(
            f"| `dramaturg {' '.join(verb)}` | {statistics.median(wall):.2f} | {min(wall):.2f}–{max(wall):.2f} "
            f"| {statistics.median(cpu):.2f} |"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
