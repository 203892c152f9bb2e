"""Real dramaturg processes for end-to-end and fault tests, and a supervisor that restarts them.

Each process's output goes to its own log file so a scenario can grep what
happened (re-executions, back-off messages) after the fact.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path


def dramaturg_env(db_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DRAMATURG_", "DATABASE_URL", "TELEGRAM_", "VOICE_"))
    }
    env.update(DATABASE_URL=db_url, DRAMATURG_POLL_SECONDS="0.1", DRAMATURG_APPS="all")
    env.update(extra)
    return env


class DramaturgProcess:
    """``python -m dramaturg <args>`` with its output in ``log_dir``."""

    def __init__(self, args: list[str], env: dict[str, str], log_dir: Path, name: str) -> None:
        self.args, self.env, self.name = args, env, name
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> DramaturgProcess:
        log = open(self.log_path, "a")
        log.write(f"--- start #{self.starts + 1} ---\n")
        log.flush()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dramaturg", *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.starts += 1
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self, timeout: float = 30) -> int | None:
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


class Supervisor:
    """Keeps processes running, restarting any that exits — as a platform restarts a dyno."""

    def __init__(self, processes: list[DramaturgProcess], check_interval: float = 0.2) -> None:
        self.processes = processes
        self.check_interval = check_interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self.restarts = 0

    def __enter__(self) -> Supervisor:
        for p in self.processes:
            p.start()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for p in self.processes:
            p.stop()

    def _watch(self) -> None:
        while not self._stop.wait(self.check_interval):
            for p in self.processes:
                if not p.alive() and not self._stop.is_set():
                    self.restarts += 1
                    p.start()

    def kill9(self, rng: random.Random | None = None) -> DramaturgProcess:
        """SIGKILL one live process (chosen at random); the supervisor brings it back."""
        live = [p for p in self.processes if p.alive()]
        victim = (rng or random).choice(live)
        victim.signal(signal.SIGKILL)
        return victim
