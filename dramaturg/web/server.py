"""Serving the app with uvicorn: the loopback rule, the start-up line, and a server in a thread.

Without any API key configured the dyno serves loopback only and says so;
binding another address needs at least one key (``dramaturg keys create``).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

import uvicorn

from dramaturg.web.config import is_loopback
from shared import api_keys
from shared.db import pg_connection
from shared.errors import ConfigError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.app import App

logger = logging.getLogger("dramaturg.web")


def check_bind(platform: App, host: str) -> bool:
    """Whether keys are configured; a non-loopback ``host`` without keys is refused.

    Raises:
        ConfigError: ``host`` is not loopback and no API key exists.
    """
    with platform.engine.connect() as conn:
        raw = pg_connection(conn)
        keys = api_keys.any_active(raw)
        raw.rollback()
    if not keys and not is_loopback(host):
        raise ConfigError(
            f"DRAMATURG_WEB_HOST={host}: no API key is configured, so the web dyno serves 127.0.0.1 only; "
            "create one with `dramaturg keys create --admin` to bind another address"
        )
    return keys


def start_line(host: str, port: int, keys: bool) -> str:
    shown = f"[{host}]" if ":" in host else host
    auth = "API keys required" if keys else "no API key configured: loopback only, every request is the local admin"
    return f"web dyno serving http://{shown}:{port}/ (dashboard; API docs at /docs) — {auth}"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket with TCP_NODELAY (inherited by accepted connections on Linux).

    uvicorn writes a response's headers and body separately; with Nagle on,
    the body waits for the client's delayed ACK — about 40 ms per request.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class ThreadedServer:
    """uvicorn on an already-bound socket in a daemon thread (tests, benchmarks)."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = bind_socket(host, port)
        self.host, self.port = host, self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> ThreadedServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:  # uvicorn sets it once it accepts connections
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
