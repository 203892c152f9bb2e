"""Set up a fresh clone and run it: ``python3 -m shared.bootstrap up|test [args…]``.

Standard library only, so it runs before anything is installed. On first use
(and whenever pyproject.toml changes) it creates ``.venv`` and installs the
project with what the test suite and ``up`` need: the test tools and the
``all`` extras (the embedded PostgreSQL, the Anthropic SDK); then it runs ``dramaturg up`` or pytest inside
that environment, passing extra arguments through.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> None:
    """Create the virtual environment and install the project, once per pyproject.toml version."""
    if sys.version_info < (3, 11):
        sys.exit(f"dramaturg needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if STAMP.exists() and STAMP.read_text() == _fingerprint() and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("creating .venv …", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing dramaturg and its test tools into .venv (first run only) …", file=sys.stderr)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test,all]"], check=True, cwd=ROOT)
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("up", "test"):
        print("usage: python3 -m shared.bootstrap up|test [args…]", file=sys.stderr)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "up":
        cmd = [str(BIN / "dramaturg"), "up", *rest]
    else:
        cmd = [str(PYTHON), "-m", "pytest", *rest]
    os.chdir(ROOT)
    os.execv(cmd[0], cmd)  # replace this process, so Ctrl-C and exit codes pass straight through


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
