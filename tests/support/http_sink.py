"""A loopback HTTP server that records requests and answers as a test scripts it.

``HttpSink`` runs a stdlib ``ThreadingHTTPServer`` on ``127.0.0.1`` (a free port)
in a daemon thread. Each request is recorded, then answered by, in order of
precedence: the next scripted ``Reply`` (``sink.script([...])``), the default set
with ``sink.respond(...)``, or a built-in emulation of Telegram ``sendMessage``
and the voice API ``/v1/calls``. A reply may be delayed (to provoke a client read
timeout) or dropped after the request was read (the "sent, no answer" case).

    with HttpSink() as sink:
        sink.script([Reply(status=500)])
        ...
        sink.wait_for(1, timeout=2)
"""

from __future__ import annotations

import collections
import itertools
import json as jsonlib
import re
import socket
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``json`` wins over ``body``; ``drop_after_read`` sends nothing."""

    status: int = 200
    json: Any = None
    body: bytes | str = b""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    drop_after_read: bool = False


@dataclass(frozen=True)
class Recorded:
    """One request as the sink received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any
    time: float


class HttpSink:
    """A recording, scriptable HTTP server on loopback; see the module docstring."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._seen: list[Recorded] = []
        self._queue: collections.deque[Reply] = collections.deque()
        self._default: Reply | None = None
        self._stopping = threading.Event()  # wakes delayed replies at shutdown
        self._message_ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> HttpSink:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True  # a stuck handler must not block the test run
        # A short poll interval keeps shutdown() (which waits for the poll loop) fast.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="http-sink", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> HttpSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "sink not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting ---------------------------------------------------------------
    def respond(
        self,
        status: int = 200,
        json: Any = None,
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
        *,
        body: bytes | str = b"",
        drop_after_read: bool = False,
    ) -> None:
        """Set the default answer (replaces the built-in emulation)."""
        with self._cond:
            self._default = Reply(status, json, body, delay, dict(headers or {}), drop_after_read)

    def script(self, replies: Iterable[Reply | dict[str, Any]]) -> None:
        """Queue per-request answers, consumed in order before the default."""
        with self._cond:
            self._queue.extend(r if isinstance(r, Reply) else Reply(**r) for r in replies)

    # -- inspection --------------------------------------------------------------
    def requests(self, path_contains: str | None = None) -> list[Recorded]:
        with self._cond:
            return [r for r in self._seen if path_contains is None or path_contains in r.path]

    def count_by(self, key_fn: Callable[[Recorded], Hashable]) -> collections.Counter:
        return collections.Counter(key_fn(r) for r in self.requests())

    def wait_for(self, n: int, timeout: float = 5.0) -> list[Recorded]:
        """Block until at least ``n`` requests arrived; AssertionError after ``timeout`` s."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._seen) >= n, timeout=timeout):
                seen = [(r.method, r.path) for r in self._seen]
                raise AssertionError(f"expected {n} request(s) within {timeout}s, saw {len(seen)}: {seen}")
            return list(self._seen)

    # -- called by the handler threads --------------------------------------------
    def _record_and_choose(self, rec: Recorded) -> Reply:
        with self._cond:
            self._seen.append(rec)
            self._cond.notify_all()
            if self._queue:
                return self._queue.popleft()
            return self._default or self._emulate(rec)

    def _emulate(self, rec: Recorded) -> Reply:
        body = rec.json if isinstance(rec.json, dict) else {}
        if rec.method == "POST" and re.fullmatch(r"/bot[^/]+/sendMessage", rec.path):
            result = {
                "message_id": next(self._message_ids),
                "chat": {"id": body.get("chat_id")},
                "date": int(time.time()),
                "text": body.get("text"),
            }
            return Reply(json={"ok": True, "result": result})
        if rec.method == "POST" and rec.path == "/v1/calls":
            return Reply(status=201, json={"call_id": f"call-{next(self._message_ids)}"})
        return Reply(body="ok")  # what Slack-style webhooks answer


def _make_handler(sink: HttpSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                parsed = jsonlib.loads(raw) if raw else None
            except ValueError:
                parsed = None
            reply = sink._record_and_choose(
                Recorded(self.command, self.path, dict(self.headers.items()), raw, parsed, time.time())
            )
            if reply.delay and sink._stopping.wait(reply.delay):
                return  # shutting down: no answer
            if reply.drop_after_read:
                self.close_connection = True
                return  # handle() ends; socketserver closes the socket unanswered
            payload = (
                jsonlib.dumps(reply.json).encode()
                if reply.json is not None
                else (reply.body.encode() if isinstance(reply.body, str) else reply.body)
            )
            try:
                self.send_response(reply.status)
                if not any(name.lower() == "content-type" for name in reply.headers):
                    self.send_header("Content-Type", "application/json" if reply.json is not None else "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (read timeout); that is the point of the test

        do_POST = do_GET = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


def refused_url() -> str:
    """A loopback URL where nothing listens: bind a port, then release it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def sink_fixture() -> Iterator[HttpSink]:
    """Generator for ``pytest.fixture``: yields a started sink, stops it afterwards."""
    with HttpSink() as sink:
        yield sink
