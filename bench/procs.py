"""The benchmark's worker subprocess, seen from the parent: start it, read its stats, stop or kill -9 it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

from bench import systems

THREADS = 8


class WorkerProcess:
    def __init__(self, system: str, url: str, *, lease: float = 30.0, latency: bool = False) -> None:
        fd, self.stats_path = tempfile.mkstemp(prefix="bench-stats-", suffix=".json")
        os.close(fd)
        os.unlink(self.stats_path)
        cmd = [
            sys.executable,
            "-m",
            "bench.worker",
            system,
            url,
            self.stats_path,
            "--threads",
            str(THREADS),
            "--lease",
            str(lease),
        ] + (["--latency"] if latency else [])
        self.proc = subprocess.Popen(cmd, cwd=systems.ROOT, stderr=subprocess.DEVNULL)
        self.wait(lambda s: s is not None, 60)

    def stats(self) -> dict | None:
        try:
            with open(self.stats_path) as fh:
                return json.load(fh)
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait(self, cond, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats()
            if cond(s):
                return s
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise TimeoutError("worker condition not met")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.path.exists(self.stats_path):
            os.unlink(self.stats_path)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@contextmanager
def worker(system: str, url: str, **kw):
    w = WorkerProcess(system, url, **kw)
    try:
        yield w
    finally:
        w.stop()
