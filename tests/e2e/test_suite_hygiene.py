"""The test suite on a fresh machine: it stops the embedded server it starts, and ends quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.embedded_state import embedded_running

ROOT = Path(__file__).resolve().parents[2]


def test_a_run_on_the_embedded_server_stops_it_and_ends_without_heartbeat_noise(tmp_path):
    # Given no server configured: the suite starts its embedded one (here in a folder of this test's own)
    data_dir = tmp_path / "pgdata-test"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRAMATURG_", "DATABASE_URL", "TEST_DATABASE"))}
    env["TEST_EMBEDDED_DIR"] = str(data_dir)
    # When a test with a real worker runs on it
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--basetemp={tmp_path / 'inner'}",
            "tests/integration/tasks/test_recurring_tasks.py::test_two_children_for_the_same_parent_create_one_instance",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    # Then it passed, the server it started is stopped, and nothing beat against a dropped database
    assert result.returncode == 0, output
    assert (data_dir / "PG_VERSION").exists()  # it did run on that server
    assert not embedded_running(data_dir), output
    assert "heartbeat failed" not in output and "does not exist" not in output, output
