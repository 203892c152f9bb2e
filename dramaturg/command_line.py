"""How to type the ``dramaturg`` command on this machine, for messages that tell a person what to run next.

After the quick start the command lives in ``.venv/bin/``, which is not on
PATH: a banner that says ``dramaturg status`` would not work as printed.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def dramaturg_command(cwd: Path | None = None) -> str:
    """``dramaturg`` when that name on PATH is this installation's, else the script's path (relative to
    ``cwd`` when under it, e.g. ``.venv/bin/dramaturg``), else ``<python> -m dramaturg``."""
    cwd = Path.cwd() if cwd is None else cwd
    script = Path(sys.executable).parent / "dramaturg"
    on_path = shutil.which("dramaturg")
    if on_path and script.exists() and os.path.samefile(on_path, script):
        return "dramaturg"
    if script.exists():
        try:
            return str(script.relative_to(cwd))
        except ValueError:
            return str(script)
    return f"{sys.executable} -m dramaturg"
