"""Whether an embedded PostgreSQL runs under a data folder (its postmaster.pid names a live process)."""

from __future__ import annotations

from pathlib import Path

from dramaturg.embedded_cmd import server_state


def embedded_running(data_dir: Path) -> bool:
    return bool(server_state(data_dir)["running"])
