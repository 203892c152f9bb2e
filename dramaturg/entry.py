"""The ``dramaturg`` command's first lines: install the stop flag before anything else is imported.

A Ctrl-C while ``up`` (or a worker, the scheduler, ``migrate``) is still
importing its modules must be a stop request like any other, not a
KeyboardInterrupt traceback; so this module imports only ``sys`` and the
small :mod:`dramaturg.stopping`, decides from the command line whether the
verb is one that stops on a flag, and only then imports the CLI. (The
interpreter's own start, before this runs, is the one window left.)
"""

from __future__ import annotations

import sys


def main() -> int:
    from dramaturg.stopping import StopFlag

    argv = sys.argv[1:]
    words = [w for i, w in enumerate(argv) if not w.startswith("-") and argv[i - 1 : i] != ["--log-format"]]
    # The same verbs as dramaturg.cli.LONG_RUNNING (checked there again once the CLI is imported).
    stop = StopFlag().install() if words[:1] and words[0] in ("up", "worker", "scheduler", "migrate") else None
    from dramaturg.cli import main as cli_main

    return cli_main(argv, stop=stop)


if __name__ == "__main__":
    sys.exit(main())
