"""The commands dramaturg tells a newcomer to type work as printed: the banner's form, bootstrap's ``run``."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from dramaturg.command_line import dramaturg_command

ROOT = Path(__file__).resolve().parents[2]


def test_the_printed_command_runs_from_the_project_folder_without_dramaturg_on_path():
    # Given a shell whose PATH has no dramaturg (the quick start does not activate .venv)
    env = dict(os.environ, PATH="/usr/bin:/bin")
    command = subprocess.run(
        [sys.executable, "-c", "from dramaturg.command_line import dramaturg_command; print(dramaturg_command())"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    # Then the form printed is not the bare name, and it runs as printed
    assert command != "dramaturg"
    result = subprocess.run(
        [*shlex.split(command), "--help"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "Background jobs and cron" in result.stdout


def test_with_dramaturg_on_path_the_bare_name_is_printed(monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    assert (Path(sys.executable).parent / "dramaturg").exists()  # the venv's console script
    assert dramaturg_command() == "dramaturg"


def _fake_checkout(tmp_path: Path) -> Path:
    """A checkout whose .venv is installed already (stamp matching pyproject.toml) with a stand-in command."""
    root = tmp_path / "checkout"
    (root / "shared").mkdir(parents=True)
    shutil.copy(ROOT / "shared" / "bootstrap.py", root / "shared" / "bootstrap.py")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "dramaturg").write_text('#!/bin/sh\necho "dramaturg called with: $*"\n')
    (bin_dir / "dramaturg").chmod(0o755)
    import hashlib

    (root / ".venv" / ".installed").write_text(hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest())
    return root


def test_bootstrap_run_passes_any_command_through(tmp_path):
    root = _fake_checkout(tmp_path)
    result = subprocess.run(
        [sys.executable, str(root / "shared" / "bootstrap.py"), "run", "status", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "dramaturg called with: status --json"


def test_bootstrap_without_a_command_says_what_it_takes(tmp_path):
    root = _fake_checkout(tmp_path)
    result = subprocess.run([sys.executable, str(root / "shared" / "bootstrap.py")], capture_output=True, text=True)
    assert result.returncode == 2 and "up|test|run" in result.stderr
