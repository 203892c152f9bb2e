"""F13: /health follows the database: 503 while it is down, 200 again once it is back.

Real processes — a ``dramaturg worker`` (heartbeat every 0.5 s) and the web
dyno (``dramaturg web``) — on the disposable PostgreSQL, which the scenario
stops and starts again.
"""

from __future__ import annotations

import socket

import requests

from tests.faults.conftest import figures
from tests.support.processes import DramaturgProcess
from tests.support.waiting import wait_until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(url: str):
    try:
        response = requests.get(url, timeout=5)
    except requests.RequestException:
        return None
    return response.status_code, response.json()


def test_f13_health_is_503_while_the_database_is_down_and_200_after(disposable_pg, fault_env, tmp_path):
    port = _free_port()
    env = fault_env(DRAMATURG_HEARTBEAT_SECONDS="0.5", DRAMATURG_WEB_PORT=str(port))
    worker = DramaturgProcess(["worker", "--threads", "2"], env, tmp_path, "worker").start()
    web = DramaturgProcess(["web"], env, tmp_path, "web").start()
    url = f"http://127.0.0.1:{port}/health"
    stopped = False
    try:
        # Given a healthy system
        up = wait_until(lambda: (h := _health(url)) and h[0] == 200 and h, timeout=60, message=web.log)
        assert up[1]["database"] == "ok" and up[1]["workers"] == 1
        # When the database goes away
        disposable_pg.stop("immediate")
        stopped = True
        down = wait_until(lambda: (h := _health(url)) and h[0] == 503 and h, timeout=30)
        # Then /health says which part failed
        assert down[1]["database"] == "unavailable" and down[1]["status"] == "unavailable"
        # And when it is back, so is the service (the worker's heartbeat resumes)
        disposable_pg.start()
        stopped = False
        back = wait_until(lambda: (h := _health(url)) and h[0] == 200 and h, timeout=60, message=worker.log)
        assert back[1]["workers"] == 1
        figures("F13", down=down[1]["database"], back=back[1]["status"])
    finally:
        if stopped:  # leave the shared disposable server running for the next scenario
            disposable_pg.start()
        web.stop()
        worker.stop()
