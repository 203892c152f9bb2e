"""The built wheel, installed next to an application's own ``shared`` and ``actors`` packages.

The wheel puts the platform's folders inside the ``dramaturg`` package
(setup.py), so an app that has packages of those names keeps them, and
dramaturg migrates, schedules and runs a job through its own. The wheel is
built from this checkout; its dependencies come from the test's own
environment (a path entry, not an install), so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: What the wheel is built from (the sdist's contents).
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "README.md",
    "LICENSE",
    "dramaturg",
    "shared",
    "actors",
    "scheduler",
    "migrations",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy: pip builds in the source tree and would leave build/ in the checkout
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(
            ROOT / name,
            source / name,
            **({"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree else {}),
        )
    out = tmp_path_factory.mktemp("wheel")
    # --no-build-isolation: the build uses this environment's setuptools, no index needed
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("dramaturg-*.whl")
    return built


@pytest.fixture(scope="module")
def app_env(wheel, tmp_path_factory) -> dict[str, str]:
    """A site directory holding the wheel and an application's own ``shared`` and ``actors``."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    for name in ("shared", "actors"):
        (site / name).mkdir()
        (site / name / "__init__.py").write_text(f"OWNER = {f'the application’s {name}'!r}\n")
    deps = sysconfig.get_paths()["purelib"]  # this environment's dependencies, without its editable finder
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRAMATURG_", "DATABASE_URL", "PYTHON"))}
    env["PYTHONPATH"] = os.pathsep.join((str(site), deps))
    return env


def _python(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # -I would drop PYTHONPATH; -s keeps the user site out, cwd keeps the checkout off sys.path
    return subprocess.run([sys.executable, "-s", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_api_module_imports_in_a_checkout_too():
    from dramaturg import api
    from shared.actors import cron_job

    assert api.cron_job is cron_job


def test_the_wheel_holds_one_top_level_package(wheel):
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist() if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"dramaturg"}


def test_an_apps_own_shared_and_actors_packages_survive_next_to_dramaturg(app_env, tmp_path):
    # Given the wheel installed next to an app's `shared` and `actors`
    code = (
        "import shared, actors, dramaturg.shared.settings as s, dramaturg.actors.maintenance as m;"
        "from dramaturg.api import build_app, cron_job;"
        "import sys; print(shared.OWNER, '|', actors.OWNER, '|', s.__name__, '|', m.__name__);"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('scheduler', 'migrations')))"
    )
    # When both are imported in one process
    result = _python(app_env, "-c", code, cwd=tmp_path)
    # Then each is its own: the app's packages are untouched and dramaturg's are inside it
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first == (
        "the application’s shared | the application’s actors | dramaturg.shared.settings | dramaturg.actors.maintenance"
    )
    assert second == "[]"


def test_the_installed_wheel_migrates_and_runs_a_job(app_env, empty_db_url, tmp_path):
    env = dict(app_env, DATABASE_URL=empty_db_url, DRAMATURG_APPS="all", DRAMATURG_POLL_SECONDS="0.05")
    # Given the wheel's own migrations applied, every app's branch included
    migrated = _python(env, "-m", "dramaturg", "migrate", cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    # And the next release's migrate reads the installed scripts' heads and finds the database at them
    # (it then answers without alembic)
    current = _python(
        env,
        "-c",
        "import os, psycopg2; from dramaturg.shared.domains import DOMAINS; "
        "from dramaturg.shared.migration_heads import at_heads; "
        "print(at_heads(psycopg2.connect(os.environ['DATABASE_URL']), tuple(DOMAINS)))",
        cwd=tmp_path,
    )
    assert current.stdout.strip() == "True", current.stderr
    # And every app's jobs scheduled from the installed modules
    schedule = _python(env, "-m", "dramaturg", "schedule", "--json", cwd=tmp_path)
    assert schedule.returncode == 0, schedule.stderr
    assert {"decay", "prune-history"} <= {row["job"] for row in json.loads(schedule.stdout)}
    # When a job is triggered and a worker from the wheel runs it
    worker = subprocess.Popen(
        [sys.executable, "-s", "-m", "dramaturg", "worker", "--threads", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run = _python(
            env, "-m", "dramaturg", "trigger", "prune-history", "--wait", "--json", "--timeout", "90", cwd=tmp_path
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    # Then it succeeds
    assert run.returncode == 0, run.stderr + (worker.stderr.read() if worker.stderr else "")
    assert json.loads(run.stdout)["status"] == "succeeded"
